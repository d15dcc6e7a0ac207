/**
 * VSE++ triplet ranking loss — the baselines' loss (PIR_SPEC §4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError } from './errors.js';
import { equalityMatrix, type Ids } from './labels.js';
import { l2Normalize } from './normalize.js';
import type { CommonLossOptions } from './options.js';
import { checkEmbeddings, checkFiniteSync } from './validate.js';

/** Options of {@link tripletLoss}. */
export interface TripletLossOptions extends CommonLossOptions {
  /** Hinge margin α. Default 0.2 (VSE++). */
  margin?: number;
  /**
   * `'sum'`: sum the hinge over all negatives (VSE0); `'hardest'`: only the hardest negative per anchor
   * (VSE++ "max violation"). Default `'sum'`.
   */
  reduction?: 'sum' | 'hardest';
  /**
   * Image id per row. When given, rows showing the same image as the anchor are **not** negatives (masked,
   * like the diagonal). When omitted, every off-diagonal pair is a negative — VSE++'s behaviour, which
   * penalises a second caption of the same image in the batch.
   */
  imageIds?: Ids;
}

/**
 * VSE++ hinge loss on cosine similarities `S = V Tᵀ` (no temperature):
 *
 * `cost_s(i, j) = [α + S_ij − S_ii]₊` (image i, negative caption j),
 * `cost_im(i, j) = [α + S_ij − S_jj]₊` (caption j, negative image i), positives/masked pairs set to 0;
 * `'sum'`: `L = Σ_ij cost_s + Σ_ij cost_im`; `'hardest'`: `L = Σ_i max_j cost_s(i, j) + Σ_j max_i cost_im(i, j)`.
 *
 * Both directions are **summed** over the batch (not averaged), as in VSE++ (`ContrastiveLoss`). Batch size 1
 * gives 0. With ties for the hardest negative the gradient goes to every tied entry (tfjs `max`), where PyTorch
 * picks one; ties have probability zero for real embeddings.
 *
 * @param v [B, D] image embeddings (L2-normalised, or pass `normalize: true`)
 * @param t [B, D] caption embeddings; row i matches image row i
 * @returns [] scalar loss
 * @throws LossInputError on mismatched shapes, a negative margin, ids of the wrong length
 * @example
 * ```ts
 * const v = tf.tensor2d([[1, 0], [0, 1]]);
 * const t = tf.tensor2d([[0.6, 0.8], [0.8, 0.6]]);
 * tripletLoss(v, t, { reduction: 'hardest' }).print(); // 1.6 (four violations of 0.2 + 0.8 − 0.6)
 * ```
 */
export function tripletLoss(v: tf.Tensor2D, t: tf.Tensor2D, options: TripletLossOptions = {}): tf.Scalar {
  const where = 'tripletLoss';
  const batch = checkEmbeddings(where, v, t);
  const margin = options.margin ?? 0.2;
  const reduction = options.reduction ?? 'sum';
  if (!(Number.isFinite(margin) && margin >= 0)) {
    throw new LossInputError(where, 'margin', `margin must be a finite number ≥ 0, got ${margin}.`);
  }
  if (reduction !== 'sum' && reduction !== 'hardest') {
    throw new LossInputError(
      where,
      'reduction',
      `reduction must be 'sum' or 'hardest', got '${String(reduction)}'.`,
    );
  }
  if (options.validate === true) checkFiniteSync(where, { v, t });
  return tf.tidy(() => {
    const vn = options.normalize === true ? l2Normalize(v) : v;
    const tn = options.normalize === true ? l2Normalize(t) : t;
    const s = tf.matMul(vn, tn, false, true); // [B, B] image × caption
    const eye = tf.eye(batch);
    const diag = tf.sum(tf.mul(s, eye), 1); // [B] S_ii
    const mask =
      options.imageIds === undefined ? eye : equalityMatrix(options.imageIds, batch, where, 'imageIds'); // [B, B]
    const keep = tf.sub(1, mask); // 1 for negatives
    const costS = tf.mul(tf.relu(tf.sub(tf.add(s, margin), tf.reshape(diag, [batch, 1]))), keep); // [B, B]
    const costIm = tf.mul(tf.relu(tf.sub(tf.add(s, margin), tf.reshape(diag, [1, batch]))), keep); // [B, B]
    if (reduction === 'hardest') {
      return tf.add(tf.sum(tf.max(costS, 1)), tf.sum(tf.max(costIm, 0)));
    }
    return tf.add(tf.sum(costS), tf.sum(costIm));
  });
}
