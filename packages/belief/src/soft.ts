/**
 * Soft belief (PIR-CLIP, PIR_SPEC §2): keep every token, re-weighted by its score and its rank.
 */
import * as tf from '@tensorflow/tfjs-core';
import { detach } from './constant.js';
import { BeliefInputError } from './errors.js';
import { beliefScores } from './scores.js';
import { checkFinite, checkTokens } from './validate.js';

/** Which formula {@link softBelief} implements. */
export type SoftBeliefVariant = 'paper' | 'released';

/** Options of {@link softBelief}. */
export interface SoftBeliefOptions {
  /**
   * - `'paper'` (default): `rank_j = 1 + Σ_k 1[b_k > b_j]` (ties share a rank), `w_j = 1/√rank_j`,
   *   `x'_j = x_j · (b_j + w_j)`;
   * - `'released'`: `w_j = 1/√(argsort_desc(b)[j] + 1)` (the weight indexed by the position of the j-th
   *   ranked token), `x'_j = x_j · (b_j + w_j)`, then L2-normalised across the token axis per channel.
   */
  variant?: SoftBeliefVariant;
  /** [B, N], 1 = keep: masked tokens score 0 and come out as zeros. */
  mask?: tf.Tensor2D;
  /**
   * Read the inputs and throw a {@link BeliefInputError} naming the first NaN or ±Infinity (argument
   * `'tokens'`, `'instruction'` or `'mask'`, and its position). Default `false`. It uses `dataSync()`, which
   * blocks: a debugging aid. Without it, non-finite inputs give non-finite tokens and arbitrary ranks.
   */
  validate?: boolean;
}

/** What {@link softBelief} returns. */
export interface SoftBeliefResult {
  /** [B, N, D] the re-weighted tokens. */
  tokens: tf.Tensor3D;
  /** [B, N] belief scores b (differentiable). */
  scores: tf.Tensor2D;
  /** [B, N] the rank weights w (constants: the rank has no gradient). */
  weights: tf.Tensor2D;
  /** [B, N] the total multiplier `b + w` of each token (masked tokens: 0). */
  multipliers: tf.Tensor2D;
}

/**
 * Soft belief. Gradients flow to the tokens and, through `b`, to V and u; the rank weights are constants.
 *
 * @param tokens V [B, N, D]
 * @param instruction u [B, D] or [B, 1, D]
 * @throws BeliefInputError for a bad shape or variant, and with `validate: true` for a NaN or ±Infinity input
 * @example
 * ```ts
 * const v = tf.tensor3d([[[1, 0], [0, 1]]]);                     // [1, 2, 2]
 * const { weights, tokens } = softBelief(v, tf.tensor2d([[1, 0]]));
 * weights.print(); // [[1, 0.7071]]   (ranks 1 and 2)
 * tokens.print();  // [[[1.7311, 0], [0, 0.9760]]]
 * ```
 */
export function softBelief(
  tokens: tf.Tensor3D,
  instruction: tf.Tensor,
  options: SoftBeliefOptions = {},
): SoftBeliefResult {
  const where = 'softBelief';
  const { b, n } = checkTokens(where, tokens, instruction, options.mask);
  const variant = options.variant ?? 'paper';
  if (variant !== 'paper' && variant !== 'released') {
    throw new BeliefInputError(where, 'variant', `variant must be 'paper' or 'released', got '${variant}'.`);
  }
  if (options.validate === true) checkFinite(where, { tokens, instruction, mask: options.mask });
  return tf.tidy(() => {
    const scores = beliefScores(tokens, instruction, options.mask);
    const s = detach(scores); // ranks are constants
    let weights: tf.Tensor2D;
    if (variant === 'paper') {
      // gt[b, j, k] = 1[b_k > b_j]
      const gt = tf.cast(tf.greater(tf.reshape(s, [b, 1, n]), tf.reshape(s, [b, n, 1])), 'float32');
      const rank = tf.add(tf.sum(gt, 2), 1); // [B, N]
      weights = tf.rsqrt(rank) as tf.Tensor2D;
    } else {
      const order = tf.cast(tf.topk(s, n, true).indices, 'float32'); // argsort_desc(b) [B, N]
      weights = tf.rsqrt(tf.add(order, 1)) as tf.Tensor2D;
    }
    let multipliers = tf.add(scores, weights) as tf.Tensor2D; // [B, N]
    if (options.mask !== undefined) multipliers = tf.mul(multipliers, tf.cast(options.mask, 'float32'));
    let out = tf.mul(tokens, tf.expandDims(multipliers, 2)) as tf.Tensor3D; // [B, N, D]
    if (variant === 'released') {
      // F.normalize(x, dim=1): per channel, across tokens
      const sq = tf.sum(tf.square(out), 1, true); // [B, 1, D]
      out = tf.mul(out, tf.rsqrt(tf.maximum(sq, 1e-24))) as tf.Tensor3D;
    }
    return { tokens: out, scores, weights, multipliers };
  });
}
