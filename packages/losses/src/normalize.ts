/**
 * Row-wise L2 normalisation, as PyTorch's `F.normalize(x, dim=-1)` (`x / max(‖x‖, 1e-12)`).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Smallest norm divided by (PyTorch's default `eps`). */
const EPS = 1e-12;

/**
 * L2-normalise every row of `x`. An all-zero row stays zero and has a finite (zero) gradient.
 *
 * @param x [B, D]
 * @returns [B, D], each row of unit norm (or zero)
 * @example
 * ```ts
 * l2Normalize(tf.tensor2d([[3, 4]])).print(); // [[0.6, 0.8]]
 * ```
 */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(x), 1, true); // [B, 1]
    // rsqrt(max(‖x‖², eps²)) = 1 / max(‖x‖, eps), with a zero gradient below eps instead of 0·∞.
    return tf.mul(x, tf.rsqrt(tf.maximum(sq, EPS * EPS))) as tf.Tensor2D;
  });
}
