/**
 * Belief scores `b = softmax_N(V · uᵀ)` (PIR_SPEC §2): how much the instruction trusts each visual token.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkTokens } from './validate.js';

/** Logit given to masked (padded) tokens before the softmax, as the released code's `masked_fill(-1e9)`. */
export const MASKED_LOGIT = -1e9;

/**
 * Belief scores: a raw dot product of every token with the instruction (no scaling), softmax over the
 * tokens. Masked tokens (mask 0) get score 0 exactly.
 *
 * @param tokens V [B, N, D] — projected local visual tokens
 * @param instruction u [B, D] or [B, 1, D] — projected instruction embedding
 * @param mask [B, N], 1 = keep (optional)
 * @returns [B, N], each row sums to 1
 * @example
 * ```ts
 * const v = tf.tensor3d([[[1, 0], [0, 1], [1, 1]]]); // [1, 3, 2]
 * beliefScores(v, tf.tensor2d([[2, 0]])).print();   // [[0.4683, 0.0634, 0.4683]]
 * ```
 */
export function beliefScores(tokens: tf.Tensor3D, instruction: tf.Tensor, mask?: tf.Tensor2D): tf.Tensor2D {
  const { b, d } = checkTokens('beliefScores', tokens, instruction, mask);
  return tf.tidy(() => {
    const u = tf.reshape(instruction, [b, d, 1]); // [B, D, 1]
    let logits = tf.reshape(tf.matMul(tokens, u), [b, -1]); // [B, N]
    if (mask !== undefined) {
      logits = tf.add(logits, tf.mul(tf.sub(1, tf.cast(mask, 'float32')), MASKED_LOGIT));
    }
    return tf.softmax(logits) as tf.Tensor2D;
  });
}
