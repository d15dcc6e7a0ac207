/**
 * `linear`: `x · W + b` over the last axis — the one Linear of every `@pir/*` model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NnInputError } from '../errors.js';

/**
 * `x · kernel + bias` over the last axis of `x` (PyTorch's `F.linear` with the weight already in tfjs layout).
 *
 * With a bias, the gradient is written out (`dx = dy·Wᵀ`, `dW = xᵀ·dy`, `db = 1ᵀ·dy`) so the bias gradient
 * is one GEMM instead of an axis-0 `sum` (on wasm ~10× faster: its `Sum` transposes first).
 *
 * @param x [..., in]
 * @param kernel [in, out] — the variable of a `'linear'`-layout {@link ParamSpec} (PyTorch's weight
 *   transposed); for a PyTorch-layout [out, in] tensor use {@link linearTorch}
 * @param bias [out], or null
 * @returns [..., out]
 * @example
 * ```ts
 * linear(tf.ones([2, 3]), tf.ones([3, 4]), tf.zeros([4])).arraySync(); // [[3, 3, 3, 3], [3, 3, 3, 3]]
 * ```
 */
export function linear(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null = null): tf.Tensor {
  const inF = x.shape[x.rank - 1] as number;
  if (kernel.rank !== 2 || kernel.shape[0] !== inF) {
    throw new NnInputError(
      'linear',
      'kernel',
      `kernel must be [${inF}, out] for x of shape [${x.shape.join(', ')}], got [${kernel.shape.join(', ')}]`,
    );
  }
  const outF = kernel.shape[1] as number;
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== outF)) {
    throw new NnInputError('linear', 'bias', `bias must be [${outF}], got [${bias.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, inF]); // [N, in]
    const y =
      bias === null
        ? tf.matMul(x2 as tf.Tensor2D, kernel as tf.Tensor2D)
        : linearWithBias(x2 as tf.Tensor2D, kernel as tf.Tensor2D, bias); // [N, out]
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outF]); // [..., out]
  });
}

const linearWithBias = tf.customGrad((...args: unknown[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D; // [rows, out]
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const ones = tf.ones([1, g.shape[0]]) as tf.Tensor2D;
      return [
        tf.matMul(g, ws, false, true), // dx [rows, in]
        tf.matMul(xs, g, true, false), // dW [in, out]
        tf.reshape(tf.matMul(ones, g), [g.shape[1]]), // db [out]
      ];
    },
  };
}) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor) => tf.Tensor2D;

/**
 * {@link linear} with a PyTorch-layout weight [out, in] (`F.linear`). Slower on wasm (the weight is transposed
 * on each call); for one-off use and tests.
 */
export function linearTorch(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null = null): tf.Tensor {
  return tf.tidy(() => linear(x, tf.transpose(weight), bias));
}
