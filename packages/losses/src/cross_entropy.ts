/**
 * Row-wise cross-entropies on [B, B] logit matrices, the building block of every contrastive loss here.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * `mean_i −Σ_j P_ij · log softmax_j(logits_i·)`: cross-entropy with soft targets, averaged over rows.
 * Call inside `tf.tidy`.
 * @param logits [B, C]
 * @param targets [B, C], rows summing to 1
 * @returns [] scalar
 */
export function softTargetCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const logp = tf.logSoftmax(logits, -1); // [B, C]
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, logp), 1))) as tf.Scalar;
}

/**
 * `mean_i −log softmax_i(logits_i·)`: cross-entropy whose target for row i is column i (the diagonal), as
 * `F.cross_entropy(logits, arange(B))`. Call inside `tf.tidy`.
 * @param logits [B, B]
 * @returns [] scalar
 */
export function diagonalCrossEntropy(logits: tf.Tensor2D): tf.Scalar {
  const b = logits.shape[0];
  return softTargetCrossEntropy(logits, tf.eye(b) as tf.Tensor2D);
}
