/**
 * The repaired wasm `Transpose` against `cpu`: the simplification (unit dims, merged runs) on its own, every
 * permutation of ranks 1–5 and sampled ones of rank 6 (rows and single elements),
 * Swin's q/k/v split and its inverse, float32/int32/bool, an empty tensor, gradients, leaks.
 */
import { seededValues as data, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { simplifyTranspose } from '../src/kernels/transpose.js';

/** The transpose on wasm and on cpu, every dtype; exact equality (a transpose moves values, computes none). */
async function same(shape: number[], perm: number[]): Promise<void> {
  const n = tf.util.sizeFromShape(shape);
  const make = () => {
    const f = tf.tensor(data(n, 7), shape);
    const i = tf.tensor(
      Array.from(data(n, 8), (v) => Math.round(v * 1000)),
      shape,
      'int32',
    );
    const b = tf.tensor(
      Array.from(data(n, 9), (v) => v > 0),
      shape,
      'bool',
    );
    return [tf.transpose(f, perm), tf.transpose(i, perm), tf.transpose(b, perm)];
  };
  await tf.setBackend('wasm');
  const got = tf.tidy(make);
  const gv = await Promise.all(got.map((t) => t.data()));
  await tf.setBackend('cpu');
  const want = tf.tidy(make);
  const wv = await Promise.all(want.map((t) => t.data()));
  await tf.setBackend('wasm');
  for (let k = 0; k < 3; k++) {
    expect(got[k]!.shape, `[${shape}] perm [${perm}]`).toEqual(want[k]!.shape);
    expect(Array.from(gv[k]!), `[${shape}] perm [${perm}] output ${k}`).toEqual(Array.from(wv[k]!));
  }
  tf.dispose([...got, ...want]);
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

describe('simplifyTranspose', () => {
  it('drops unit dims and merges dims that stay adjacent and in order', () => {
    expect(simplifyTranspose([2, 1, 3], [2, 1, 0])).toEqual({ shape: [2, 3], perm: [1, 0] });
    expect(simplifyTranspose([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ shape: [6, 20], perm: [1, 0] });
    expect(simplifyTranspose([2, 3, 4], [0, 1, 2])).toEqual({ shape: [24], perm: [0] });
    expect(simplifyTranspose([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
    // Swin's q/k/v split: nothing merges, the innermost dim stays
    expect(simplifyTranspose([128, 49, 3, 2, 16], [2, 0, 3, 1, 4])).toEqual({
      shape: [128, 49, 3, 2, 16],
      perm: [2, 0, 3, 1, 4],
    });
  });

  it('keeps the element order: the simplified transpose lists the same source indices', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 5 })
          .chain((shape) =>
            fc.tuple(fc.constant(shape), fc.shuffledSubarray([...shape.keys()], { minLength: shape.length })),
          ),
        ([shape, perm]) => {
          const order = (s: number[], p: number[]) => {
            const strides = s.map((_, d) => s.slice(d + 1).reduce((a, b) => a * b, 1));
            const out = p.map((d) => s[d] as number);
            const res: number[] = [];
            const idx = out.map(() => 0);
            for (let i = 0; i < tf.util.sizeFromShape(out); i++) {
              res.push(idx.reduce((a, v, j) => a + v * (strides[p[j] as number] as number), 0));
              for (let k = out.length - 1; k >= 0 && ++idx[k]! === out[k]; k--) idx[k] = 0;
            }
            return res;
          };
          const s = simplifyTranspose(shape, perm);
          expect(order(s.shape, s.perm)).toEqual(order(shape, perm));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('wasm Transpose repair', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    expect(info.repairedKernels).toContain('Transpose');
  });

  it('every permutation of ranks 1–4 matches cpu (the stock kernel on the simplified view)', async () => {
    for (const shape of [[5], [3, 9], [2, 3, 4], [2, 3, 2, 8], [3, 1, 2, 9]])
      for (const perm of permutations(shape.length)) await same(shape, perm);
  });

  it('ranks 5 and 6 match cpu, Swin’s q/k/v split and its inverse included', async () => {
    await same([6, 7, 3, 2, 16], [2, 0, 3, 1, 4]);
    await same([3, 6, 2, 7, 16], [1, 3, 0, 2, 4]);
    // every permutation of rank 5: rows (innermost dim stays) and single elements (it moves)
    for (const perm of permutations(5)) await same([2, 3, 2, 4, 3], perm);
    for (const perm of permutations(6).filter((_, i) => i % 37 === 0)) await same([2, 3, 3, 2, 2, 8], perm);
  });

  it('an empty tensor', async () => {
    await same([0, 3, 4, 2, 9], [2, 0, 3, 1, 4]);
  });

  it('gradient flows back through the repaired transpose, no leak', async () => {
    const x = tf.tensor(data(6 * 7 * 3 * 2 * 16, 3), [6, 7, 3, 2, 16]);
    const w = tf.tensor(data(6 * 7 * 3 * 2 * 16, 4), [3, 6, 2, 7, 16]);
    const grad = () =>
      tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.transpose(a, [2, 0, 3, 1, 4]), w)))(x));
    await expectNoLeak(() => grad().dispose());
    const g = grad();
    // d/dx sum(transpose(x) · w) = transpose⁻¹(w)
    const want = tf.transpose(w, [1, 3, 0, 2, 4]);
    expect(Array.from(await g.data())).toEqual(Array.from(await want.data()));
    tf.dispose([x, w, g, want]);
    const y = tf.tensor(data(2 * 9 * 3 * 16, 5), [2, 9, 3, 16]);
    await expectNoLeak(() => tf.tidy(() => tf.transpose(y, [0, 2, 1, 3])).dispose());
    y.dispose();
  });
});
