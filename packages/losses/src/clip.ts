/**
 * The CLIP loss — the PIR-CLIP contrastive loss L_c (PIR_SPEC §4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { diagonalCrossEntropy } from './cross_entropy.js';
import { l2Normalize } from './normalize.js';
import type { CommonLossOptions } from './options.js';
import {
  applyScaling,
  checkScaling,
  DEFAULT_LOG_SCALE,
  type LogScaleLike,
  resolveScaling,
  type TemperatureLike,
} from './scale.js';
import { checkEmbeddings, checkFiniteSync } from './validate.js';

/** Options of {@link clipLoss}. */
export interface ClipLossOptions extends CommonLossOptions {
  /** s in `logits = min(exp(s), 100) · V Tᵀ` (number, scalar tensor or {@link LogitScale}). Default log(1/0.07). */
  logScale?: LogScaleLike;
  /** Instead of `logScale`: logits = `V Tᵀ / τ`. */
  temperature?: TemperatureLike;
}

/**
 * CLIP's symmetric cross-entropy: `logits = min(exp(s), 100) · V Tᵀ`, target of row i = column i,
 * `L = ½ (CE(logits) + CE(logitsᵀ))`. Duplicated images in a batch are negatives here (as in CLIP); use
 * {@link multiPositiveInfoNCE} with `logScale` to treat them as positives.
 *
 * @param v [B, D] image embeddings (L2-normalised, or pass `normalize: true`)
 * @param t [B, D] caption embeddings; row i matches image row i
 * @returns [] scalar loss
 * @throws LossInputError on mismatched shapes or a bad scale
 * @example
 * ```ts
 * const v = tf.tensor2d([[1, 0], [0, 1]]);
 * clipLoss(v, v).print(); // ≈ 6e-7 (logits 14.29 vs 0: nearly perfect)
 * ```
 */
export function clipLoss(v: tf.Tensor2D, t: tf.Tensor2D, options: ClipLossOptions = {}): tf.Scalar {
  const where = 'clipLoss';
  checkEmbeddings(where, v, t);
  const scaling = resolveScaling(where, options, { logScale: DEFAULT_LOG_SCALE });
  checkScaling(where, scaling, options.validate === true);
  if (options.validate === true) checkFiniteSync(where, { v, t });
  return tf.tidy(() => {
    const vn = options.normalize === true ? l2Normalize(v) : v;
    const tn = options.normalize === true ? l2Normalize(t) : t;
    const logits = applyScaling(tf.matMul(vn, tn, false, true), scaling); // [B, B] image × caption
    const i2t = diagonalCrossEntropy(logits);
    const t2i = diagonalCrossEntropy(tf.transpose(logits) as tf.Tensor2D); // [B, B] caption × image
    return tf.mul(0.5, tf.add(i2t, t2i));
  });
}
