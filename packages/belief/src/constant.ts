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
 */
export function detach<T extends tf.Tensor>(x: T): T {
  const engine = tf.engine();
  // The new tensor shares the data buffer: count the extra reference, as `reshape` does.
  (engine.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype) as T;
}
