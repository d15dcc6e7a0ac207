/**
 * The total PIR losses `L = L_c + λ · L_a` for PIR-ITR and PIR-CLIP, with the parts for logging.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type AffiliationDirection, affiliationLoss } from './affiliation.js';
import { clipLoss } from './clip.js';
import { LossInputError } from './errors.js';
import { multiPositiveInfoNCE } from './infonce.js';
import type { Ids, Labels } from './labels.js';
import type { CommonLossOptions } from './options.js';
import { checkScaling, DEFAULT_LOG_SCALE, type LogScaleLike, type TemperatureLike } from './scale.js';
import { checkEmbeddings, checkFiniteSync } from './validate.js';

/** A total loss and its parts, all scalars owned by the caller (dispose them, or call inside `tf.tidy`). */
export interface PirLossParts {
  /** `L = L_c + λ · L_a` — minimise this. */
  loss: tf.Scalar;
  /** L_c, the contrastive part. */
  contrastive: tf.Scalar;
  /** L_a, the affiliation part (before λ). */
  affiliation: tf.Scalar;
}

/** Options of {@link pirItrLoss}. */
export interface PirItrLossOptions extends CommonLossOptions {
  /** Image id per row (positives of the multi-positive InfoNCE). */
  imageIds: Ids;
  /** Scene class per row (affiliation centres). */
  labels: Labels;
  /** τ1 of the contrastive loss. Default 0.07. */
  temperature?: TemperatureLike;
  /** τ2 of the affiliation loss. Default 0.07. */
  affiliationTemperature?: TemperatureLike;
  /** λ ("center scale"). Default 1. */
  lambda?: number;
  /** Affiliation pairing. Default `'itr'` (released PIR-ITR code). */
  direction?: AffiliationDirection;
}

/** Options of {@link pirClipLoss}. */
export interface PirClipLossOptions extends CommonLossOptions {
  /** Scene class per row (affiliation centres). */
  labels: Labels;
  /** CLIP log-scale s, shared by both parts (number, tensor or `LogitScale`). Default log(1/0.07). */
  logScale?: LogScaleLike;
  /** λ ("center scale"). Default 1. */
  lambda?: number;
  /** Affiliation pairing. Default `'clip'` (PIR-CLIP). */
  direction?: AffiliationDirection;
}

function checkLambda(where: string, lambda: number): void {
  if (!Number.isFinite(lambda)) {
    throw new LossInputError(where, 'lambda', `lambda must be a finite number, got ${lambda}.`);
  }
}

/** `[L, L_c, L_a]` from the parts; call inside `tf.tidy`. */
function combine(lc: tf.Scalar, la: tf.Scalar, lambda: number): tf.Scalar[] {
  return [tf.add(lc, tf.mul(la, lambda)), lc, la];
}

function parts([loss, contrastive, affiliation]: tf.Tensor[]): PirLossParts {
  return {
    loss: loss as tf.Scalar,
    contrastive: contrastive as tf.Scalar,
    affiliation: affiliation as tf.Scalar,
  };
}

/**
 * PIR-ITR's training loss: multi-positive symmetric InfoNCE at τ1 plus λ × the affiliation loss at τ2.
 *
 * @param v [B, D] image embeddings
 * @param t [B, D] caption embeddings; row i matches image row i
 * @returns `{ loss, contrastive, affiliation }`, three scalars the caller owns
 * @throws LossInputError as the parts do, naming `pirItrLoss`
 * @example
 * ```ts
 * const tau1 = new LearnableTemperature();
 * const tau2 = new LearnableTemperature();
 * const { loss, contrastive, affiliation } = pirItrLoss(v, t, {
 *   imageIds: [0, 0, 1, 2], labels: ['farm', 'farm', 'port', 'farm'],
 *   temperature: tau1, affiliationTemperature: tau2,
 * });
 * console.log(await contrastive.data(), await affiliation.data());
 * tf.dispose([loss, contrastive, affiliation]);
 * ```
 */
export function pirItrLoss(v: tf.Tensor2D, t: tf.Tensor2D, options: PirItrLossOptions): PirLossParts {
  const where = 'pirItrLoss';
  checkEmbeddings(where, v, t);
  const lambda = options.lambda ?? 1;
  checkLambda(where, lambda);
  const validate = options.validate === true;
  const tau1 = options.temperature ?? 0.07;
  const tau2 = options.affiliationTemperature ?? 0.07;
  checkScaling(where, { temperature: tau1 }, validate, 'temperature');
  checkScaling(where, { temperature: tau2 }, validate, 'affiliationTemperature');
  if (validate) checkFiniteSync(where, { v, t });
  // The parts re-check shapes and ids/labels (metadata only); the data is read at most once, here.
  const common = options.normalize === undefined ? {} : { normalize: options.normalize };
  const out = tf.tidy(() => {
    const lc = multiPositiveInfoNCE(v, t, options.imageIds, { ...common, temperature: tau1 });
    const la = affiliationLoss(v, t, options.labels, {
      ...common,
      temperature: tau2,
      direction: options.direction ?? 'itr',
    });
    return combine(lc, la, lambda);
  });
  return parts(out);
}

/**
 * PIR-CLIP's fine-tuning loss: the CLIP loss plus λ × the affiliation loss, both with the same CLIP logit scale.
 *
 * @param v [B, D] image embeddings
 * @param t [B, D] caption embeddings; row i matches image row i
 * @returns `{ loss, contrastive, affiliation }`, three scalars the caller owns
 * @throws LossInputError as the parts do, naming `pirClipLoss`
 * @example
 * ```ts
 * const scale = new LogitScale();
 * const parts = pirClipLoss(v, t, { labels: [3, 3, 5, 9], logScale: scale });
 * parts.loss.print();
 * tf.dispose([parts.loss, parts.contrastive, parts.affiliation]);
 * ```
 */
export function pirClipLoss(v: tf.Tensor2D, t: tf.Tensor2D, options: PirClipLossOptions): PirLossParts {
  const where = 'pirClipLoss';
  checkEmbeddings(where, v, t);
  const lambda = options.lambda ?? 1;
  checkLambda(where, lambda);
  const validate = options.validate === true;
  const logScale = options.logScale ?? DEFAULT_LOG_SCALE;
  checkScaling(where, { logScale }, validate, 'logScale');
  if (validate) checkFiniteSync(where, { v, t });
  const common = options.normalize === undefined ? {} : { normalize: options.normalize };
  const out = tf.tidy(() => {
    const lc = clipLoss(v, t, { ...common, logScale });
    const la = affiliationLoss(v, t, options.labels, {
      ...common,
      logScale,
      direction: options.direction ?? 'clip',
    });
    return combine(lc, la, lambda);
  });
  return parts(out);
}
