/**
 * RSICD's test split size (1,093 images × 5,465 captions, D = 512) against the naive sort-based reference.
 * Integer embeddings keep every dot product exact, so the unnormalised case must match rank for rank — with
 * many exact ties (20 % duplicate captions, as RSICD repeats captions); the cosine case is bracketed.
 */
import { captionToImageMap, evaluateRetrieval } from '@pir/metrics';
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { type Embeddings, integerEmbeddings } from './data.js';
import { type NaiveRanks, naiveRanks, naiveRecall, naiveSimilarity } from './naive.js';

const N_IMAGES = 1093;
const DIM = 512;

let e: Embeddings;
let dots: Float64Array; // [N_IMAGES, 5465] exact integer dot products
let naive: NaiveRanks;

beforeAll(() => {
  const map = captionToImageMap(N_IMAGES, 5);
  e = integerEmbeddings(new Rng('rsicd'), N_IMAGES, map, DIM, 0.12, 0.2);
  dots = naiveSimilarity(e.images, e.texts, N_IMAGES, e.nTexts, DIM, false);
  naive = naiveRanks(dots, N_IMAGES, e.nTexts, map, 'pessimistic');
}, 120_000);

describeBackends('RSICD-sized evaluation (1,093 × 5,465, D = 512)', () => {
  it('matches the naive reference rank for rank (exact dot products, pessimistic ties)', async () => {
    const report = await expectNoLeak(() =>
      evaluateRetrieval(
        { data: e.images, shape: [N_IMAGES, DIM] },
        { data: e.texts, shape: [e.nTexts, DIM] },
        e.map,
        {
          normalize: false,
        },
      ),
    );
    expect(Array.from(report.i2t.ranks)).toEqual(naive.i2t);
    expect(Array.from(report.i2t.bestCaption)).toEqual(naive.bestCaption);
    expect(Array.from(report.t2i.ranks)).toEqual(naive.t2i);
    for (const k of [1, 5, 10]) {
      expect(report.i2t.recall[k]).toBeCloseTo(naiveRecall(naive.i2t, k), 10);
      expect(report.t2i.recall[k]).toBeCloseTo(naiveRecall(naive.t2i, k), 10);
    }
    // a meaningful, non-trivial benchmark: neither perfect nor hopeless
    expect(report.mR).toBeGreaterThan(5);
    expect(report.mR).toBeLessThan(95);
  });
});

// The cosine case differs only in the normalisation step; on the cpu backend this size costs ~10 s a run.
describeBackends('RSICD-sized cosine evaluation', () => {
  it('cosine similarity: every rank within the float32 rounding bracket of the float64 reference', async () => {
    const report = await evaluateRetrieval(
      { data: e.images, shape: [N_IMAGES, DIM] },
      { data: e.texts, shape: [e.nTexts, DIM] },
      e.map,
    );
    const nt = e.nTexts;
    const norm = (x: Float32Array, row: number) => {
      let s = 0;
      for (let d = 0; d < DIM; d++) s += (x[row * DIM + d] as number) ** 2;
      return Math.sqrt(s);
    };
    const ni = Float64Array.from({ length: N_IMAGES }, (_, i) => norm(e.images, i));
    const tn = Float64Array.from({ length: nt }, (_, t) => norm(e.texts, t));
    const cos = (i: number, t: number) =>
      (dots[i * nt + t] as number) / ((ni[i] as number) * (tn[t] as number));
    const eps = 1e-6;
    let outside = 0;
    for (let t = 0; t < nt; t++) {
      const own = e.map[t] as number;
      const p = cos(own, t);
      let lo = 1;
      let hi = 1;
      for (let i = 0; i < N_IMAGES; i++) {
        if (i === own) continue;
        const s = cos(i, t);
        if (s > p + eps) lo++;
        if (s >= p - eps) hi++;
      }
      const r = report.t2i.ranks[t] as number;
      if (r < lo || r > hi) outside++;
    }
    for (let i = 0; i < N_IMAGES; i++) {
      let best = Number.NEGATIVE_INFINITY;
      for (let t = 5 * i; t < 5 * i + 5; t++) best = Math.max(best, cos(i, t));
      let lo = 1;
      let hi = 1;
      for (let t = 0; t < nt; t++) {
        if (e.map[t] === i) continue;
        const s = cos(i, t);
        if (s > best + eps) lo++;
        if (s >= best - eps) hi++;
      }
      const r = report.i2t.ranks[i] as number;
      if (r < lo || r > hi) outside++;
    }
    expect(outside).toBe(0);
  });
}, ['wasm']);
