/**
 * Affiliation loss L_a — cluster-wise attribution of samples to their scene-class centres (PIR_SPEC §4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { diagonalCrossEntropy } from './cross_entropy.js';
import { LossInputError } from './errors.js';
import { equalityMatrix, type Labels } from './labels.js';
import { l2Normalize } from './normalize.js';
import type { CommonLossOptions } from './options.js';
import {
  applyScaling,
  checkScaling,
  type LogScaleLike,
  resolveScaling,
  type TemperatureLike,
} from './scale.js';
import { checkEmbeddings, checkFiniteSync } from './validate.js';

/** Which cross-entropy pairing the affiliation loss uses for its text side. */
export type AffiliationDirection = 'itr' | 'clip';

/** Options of {@link affiliationLoss}. */
export interface AffiliationLossOptions extends CommonLossOptions {
  /** τ2 in `A = V T̃ᵀ / τ2` (number, scalar tensor or {@link LearnableTemperature}). Default 0.07. */
  temperature?: TemperatureLike;
  /** Instead of `temperature`: `A = min(exp(s), 100) · V T̃ᵀ` — PIR-CLIP shares the CLIP logit scale. */
  logScale?: LogScaleLike;
  /**
   * `'itr'`: `½ (CE(A) + CE(Bmᵀ))` (released PIR-ITR code); `'clip'`: `½ (CE(A) + CE(Bm))` (PIR-CLIP).
   * Default `'itr'`.
   */
  direction?: AffiliationDirection;
}

/**
 * Affiliation loss. With `E_ij = 1[c(i) = c(j)]` and `C = E / rowsum(E)`:
 * class centres `Ĩ = C V`, `T̃ = C T` (row i = mean of its class, itself included; not re-normalised),
 * `A = V T̃ᵀ / τ2`, `Bm = T Ĩᵀ / τ2`, every row's target its own index:
 * `'itr'` → `½ (CE(A) + CE(Bmᵀ))`, `'clip'` → `½ (CE(A) + CE(Bm))`.
 *
 * Rows of one class share their centre, so k same-class samples give a floor of about log k — expected.
 * Batch size 1 gives 0.
 *
 * @param v [B, D] image embeddings
 * @param t [B, D] caption embeddings; row i matches image row i
 * @param labels [B] scene class per row (numbers, strings, `Int32Array` or int32 tensor)
 * @returns [] scalar loss
 * @throws LossInputError on mismatched shapes, labels of the wrong length, τ2 ≤ 0, an unknown direction
 * @example
 * ```ts
 * const v = tf.tensor2d([[1, 0], [0, 1], [0.6, 0.8]]);
 * affiliationLoss(v, v, ['farm', 'port', 'port'], { direction: 'clip' }).print(); // ≈ 0.4644
 * ```
 */
export function affiliationLoss(
  v: tf.Tensor2D,
  t: tf.Tensor2D,
  labels: Labels,
  options: AffiliationLossOptions = {},
): tf.Scalar {
  const where = 'affiliationLoss';
  const batch = checkEmbeddings(where, v, t);
  const direction = options.direction ?? 'itr';
  if (direction !== 'itr' && direction !== 'clip') {
    throw new LossInputError(
      where,
      'direction',
      `direction must be 'itr' or 'clip', got '${String(direction)}'.`,
    );
  }
  const scaling = resolveScaling(where, options, { temperature: 0.07 });
  checkScaling(where, scaling, options.validate === true);
  if (options.validate === true) checkFiniteSync(where, { v, t });
  return tf.tidy(() => {
    const eq = equalityMatrix(labels, batch, where, 'labels'); // [B, B]
    const avg = tf.div(eq, tf.sum(eq, 1, true)) as tf.Tensor2D; // [B, B] row i averages class c(i)
    const vn = options.normalize === true ? l2Normalize(v) : v;
    const tn = options.normalize === true ? l2Normalize(t) : t;
    const vCentre = tf.matMul(avg, vn); // [B, D] Ĩ
    const tCentre = tf.matMul(avg, tn); // [B, D] T̃
    const a = applyScaling(tf.matMul(vn, tCentre, false, true), scaling); // [B, B] image × text centre
    const bm = applyScaling(tf.matMul(tn, vCentre, false, true), scaling); // [B, B] text × image centre
    const second = direction === 'itr' ? (tf.transpose(bm) as tf.Tensor2D) : bm;
    return tf.mul(0.5, tf.add(diagonalCrossEntropy(a), diagonalCrossEntropy(second)));
  });
}
