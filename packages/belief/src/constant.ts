/**
 * A stop-gradient for tfjs: the indices of a top-k or the ranks of the scores must act as constants in the
 * backward pass (no backend has a gradient for `TopK` or comparisons, and the tape would otherwise ask for
 * one, or for an integer gradient through `gather`'s indices).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * A new tensor sharing `x`'s data but not recorded on the gradient tape, like PyTorch's `x.detach()`: ops
 * computed from it are constants for `tf.grad` / `optimizer.minimize`. No copy is made; it is tracked by
 * the enclosing `tidy` like any tensor (dispose it like any tensor).
 *
 * @param x any tensor, e.g. scores [B, N]
 * @returns a tensor of the same shape, dtype and values, off the gradient tape
 * @example
 * ```ts
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, detach(x))))(tf.tensor1d([3]));
 * g.print(); // [3]: d(x · c)/dx with c = x held constant
 * ```
 */
export function detach<T extends tf.Tensor>(x: T): T {
  const engine = tf.engine();
  // The new tensor shares the data buffer: count the extra reference, as `reshape` does.
  (engine.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype) as T;
}
