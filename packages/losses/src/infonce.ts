/**
 * Multi-positive symmetric InfoNCE — the PIR-ITR contrastive loss L_c (PIR_SPEC §4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { softTargetCrossEntropy } from './cross_entropy.js';
import { equalityMatrix, type Ids } from './labels.js';
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

/** Options of {@link multiPositiveInfoNCE}. */
export interface InfoNCEOptions extends CommonLossOptions {
  /** τ1 in `S = V Tᵀ / τ1` (number, scalar tensor or {@link LearnableTemperature}). Default 0.07. */
  temperature?: TemperatureLike;
  /** Instead of `temperature`: logits = `min(exp(s), 100) · V Tᵀ` (CLIP-style scale). */
  logScale?: LogScaleLike;
}

/** PIR-ITR's initial τ1. */
const DEFAULT_TEMPERATURE = 0.07;

/**
 * Multi-positive symmetric InfoNCE:
 *
 * `S = V Tᵀ / τ`, `P_ij = 1[img(i) = img(j)] / Σ_j 1[img(i) = img(j)]`,
 * `L = ½ (mean_i −Σ_j P_ij log softmax_j S_i· + mean_j −Σ_i P_ij log softmax_i S_·j)`.
 *
 * Every caption of the same image in the batch is a positive (not a negative). With all ids distinct this is
 * the standard symmetric InfoNCE / CLIP loss at temperature τ. Batch size 1 gives 0.
 *
 * @param v [B, D] image embeddings (L2-normalised, or pass `normalize: true`)
 * @param t [B, D] caption embeddings; row i is the caption paired with image row i
 * @param imageIds [B] image id of each row (`number[]`, `Int32Array` or int32 tensor)
 * @returns [] scalar loss (gradients flow to v, t and a tensor/learnable temperature)
 * @throws LossInputError on mismatched shapes, ids of the wrong length, τ ≤ 0
 * @example
 * ```ts
 * const v = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
 * const t = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
 * multiPositiveInfoNCE(v, t, [7, 8, 7]).print(); // ≈ 0.4621 = ⅔ · log 2 (rows 0 and 2: two positives each)
 * ```
 */
export function multiPositiveInfoNCE(
  v: tf.Tensor2D,
  t: tf.Tensor2D,
  imageIds: Ids,
  options: InfoNCEOptions = {},
): tf.Scalar {
  const where = 'multiPositiveInfoNCE';
  const batch = checkEmbeddings(where, v, t);
  const scaling = resolveScaling(where, options, { temperature: DEFAULT_TEMPERATURE });
  checkScaling(where, scaling, options.validate === true);
  if (options.validate === true) checkFiniteSync(where, { v, t });
  return tf.tidy(() => {
    const eq = equalityMatrix(imageIds, batch, where, 'imageIds'); // [B, B]
    const targets = tf.div(eq, tf.sum(eq, 1, true)) as tf.Tensor2D; // [B, B], rows sum to 1; symmetric
    const vn = options.normalize === true ? l2Normalize(v) : v;
    const tn = options.normalize === true ? l2Normalize(t) : t;
    const s = applyScaling(tf.matMul(vn, tn, false, true), scaling); // [B, B] image × caption
    const i2t = softTargetCrossEntropy(s, targets);
    const t2i = softTargetCrossEntropy(tf.transpose(s) as tf.Tensor2D, targets); // [B, B] caption × image
    return tf.mul(0.5, tf.add(i2t, t2i));
  });
}
