/**
 * Kernels the stock wasm backend lacks, against `cpu`: `UnsortedSegmentSum` (gradient of gather),
 * `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`
 * — values of `tf.grad` through gather / conv2d / depthwiseConv2d, and leaks.
 */
import { seededValues as data, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { _setIm2colLimit } from '../src/kernels/conv_backprop.js';

const TOL = { atol: 3e-4, rtol: 3e-4 };

type Input = { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' };

async function run(backend: 'wasm' | 'cpu', inputs: Input[], fn: (...xs: tf.Tensor[]) => tf.Tensor[]) {
  await tf.setBackend(backend);
  const xs = inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype ?? 'float32'));
  const ys = fn(...xs);
  const out = await Promise.all(ys.map(async (y) => ({ shape: y.shape, values: await y.data() })));
  tf.dispose([...xs, ...ys]);
  return out;
}

async function compare(
  what: string,
  inputs: Input[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<void> {
  const got = await run('wasm', inputs, fn);
  const want = await run('cpu', inputs, fn);
  await tf.setBackend('wasm');
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    expect(got[i]!.shape, `${what} output ${i}: shape`).toEqual(want[i]!.shape);
    await expectAllClose(got[i]!.values, want[i]!.values, TOL, `${what} output ${i}`);
  }
}

const f = (shape: number[], seed: number): Input => ({
  shape,
  values: data(tf.util.sizeFromShape(shape), seed),
});

describe('wasm kernels added by @pir/runtime', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    for (const k of [
      'UnsortedSegmentSum',
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'Einsum',
    ]) {
      expect(info.repairedKernels).toContain(k);
    }
  });

  describe('UnsortedSegmentSum', () => {
    it('matches cpu (float32, ids out of range dropped)', async () => {
      const ids1: Input = { shape: [6], values: new Int32Array([0, 2, 2, -1, 4, 0]), dtype: 'int32' };
      await compare('segment sum rank-1 ids', [f([6, 3], 1), ids1], (x, ids) => [
        tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 4),
      ]);
    });

    it('matches cpu for int32 data', async () => {
      const x: Input = { shape: [4, 2], values: new Int32Array([1, 2, 3, 4, 5, 6, 7, 8]), dtype: 'int32' };
      const ids: Input = { shape: [4], values: new Int32Array([1, 1, 0, 1]), dtype: 'int32' };
      await compare('segment sum int32', [x, ids], (a, i) => [tf.unsortedSegmentSum(a, i as tf.Tensor1D, 2)]);
    });

    it('gives the gradient of gather (embedding lookup), also with repeated and multi-dim indices', async () => {
      const idx: Input = {
        shape: [2, 5],
        values: new Int32Array([3, 1, 3, 0, 7, 7, 7, 2, 1, 0]),
        dtype: 'int32',
      };
      await compare('grad gather axis 0', [f([8, 6], 3), idx, f([2, 5, 6], 4)], (table, i, w) => [
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, i!), w!)))(table!),
      ]);
      const idx1: Input = { shape: [3], values: new Int32Array([2, 0, 2]), dtype: 'int32' };
      await compare('grad gather axis 1', [f([4, 3, 5], 5), idx1, f([4, 3, 5], 6)], (t0, i, w) => [
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, i!, 1), w!)))(t0!),
      ]);
    });
  });

  describe('Conv2DBackpropFilter', () => {
    const cases: {
      name: string;
      x: number[];
      k: number[];
      s: number | [number, number];
      pad: 'same' | 'valid' | number;
    }[] = [
      { name: '3×3 same stride 1', x: [2, 7, 6, 3], k: [3, 3, 3, 4], s: 1, pad: 'same' },
      { name: '3×3 valid stride 2', x: [2, 9, 8, 5], k: [3, 3, 5, 2], s: 2, pad: 'valid' },
      { name: '1×1 (pointwise)', x: [3, 4, 4, 17], k: [1, 1, 17, 8], s: 1, pad: 'valid' },
      // (numeric padding is left out: the stock wasm Conv2D forward computes wrong output shapes with it)
      { name: '5×3 same, strides [2,1]', x: [1, 8, 7, 20], k: [5, 3, 20, 3], s: [2, 1], pad: 'same' },
    ];
    for (const c of cases) {
      it(`${c.name}: gradients of conv2d match cpu`, async () => {
        await compare(`conv2d ${c.name}`, [f(c.x, 7), f(c.k, 8)], (x, k) => {
          const loss = (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad)));
          return tf.grads(loss)([x!, k!]);
        });
      });
    }

    it('NCHW kernel call matches cpu', async () => {
      await compare('conv2DBackpropFilter NCHW', [f([2, 3, 6, 5], 9), f([2, 4, 6, 5], 10)], (x, dy) => [
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: x!, dy: dy! },
            { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] },
          ) as tf.Tensor,
      ]);
    });

    it('processes large batches in im2col chunks with the same result', async () => {
      const prev = _setIm2colLimit(2 * 10 * 10 * 3 * 3 * 8); // two images per chunk
      try {
        await compare('conv2d chunked', [f([5, 10, 10, 8], 11), f([3, 3, 8, 4], 12)], (x, k) => [
          tf.grad((b: tf.Tensor) =>
            tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))),
          )(k!),
        ]);
      } finally {
        _setIm2colLimit(prev);
      }
    });
  });

  describe('depthwiseConv2d gradients', () => {
    const cases: {
      name: string;
      x: number[];
      k: number[];
      s: number | [number, number];
      d: number | [number, number];
      pad: 'same' | 'valid';
    }[] = [
      { name: 'multiplier 1, same', x: [2, 7, 6, 4], k: [3, 3, 4, 1], s: 1, d: 1, pad: 'same' },
      { name: 'multiplier 3, valid stride 2', x: [2, 9, 8, 3], k: [3, 3, 3, 3], s: 2, d: 1, pad: 'valid' },
    ];
    for (const c of cases) {
      it(`${c.name}: gradients w.r.t. input and filter match cpu`, async () => {
        await compare(`depthwise ${c.name}`, [f(c.x, 13), f(c.k, 14)], (x, k) => {
          const loss = (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(
              tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d)),
            );
          return tf.grads(loss)([x!, k!]);
        });
      });
    }

    it('kernels with dilation 2 equal undilated kernels with a zero-inserted filter (cpu)', async () => {
      // tfjs has no gradient for dilated depthwise and its cpu kernels ignore dilations, so the reference is
      // the undilated 5×5 problem: dW = every other tap of its filter gradient; dx uses the 5×5 filter with
      // zeros between the taps.
      const x = f([1, 9, 9, 2], 15);
      const dy = f([1, 9, 9, 4], 16);
      const k = f([3, 3, 2, 2], 17);
      const big = new Float32Array(5 * 5 * 2 * 2);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++)
          big.set(k.values.subarray((i * 3 + j) * 4, (i * 3 + j + 1) * 4), (2 * i * 5 + 2 * j) * 4);
      }
      const got = await run('wasm', [x, dy, k], (xx, d, kk) => [
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: xx!, dy: d! },
            { strides: 1, dilations: 2, pad: 'same', filterShape: [3, 3, 2, 2] },
          ) as tf.Tensor,
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: d!, filter: kk! },
            { strides: 1, dilations: 2, pad: 'same', inputShape: [1, 9, 9, 2] },
          ) as tf.Tensor,
      ]);
      const want = await run('cpu', [x, dy, { shape: [5, 5, 2, 2], values: big }], (xx, d, kk) => {
        const dw5 = tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: xx!, dy: d! },
            { strides: 1, dilations: 1, pad: 'same', filterShape: [5, 5, 2, 2] },
          ) as tf.Tensor;
        const dw = tf.stridedSlice(dw5, [0, 0, 0, 0], [5, 5, 2, 2], [2, 2, 1, 1]);
        const dx = tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: d!, filter: kk! },
            { strides: 1, dilations: 1, pad: 'same', inputShape: [1, 9, 9, 2] },
          ) as tf.Tensor;
        dw5.dispose();
        return [dw, dx];
      });
      await tf.setBackend('wasm');
      for (let i = 0; i < 2; i++) {
        expect(got[i]!.shape).toEqual(want[i]!.shape);
        await expectAllClose(got[i]!.values, want[i]!.values, TOL, `dilated depthwise output ${i}`);
      }
    });
  });

  describe('Einsum', () => {
    const cases: { eq: string; shapes: number[][] }[] = [
      {
        eq: 'ij,jk->ik',
        shapes: [
          [3, 4],
          [4, 5],
        ],
      },
      {
        eq: 'bij,bjk->bik',
        shapes: [
          [2, 3, 4],
          [2, 4, 5],
        ],
      },
      { eq: 'i,j->ij', shapes: [[3], [4]] },
      { eq: 'ij->ji', shapes: [[3, 4]] },
      { eq: 'ij->i', shapes: [[3, 4]] },
      { eq: 'ij->ij', shapes: [[3, 4]] },
      {
        eq: 'ij,ij->i',
        shapes: [
          [3, 4],
          [3, 4],
        ],
      },
    ];
    for (const c of cases) {
      it(`'${c.eq}' matches cpu`, async () => {
        await compare(
          `einsum ${c.eq}`,
          c.shapes.map((s, i) => f(s, 20 + i)),
          (...xs) => [tf.einsum(c.eq, ...xs)],
        );
      });
    }

    it('leaks no tensor and never aliases its input', async () => {
      await tf.setBackend('wasm');
      const a = tf.tensor(data(12, 1), [3, 4]);
      const b = tf.tensor(data(20, 2), [4, 5]);
      await expectNoLeak(() => tf.einsum('ij,jk->ik', a, b).dispose(), 'einsum ij,jk->ik');
      await expectNoLeak(() => tf.einsum('ij->ji', a).dispose(), 'einsum ij->ji');
      const same = tf.einsum('ij->ij', a);
      same.dispose();
      expect(Array.from(await a.data())).toEqual(Array.from(data(12, 1)));
      tf.dispose([a, b]);
    });
  });

  it('leaks no tensor', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(data(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]) as tf.Tensor4D;
    const k = tf.tensor(data(3 * 3 * 3 * 2, 2), [3, 3, 3, 2]) as tf.Tensor4D;
    const dk = tf.tensor(data(3 * 3 * 3 * 2, 3), [3, 3, 3, 2]) as tf.Tensor4D;
    const table = tf.tensor(data(20, 4), [5, 4]);
    const idx = tf.tensor1d([0, 3, 3], 'int32');
    await expectNoLeak(
      () =>
        tf.dispose(
          tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')),
          )([x, k]),
        ),
      'conv2d gradients',
    );
    await expectNoLeak(
      () =>
        tf.dispose(
          tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')),
          )([x, dk]),
        ),
      'depthwise gradients',
    );
    await expectNoLeak(
      () => tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, idx)))(table)),
      'gather gradient',
    );
    tf.dispose([x, k, dk, table, idx]);
  });
});
