/**
 * The repaired wasm `Slice`/`SplitV` (no whole-input copy) against `cpu`: ranks 1–5, contiguous and strided
 * slices, float32/int32/bool, `tf.split` by count and by sizes, gradients, leaks.
 */
import { seededValues as data, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';

async function both(fn: () => tf.Tensor[]): Promise<void> {
  await tf.setBackend('wasm');
  const got = await Promise.all(
    tf.tidy(fn).map(async (t) => ({ shape: t.shape, dtype: t.dtype, v: await t.data(), t })),
  );
  await tf.setBackend('cpu');
  const want = await Promise.all(
    tf.tidy(fn).map(async (t) => ({ shape: t.shape, dtype: t.dtype, v: await t.data(), t })),
  );
  await tf.setBackend('wasm');
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    expect(got[i]!.shape).toEqual(want[i]!.shape);
    expect(got[i]!.dtype).toBe(want[i]!.dtype);
    await expectAllClose(
      Array.from(got[i]!.v as Float32Array),
      Array.from(want[i]!.v as Float32Array),
      { atol: 1e-6, rtol: 1e-6 },
      `output ${i}`,
    );
  }
  tf.dispose([...got.map((g) => g.t), ...want.map((w) => w.t)]);
}

describe('wasm Slice / SplitV repair', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    expect(info.repairedKernels).toEqual(expect.arrayContaining(['Slice', 'SplitV']));
  });

  const cases: { shape: number[]; begin: number[]; size: number[] }[] = [
    { shape: [10], begin: [3], size: [4] },
    { shape: [6, 8], begin: [1, 2], size: [3, 5] },
    { shape: [6, 8], begin: [2, 0], size: [3, -1] },
    { shape: [4, 5, 6], begin: [1, 1, 2], size: [2, 3, 3] },
    { shape: [4, 5, 6], begin: [1, 2, 0], size: [2, 2, 6] },
    { shape: [3, 4, 5, 6], begin: [0, 1, 0, 0], size: [3, 2, 5, 6] },
    { shape: [3, 4, 5, 6], begin: [1, 0, 2, 1], size: [2, 4, 2, 4] },
    { shape: [2, 3, 4, 5, 6], begin: [1, 1, 1, 1, 1], size: [1, 2, 3, 3, 4] },
    { shape: [5, 7], begin: [0, 0], size: [0, 7] },
  ];
  for (const c of cases) {
    it(`slice [${c.shape}] at [${c.begin}] size [${c.size}] matches cpu (float32, int32, bool)`, async () => {
      const n = tf.util.sizeFromShape(c.shape);
      await both(() => {
        const x = tf.tensor(data(n, 1), c.shape);
        const xi = tf.tensor(
          Array.from(data(n, 2), (v) => Math.round(v * 100)),
          c.shape,
          'int32',
        );
        const xb = tf.greater(x, 0);
        return [tf.slice(x, c.begin, c.size), tf.slice(xi, c.begin, c.size), tf.slice(xb, c.begin, c.size)];
      });
    });
  }

  it('split by count and by sizes along every axis matches cpu, with gradients', async () => {
    await both(() => {
      const x = tf.tensor(data(4 * 6 * 9, 3), [4, 6, 9]);
      const out: tf.Tensor[] = [];
      out.push(...tf.split(x, 3, 2), ...tf.split(x, [1, -1, 2], 1), ...tf.split(x, 2, 0));
      const w = tf.tensor(data(4 * 6 * 3, 4), [4, 6, 3]);
      const g = tf.grad((t: tf.Tensor) => {
        const [a, b, c] = tf.split(t, 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.sum(tf.mul(tf.add(tf.mul(a, w), tf.square(b)), c));
      })(x);
      const gs = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.slice(t, [1, 2, 3], [2, 3, 4]))))(x);
      out.push(g, gs);
      return out;
    });
  });

  it('leaks no tensor', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(data(4 * 6 * 9, 5), [4, 6, 9]);
    await expectNoLeak(() => tf.dispose(tf.split(x, 3, 2)), 'split');
    await expectNoLeak(() => tf.slice(x, [1, 1, 1], [2, 2, 2]).dispose(), 'slice');
    await expectNoLeak(
      () => tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(tf.split(t, 3, 2)[1]!))(x)),
      'split gradient',
    );
    x.dispose();
  });
});
