/**
 * Top-k retrieval from embeddings: the same matches as a brute-force sort of the full similarity matrix,
 * whatever the chunking (tensors or plain rows), deterministic ties (lower index first), k larger than the
 * gallery, raw dot products, the errors, and no leak.
 */
import { describeBackends, expectNoLeak, seededValues } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ModelInputError } from '../src/errors.js';
import { matchesOf, retrieve, searchEmbeddings, type TopKMatches } from '../src/retrieve.js';

/** Brute force: every score, sorted by (score desc, index asc), in float64 from float32 inputs. */
function bruteForce(q: Float32Array, g: Float32Array, d: number, k: number, normalize = true) {
  const rows = (x: Float32Array) => {
    const out: number[][] = [];
    for (let i = 0; i < x.length / d; i++) {
      const r = Array.from(x.subarray(i * d, (i + 1) * d));
      const n = normalize ? Math.max(Math.hypot(...r), 1e-12) : 1;
      out.push(r.map((v) => v / n));
    }
    return out;
  };
  const Q = rows(q);
  const G = rows(g);
  return Q.map((qr) =>
    G.map((gr, i) => ({ index: i, score: qr.reduce((s, v, j) => s + v * (gr[j] as number), 0) }))
      .sort((x, y) => y.score - x.score || x.index - y.index)
      .slice(0, k),
  );
}

function expectMatches(m: TopKMatches, want: { index: number; score: number }[][]): void {
  expect(m.queries).toBe(want.length);
  for (let q = 0; q < want.length; q++) {
    const got = matchesOf(m, q);
    expect(
      got.map((x) => x.index),
      `query ${q}`,
    ).toEqual(want[q]?.map((x) => x.index));
    got.forEach((x, j) => {
      expect(Math.abs(x.score - (want[q]?.[j]?.score as number))).toBeLessThan(1e-5);
    });
  }
}

describeBackends('retrieve / searchEmbeddings', () => {
  const D = 6;
  const nI = 11;
  const nT = 17;
  const img = seededValues(nI * D, 1);
  const txt = seededValues(nT * D, 2);

  it('matches a brute-force sort, both ways, for every chunking, from tensors and from plain rows', async () => {
    const images = tf.tensor2d(img, [nI, D]);
    const texts = tf.tensor2d(txt, [nT, D]);
    const i2t = bruteForce(img, txt, D, 5);
    const t2i = bruteForce(txt, img, D, 5);
    await expectNoLeak(async () => {
      for (const chunks of [
        {},
        { queryChunk: 1, galleryChunk: 1 },
        { queryChunk: 3, galleryChunk: 4 },
        { galleryChunk: 7 },
      ]) {
        const r = await retrieve(images, texts, { k: 5, ...chunks });
        expectMatches(r.i2t as TopKMatches, i2t);
        expectMatches(r.t2i as TopKMatches, t2i);
        const plain = await retrieve(
          { data: img, shape: [nI, D] },
          { data: txt, shape: [nT, D] },
          { k: 5, ...chunks },
        );
        expect(plain.i2t?.indices).toEqual(r.i2t?.indices);
        expect(plain.t2i?.indices).toEqual(r.t2i?.indices);
      }
    }, 'retrieve');
    tf.dispose([images, texts]);
  });

  it('ties go to the lower gallery index, across chunks; k is capped by the gallery; raw dot products', async () => {
    // gallery rows 1, 3, 4 are the same vector: equal scores for every query
    const gallery = tf.tensor2d([
      [0, 1],
      [1, 0],
      [0, -1],
      [1, 0],
      [2, 0],
    ]);
    const query = tf.tensor2d([[1, 0.001]]);
    await expectNoLeak(async () => {
      for (const galleryChunk of [1, 2, 5]) {
        const m = await searchEmbeddings(query, gallery, { k: 4, galleryChunk });
        expect(Array.from(m.indices), `galleryChunk ${galleryChunk}`).toEqual([1, 3, 4, 0]);
      }
      const all = await searchEmbeddings(query, gallery, { k: 50 });
      expect(all.k).toBe(5);
      expect(Array.from(all.indices)).toEqual([1, 3, 4, 0, 2]);
      const raw = await searchEmbeddings(query, gallery, { k: 1, normalize: false });
      expect(Array.from(raw.indices)).toEqual([4]); // |[2, 0]| wins without normalising
      expect(raw.scores[0]).toBeCloseTo(2, 5);
      const none = await searchEmbeddings({ data: new Float32Array(0), shape: [0, 2] }, gallery);
      expect(none.queries).toBe(0);
      expect(none.indices.length).toBe(0);
    }, 'searchEmbeddings');
    tf.dispose([gallery, query]);
  });

  it('errors name the argument', async () => {
    const ok = tf.tensor2d([[1, 0]]);
    const cases: [Promise<unknown>, string, string][] = [
      [searchEmbeddings(tf.tensor1d([1, 2]) as never, ok), 'searchEmbeddings', 'queries'],
      [searchEmbeddings(ok, tf.tensor2d([[1, 0, 0]])), 'searchEmbeddings', 'gallery'],
      [searchEmbeddings(ok, ok, { k: 0 }), 'searchEmbeddings', 'k'],
      [searchEmbeddings(ok, ok, { galleryChunk: 1.5 }), 'searchEmbeddings', 'galleryChunk'],
      [searchEmbeddings({ data: new Float32Array(3), shape: [2, 2] }, ok), 'searchEmbeddings', 'queries'],
      [searchEmbeddings(tf.tensor2d([[1, Number.NaN]]), ok), 'searchEmbeddings', 'queries'],
      [retrieve(ok, ok, { direction: 'up' as never }), 'retrieve', 'direction'],
      [retrieve(ok, tf.tensor2d([[1, 0]], [1, 2], 'int32')), 'retrieve', 'texts'],
    ];
    for (const [p, where, argument] of cases) {
      const e = await p.then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, `${where} ${argument}`).toBeInstanceOf(ModelInputError);
      expect((e as ModelInputError).where).toBe(where);
      expect((e as ModelInputError).argument).toBe(argument);
    }
    expect(() =>
      matchesOf({ queries: 1, k: 1, indices: Int32Array.of(0), scores: Float32Array.of(1) }, 1),
    ).toThrow(ModelInputError);
    ok.dispose();
  });
});
