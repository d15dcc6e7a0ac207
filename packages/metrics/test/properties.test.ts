import { evaluateRetrieval, evaluateSimilarity, type TiePolicy } from '@pir/metrics';
import { describeBackends } from '@pir/test-utils';
import fc from 'fast-check';
import { expect, it } from 'vitest';

/** A retrieval problem: captions per image ≥ 1, scores on a coarse grid so ties are common. */
const problem = fc
  .record({
    perImage: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 10 }),
    levels: fc.integer({ min: 2, max: 6 }),
    seed: fc.integer(),
    ties: fc.constantFrom<TiePolicy>('pessimistic', 'optimistic'),
  })
  .chain(({ perImage, levels, seed, ties }) => {
    const map = perImage.flatMap((n, i) => Array.from({ length: n }, () => i));
    const nImages = perImage.length;
    const nTexts = map.length;
    return fc.record({
      nImages: fc.constant(nImages),
      nTexts: fc.constant(nTexts),
      map: fc.shuffledSubarray(map, { minLength: nTexts, maxLength: nTexts }),
      sim: fc.array(fc.integer({ min: 0, max: levels - 1 }), {
        minLength: nImages * nTexts,
        maxLength: nImages * nTexts,
      }),
      ties: fc.constant(ties),
      seed: fc.constant(seed),
    });
  });

const RUNS = { numRuns: 30, seed: 20240611 };

describeBackends('properties', () => {
  it('recall is non-decreasing in K and reaches 100 at the gallery size', async () => {
    await fc.assert(
      fc.asyncProperty(problem, async (p) => {
        const ks = [1, 2, 3, 5, 8, 13, Math.max(p.nImages, p.nTexts)];
        const r = await evaluateSimilarity(
          { data: Float32Array.from(p.sim), shape: [p.nImages, p.nTexts] },
          p.map,
          {
            ks,
            ties: p.ties,
          },
        );
        const sorted = r.ks;
        for (let j = 1; j < sorted.length; j++) {
          expect(r.i2t.recall[sorted[j] as number]).toBeGreaterThanOrEqual(
            r.i2t.recall[sorted[j - 1] as number] as number,
          );
          expect(r.t2i.recall[sorted[j] as number]).toBeGreaterThanOrEqual(
            r.t2i.recall[sorted[j - 1] as number] as number,
          );
        }
        const last = sorted[sorted.length - 1] as number;
        expect(r.i2t.recall[last]).toBe(100);
        expect(r.t2i.recall[last]).toBe(100);
        expect(r.mR).toBeCloseTo(r.rsum / (2 * sorted.length), 10);
      }),
      RUNS,
    );
  });

  it('is invariant to permuting the gallery together with its labels (captions and images)', async () => {
    await fc.assert(
      fc.asyncProperty(
        problem.chain((p) =>
          fc.record({
            p: fc.constant(p),
            colPerm: fc.shuffledSubarray([...Array(p.nTexts).keys()], {
              minLength: p.nTexts,
              maxLength: p.nTexts,
            }),
            rowPerm: fc.shuffledSubarray([...Array(p.nImages).keys()], {
              minLength: p.nImages,
              maxLength: p.nImages,
            }),
          }),
        ),
        async ({ p, colPerm, rowPerm }) => {
          const { nImages: ni, nTexts: nt } = p;
          const base = await evaluateSimilarity({ data: Float32Array.from(p.sim), shape: [ni, nt] }, p.map, {
            ties: p.ties,
          });
          // new caption c is old caption colPerm[c]; new image r is old image rowPerm[r]
          const newOfOldImage = new Int32Array(ni);
          rowPerm.forEach((old, r) => {
            newOfOldImage[old] = r;
          });
          const sim = new Float32Array(ni * nt);
          for (let r = 0; r < ni; r++) {
            for (let c = 0; c < nt; c++)
              sim[r * nt + c] = p.sim[(rowPerm[r] as number) * nt + (colPerm[c] as number)] as number;
          }
          const map = colPerm.map((old) => newOfOldImage[p.map[old] as number] as number);
          const perm = await evaluateSimilarity({ data: sim, shape: [ni, nt] }, map, { ties: p.ties });
          for (let r = 0; r < ni; r++) {
            const old = rowPerm[r] as number;
            expect(perm.i2t.ranks[r]).toBe(base.i2t.ranks[old]);
            // the best caption may differ among equally scored positives, but its score may not
            const newBest = perm.i2t.bestCaption[r] as number;
            expect(p.sim[old * nt + (colPerm[newBest] as number)]).toBe(
              p.sim[old * nt + (base.i2t.bestCaption[old] as number)],
            );
          }
          for (let c = 0; c < nt; c++) expect(perm.t2i.ranks[c]).toBe(base.t2i.ranks[colPerm[c] as number]);
          expect(perm.mR).toBeCloseTo(base.mR, 10);
        },
      ),
      RUNS,
    );
  });

  it('perfect embeddings (captions = their image) give 100 everywhere, rank 1', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.double({ min: 0.1, max: 10, noNaN: true }), { minLength: 12, maxLength: 12 }),
        async (perImage, scales) => {
          const n = perImage.length;
          const d = n + 1;
          // image i = scale_i · e_i (orthogonal directions); every caption is a rescaled copy of its image
          const images = new Float32Array(n * d);
          for (let i = 0; i < n; i++) images[i * d + i] = scales[i] as number;
          const map = perImage.flatMap((k, i) => Array.from({ length: k }, () => i));
          const texts = new Float32Array(map.length * d);
          map.forEach((i, t) => {
            texts[t * d + i] = (scales[(t + 3) % 12] as number) * 2;
          });
          const r = await evaluateRetrieval(
            { data: images, shape: [n, d] },
            { data: texts, shape: [map.length, d] },
            map,
            {
              ks: [1, 5, 10],
            },
          );
          expect(r.mR).toBe(100);
          expect(r.rsum).toBe(600);
          expect(r.i2t.medianRank).toBe(1);
          expect(r.t2i.meanRank).toBe(1);
        },
      ),
      RUNS,
    );
  });

  it('chunked evaluation equals unchunked for any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        problem.chain((p) =>
          fc.record({ p: fc.constant(p), chunk: fc.integer({ min: 1, max: p.nImages + 2 }) }),
        ),
        async ({ p, chunk }) => {
          const m = { data: Float32Array.from(p.sim), shape: [p.nImages, p.nTexts] as const };
          const whole = await evaluateSimilarity(m, p.map, { ties: p.ties });
          const chunked = await evaluateSimilarity(m, p.map, { ties: p.ties, chunkSize: chunk });
          expect(Array.from(chunked.i2t.ranks)).toEqual(Array.from(whole.i2t.ranks));
          expect(Array.from(chunked.i2t.bestCaption)).toEqual(Array.from(whole.i2t.bestCaption));
          expect(Array.from(chunked.t2i.ranks)).toEqual(Array.from(whole.t2i.ranks));
          expect(chunked.mR).toBe(whole.mR);
        },
      ),
      RUNS,
    );
  });

  it('embeddings and their similarity matrix give the same report (exact integer case)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer(),
        async (perImage, dim, chunk, seed) => {
          let s = seed >>> 0;
          const next = () => {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            return (s >>> 28) - 8; // small integers: exact dot products
          };
          const n = perImage.length;
          const map = perImage.flatMap((k, i) => Array.from({ length: k }, () => i));
          const images = Float32Array.from({ length: n * dim }, next);
          const texts = Float32Array.from({ length: map.length * dim }, next);
          const sim = new Float32Array(n * map.length);
          for (let i = 0; i < n; i++) {
            for (let t = 0; t < map.length; t++) {
              let dot = 0;
              for (let k = 0; k < dim; k++)
                dot += (images[i * dim + k] as number) * (texts[t * dim + k] as number);
              sim[i * map.length + t] = dot;
            }
          }
          const a = await evaluateRetrieval(
            { data: images, shape: [n, dim] },
            { data: texts, shape: [map.length, dim] },
            map,
            {
              normalize: false,
              chunkSize: chunk,
            },
          );
          const b = await evaluateSimilarity({ data: sim, shape: [n, map.length] }, map);
          expect(Array.from(a.i2t.ranks)).toEqual(Array.from(b.i2t.ranks));
          expect(Array.from(a.t2i.ranks)).toEqual(Array.from(b.t2i.ranks));
        },
      ),
      RUNS,
    );
  });
});
