import {
  captionToImageMap,
  evaluateRetrieval,
  evaluateSimilarity,
  formatReport,
  type RetrievalReport,
} from '@pir/metrics';
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { floatEmbeddings, integerEmbeddings, variableMap } from './data.js';
import {
  type NaiveRanks,
  naiveMedian,
  naiveRanks,
  naiveRecall,
  naiveSimilarity,
  type Ties,
} from './naive.js';

/** Everything in `report` must agree with the naive sort-based reference. */
function expectMatchesNaive(report: RetrievalReport, naive: NaiveRanks, ks: number[]): void {
  expect(Array.from(report.i2t.ranks), 'I2T ranks').toEqual(naive.i2t);
  expect(Array.from(report.i2t.bestCaption), 'I2T best caption').toEqual(naive.bestCaption);
  expect(Array.from(report.t2i.ranks), 'T2I ranks').toEqual(naive.t2i);
  let rsum = 0;
  for (const k of ks) {
    expect(report.i2t.recall[k], `I2T R@${k}`).toBeCloseTo(naiveRecall(naive.i2t, k), 10);
    expect(report.t2i.recall[k], `T2I R@${k}`).toBeCloseTo(naiveRecall(naive.t2i, k), 10);
    rsum += naiveRecall(naive.i2t, k) + naiveRecall(naive.t2i, k);
  }
  expect(report.rsum).toBeCloseTo(rsum, 8);
  expect(report.mR).toBeCloseTo(rsum / (2 * ks.length), 8);
  expect(report.i2t.medianRank).toBe(naiveMedian(naive.i2t));
  expect(report.t2i.medianRank).toBe(naiveMedian(naive.t2i));
  const mean = (r: number[]) =>
    r.filter((x) => x > 0).reduce((a, b) => a + b, 0) / r.filter((x) => x > 0).length;
  expect(report.i2t.meanRank).toBeCloseTo(mean(naive.i2t), 8);
  expect(report.t2i.meanRank).toBeCloseTo(mean(naive.t2i), 8);
}

/** A float32 similarity matrix with many exact ties (scores on a coarse grid). */
function tiedSim(rng: Rng, nImages: number, nTexts: number, levels: number): Float32Array {
  return Float32Array.from({ length: nImages * nTexts }, () => rng.int(levels) / levels);
}

describe('captionToImageMap', () => {
  it('maps perImage consecutive captions to each image', () => {
    expect(Array.from(captionToImageMap(2, 3))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(captionToImageMap(1093).length).toBe(5465);
    expect(captionToImageMap(3)[14]).toBe(2);
  });
  it('rejects bad sizes', () => {
    expect(() => captionToImageMap(-1)).toThrow(/nImages/);
    expect(() => captionToImageMap(2, 0)).toThrow(/perImage/);
  });
});

describeBackends('evaluateRetrieval / evaluateSimilarity', () => {
  it('reproduces the JSDoc examples', async () => {
    const images = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const texts = tf.tensor2d([
      [1, 0.1],
      [0.9, 0],
      [0.2, 1],
      [1, 0.2],
    ]);
    const report = await evaluateRetrieval(images, texts, captionToImageMap(2, 2), { ks: [1, 2] });
    expect(report.i2t.recall[1]).toBe(100);
    expect(report.t2i.recall[1]).toBe(75);
    expect(report.mR).toBe(93.75);
    tf.dispose([images, texts]);

    const sim = { data: new Float32Array([0.9, 0.2, 0.5, 0.1, 0.8, 0.7]), shape: [2, 3] as const };
    const r = await evaluateSimilarity(sim, [0, 0, 1], { ks: [1] });
    expect(Array.from(r.i2t.ranks)).toEqual([1, 2]);
    expect(r.i2t.recall[1]).toBe(50);
    expect(Array.from(r.t2i.ranks)).toEqual([1, 2, 1]);
    expect(formatReport(await evaluateSimilarity(sim, [0, 0, 1]))).toBe(
      [
        '    Image→Text (I2T) |     Text→Image (T2I) |',
        '   R@1    R@5   R@10 |    R@1    R@5   R@10 |     mR',
        ' 50.00 100.00 100.00 |  66.67 100.00 100.00 |  86.11',
        'medr 1.5 / 1 · meanr 1.50 / 1.33 · 2 images × 3 captions · ties: pessimistic',
      ].join('\n'),
    );
  });

  for (const ties of ['pessimistic', 'optimistic'] as Ties[]) {
    for (const [nImages, chunkSize] of [
      [1, undefined],
      [7, undefined],
      [23, 1],
      [23, 4],
      [40, 39],
    ] as const) {
      it(`matches the naive sort on a tied similarity matrix (${nImages} images, chunk ${chunkSize ?? 'auto'}, ${ties})`, async () => {
        const rng = new Rng(`sim-${nImages}-${chunkSize}-${ties}`);
        const map = variableMap(rng, nImages, 1, 6);
        const sim = tiedSim(rng, nImages, map.length, 7);
        const ks = [1, 2, 5, 10];
        const opts = chunkSize === undefined ? { ks, ties } : { ks, ties, chunkSize };
        const report = await expectNoLeak(
          () => evaluateSimilarity({ data: sim, shape: [nImages, map.length] }, map, opts),
          'evaluateSimilarity',
        );
        expect(report.ties).toBe(ties);
        expectMatchesNaive(report, naiveRanks(sim, nImages, map.length, map, ties), ks);
      });
    }

    it(`matches the naive reference on integer embeddings with duplicate captions (${ties})`, async () => {
      const rng = new Rng(`int-${ties}`);
      const nImages = 60;
      const map = variableMap(rng, nImages, 1, 7);
      const e = integerEmbeddings(rng, nImages, map, 16, 0.3, 0.2);
      const sim = naiveSimilarity(e.images, e.texts, nImages, e.nTexts, e.dim, false);
      const naive = naiveRanks(sim, nImages, e.nTexts, map, ties);
      const images = tf.tensor2d(e.images, [nImages, e.dim]);
      const texts = tf.tensor2d(e.texts, [e.nTexts, e.dim]);
      for (const chunkSize of [undefined, 1, 13]) {
        const opts = { ks: [1, 5, 10], ties, normalize: false, ...(chunkSize ? { chunkSize } : {}) };
        const report = await expectNoLeak(
          () => evaluateRetrieval(images, texts, map, opts),
          'evaluateRetrieval',
        );
        expectMatchesNaive(report, naive, [1, 5, 10]);
      }
      tf.dispose([images, texts]);
    });
  }

  it('optimistic ranks never exceed pessimistic ones, and agree without ties', async () => {
    const rng = new Rng('opt-pes');
    const map = variableMap(rng, 30, 1, 5);
    const tied = tiedSim(rng, 30, map.length, 4);
    const m = { data: tied, shape: [30, map.length] as const };
    const p = await evaluateSimilarity(m, map, { ties: 'pessimistic' });
    const o = await evaluateSimilarity(m, map, { ties: 'optimistic' });
    for (let i = 0; i < 30; i++) expect(o.i2t.ranks[i]).toBeLessThanOrEqual(p.i2t.ranks[i] as number);
    for (let t = 0; t < map.length; t++) expect(o.t2i.ranks[t]).toBeLessThanOrEqual(p.t2i.ranks[t] as number);
    expect(p.mR).toBeLessThan(o.mR);
    const distinct = {
      data: Float32Array.from({ length: tied.length }, (_, k) => k * 1e-3 + 0.5),
      shape: m.shape,
    };
    const p2 = await evaluateSimilarity(distinct, map, { ties: 'pessimistic' });
    const o2 = await evaluateSimilarity(distinct, map, { ties: 'optimistic' });
    expect(Array.from(p2.i2t.ranks)).toEqual(Array.from(o2.i2t.ranks));
    expect(Array.from(p2.t2i.ranks)).toEqual(Array.from(o2.t2i.ranks));
  });

  it('counts ties against the query by default: all-equal scores rank last', async () => {
    const r = await evaluateSimilarity(
      { data: new Float32Array(3 * 6).fill(0.5), shape: [3, 6] },
      captionToImageMap(3, 2),
    );
    // I2T: 4 negatives tie with the best positive → rank 5; T2I: 2 negative images → rank 3
    expect(Array.from(r.i2t.ranks)).toEqual([5, 5, 5]);
    expect(Array.from(r.t2i.ranks)).toEqual([3, 3, 3, 3, 3, 3]);
    expect(Array.from(r.i2t.bestCaption)).toEqual([0, 2, 4]);
    const o = await evaluateSimilarity(
      { data: new Float32Array(3 * 6).fill(0.5), shape: [3, 6] },
      captionToImageMap(3, 2),
      {
        ties: 'optimistic',
      },
    );
    expect(o.mR).toBe(100);
  });

  it('normalised float embeddings agree with the float64 reference up to near-ties', async () => {
    const rng = new Rng('float');
    const nImages = 50;
    const map = variableMap(rng, nImages, 1, 8);
    const e = floatEmbeddings(rng, nImages, map, 24, 1.5);
    const report = await evaluateRetrieval(
      { data: e.images, shape: [nImages, e.dim] },
      { data: e.texts, shape: [e.nTexts, e.dim] },
      map,
    );
    // Bracket: with float32 rounding (≤ eps), a rank may only move across scores within eps of the positive.
    const sim = naiveSimilarity(e.images, e.texts, nImages, e.nTexts, e.dim, true);
    const eps = 1e-5;
    for (let t = 0; t < e.nTexts; t++) {
      const own = map[t] as number;
      const p = sim[own * e.nTexts + t] as number;
      let lo = 1;
      let hi = 1;
      for (let i = 0; i < nImages; i++) {
        if (i === own) continue;
        const s = sim[i * e.nTexts + t] as number;
        if (s > p + eps) lo++;
        if (s >= p - eps) hi++;
      }
      expect(report.t2i.ranks[t]).toBeGreaterThanOrEqual(lo);
      expect(report.t2i.ranks[t]).toBeLessThanOrEqual(hi);
    }
    const naive = naiveRanks(sim, nImages, e.nTexts, map);
    const differ = naive.t2i.filter((r, t) => r !== report.t2i.ranks[t]).length;
    expect(differ).toBeLessThanOrEqual(2);
    expect(report.i2t.recall[10]).toBeGreaterThan(0);
  });

  it('gives the same report for tensors, int32 tensors and plain arrays, and leaves inputs untouched', async () => {
    const rng = new Rng('inputs');
    const map = variableMap(rng, 12, 2, 4);
    const e = integerEmbeddings(rng, 12, map, 8, 0.5, 0.1);
    const images = tf.tensor2d(e.images, [12, 8]);
    const texts = tf.tensor2d(e.texts, [e.nTexts, 8]);
    const imagesInt = tf.cast(images, 'int32') as tf.Tensor2D;
    const plainImages = { data: e.images.slice(), shape: [12, 8] as const };
    const plainTexts = { data: e.texts.slice(), shape: [e.nTexts, 8] as const };
    const a = await evaluateRetrieval(images, texts, map);
    const b = await evaluateRetrieval(plainImages, plainTexts, Array.from(map));
    const c = await evaluateRetrieval(imagesInt, plainTexts, map);
    expect(Array.from(b.i2t.ranks)).toEqual(Array.from(a.i2t.ranks));
    expect(Array.from(b.t2i.ranks)).toEqual(Array.from(a.t2i.ranks));
    expect(Array.from(c.t2i.ranks)).toEqual(Array.from(a.t2i.ranks));
    expect(images.isDisposed || texts.isDisposed || imagesInt.isDisposed).toBe(false);
    expect(Array.from(await images.data())).toEqual(Array.from(e.images));
    expect(plainImages.data).toEqual(e.images);
    expect(plainTexts.data).toEqual(e.texts);
    const simT = tf.tensor2d(Float32Array.from(naiveSimilarity(e.images, e.texts, 12, e.nTexts, 8, true)), [
      12,
      e.nTexts,
    ]);
    const s = await expectNoLeak(
      () => evaluateSimilarity(simT, map, { chunkSize: 5 }),
      'evaluateSimilarity(tensor)',
    );
    expect(s.nImages).toBe(12);
    expect(simT.isDisposed).toBe(false);
    tf.dispose([images, texts, imagesInt, simT]);
  });

  it('handles any number of captions per image, and skips caption-less images on request', async () => {
    // image 1 has no caption; image 0 has 1, image 2 has 3
    const map = [2, 0, 2, 2];
    const sim = new Float32Array([
      0.1, 0.9, 0.3, 0.2, /* image 1 */ 0.5, 0.5, 0.5, 0.5, /* image 2 */ 0.8, 0.4, 0.2, 0.7,
    ]);
    const m = { data: sim, shape: [3, 4] as const };
    await expect(evaluateSimilarity(m, map)).rejects.toThrow(/image 1 has no caption/);
    const r = await expectNoLeak(() =>
      evaluateSimilarity(m, map, { imagesWithoutCaptions: 'skip', ks: [1] }),
    );
    expect(Array.from(r.i2t.ranks)).toEqual([1, 0, 1]);
    expect(Array.from(r.i2t.bestCaption)).toEqual([1, -1, 0]);
    expect(r.i2t.queries).toBe(2);
    expect(r.t2i.queries).toBe(4);
    expectMatchesNaive(r, naiveRanks(sim, 3, 4, map), [1]);
  });

  it('does not leak on any entry point, chunked or not, nor when it throws', async () => {
    const rng = new Rng('leak');
    const map = captionToImageMap(9, 3);
    const e = floatEmbeddings(rng, 9, map, 6, 1);
    const images = tf.tensor2d(e.images, [9, 6]);
    const texts = tf.tensor2d(e.texts, [27, 6]);
    await expectNoLeak(() => evaluateRetrieval(images, texts, map), 'evaluateRetrieval');
    await expectNoLeak(
      () => evaluateRetrieval(images, texts, map, { chunkSize: 2, normalize: false }),
      'chunked',
    );
    await expectNoLeak(
      () => evaluateRetrieval({ data: e.images, shape: [9, 6] }, { data: e.texts, shape: [27, 6] }, map),
      'plain',
    );
    const bad = e.texts.slice();
    bad[40] = Number.NaN;
    await expectNoLeak(async () => {
      await expect(evaluateRetrieval(images, { data: bad, shape: [27, 6] }, map)).rejects.toThrow(/NaN/);
    }, 'evaluateRetrieval throwing');
    const badSim = new Float32Array(9 * 27);
    badSim[100] = Number.NaN;
    await expectNoLeak(async () => {
      await expect(
        evaluateSimilarity({ data: badSim, shape: [9, 27] }, map, { chunkSize: 4 }),
      ).rejects.toThrow(/sim\[3, 19\] is NaN/);
    }, 'evaluateSimilarity throwing');
    tf.dispose([images, texts]);
  });
});
