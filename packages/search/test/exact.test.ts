/**
 * exactTopK against a brute-force ranking (chunks smaller than the gallery, so that the merge is exercised),
 * identity checks, errors, leaks.
 */
import { describeBackends, expectNoLeak, seededValues } from '@pir/test-utils';
import { expect, it } from 'vitest';
import { checkIdentity, exactTopK, StoreError } from '../src/index.js';

function bruteForce(q: Float32Array, g: Float32Array, d: number, k: number) {
  const n = g.length / d;
  return Array.from({ length: q.length / d }, (_, i) => {
    const scores = Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let t = 0; t < d; t++) s += (q[i * d + t] as number) * (g[j * d + t] as number);
      return { index: j, score: s };
    });
    scores.sort((a, b) => b.score - a.score || a.index - b.index);
    return scores.slice(0, k);
  });
}

describeBackends('exactTopK', () => {
  it('equals a brute-force ranking, gallery in chunks smaller than it and than k', async () => {
    const d = 8;
    const g = new Float32Array(seededValues(37 * d, 3));
    const q = new Float32Array(seededValues(5 * d, 4));
    const want = bruteForce(q, g, d, 10);
    await expectNoLeak(async () => {
      for (const chunk of [37, 16, 7, 3]) {
        const got = await exactTopK(q, g, d, 10, chunk);
        expect(got.map((r) => r.map((h) => h.index))).toEqual(want.map((r) => r.map((h) => h.index)));
        for (const [i, r] of got.entries())
          for (const [j, h] of r.entries()) expect(h.score).toBeCloseTo(want[i]?.[j]?.score as number, 4);
      }
    });
  });

  it('k larger than the gallery returns the whole gallery; an empty gallery returns nothing', async () => {
    const g = new Float32Array([1, 0, 0, 1]);
    const [r] = await exactTopK(new Float32Array([0.6, 0.8]), g, 2, 5);
    expect(r?.map((h) => h.index)).toEqual([1, 0]);
    const [e] = await exactTopK(new Float32Array([1, 0]), new Float32Array(0), 2, 3);
    expect(e).toEqual([]);
  });

  it('rejects bad arguments with a StoreError naming them', async () => {
    await expect(exactTopK(new Float32Array(3), new Float32Array(4), 2, 1)).rejects.toThrow(
      /multiples of dim 2/,
    );
    await expect(exactTopK(new Float32Array(2), new Float32Array(4), 2, 0)).rejects.toBeInstanceOf(
      StoreError,
    );
    await expect(exactTopK(new Float32Array(2), new Float32Array(4), 0, 1)).rejects.toThrow(/dim/);
  });
});

it('checkIdentity names what differs and what to do', () => {
  const a = { name: 'pir-itr-tiny', configHash: 'abc', dim: 64 };
  expect(() => checkIdentity('pir search', a, { ...a })).not.toThrow();
  let err: unknown;
  try {
    checkIdentity('pir search', a, { ...a, configHash: 'def', dim: 32 });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).argument).toBe('model');
  expect((err as Error).message).toMatch(/configHash, dim differ/);
  expect((err as Error).message).toMatch(/Query it with the model that built it/);
});
