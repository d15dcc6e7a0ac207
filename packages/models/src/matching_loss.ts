/**
 * The training loss of PIR-ITR and of the VSE baseline (PIR_SPEC §4) as the model configurations choose it:
 * a matching loss `L_c` — multi-positive InfoNCE at a learned τ1 (`'contrastive'`) or the VSE++ triplet loss
 * (`'triplet'`) — plus `λ · L_a`, the affiliation loss at a learned τ2 (`'itr'` direction), when λ > 0.
 */
import {
  affiliationLoss,
  type Ids,
  type Labels,
  type LearnableTemperature,
  multiPositiveInfoNCE,
  type PirLossParts,
  pirItrLoss,
  tripletLoss,
} from '@pir/losses';
import * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './errors.js';

/** The matching loss `L_c` of a model: `'contrastive'` (multi-positive InfoNCE, τ1) or `'triplet'` (VSE++). */
export type MatchingLossKind = 'contrastive' | 'triplet';

/** The loss fields of PIR-ITR and VSE configurations (PIR_SPEC §4). */
export interface MatchingLossFields {
  /**
   * `L_c`: `'contrastive'` (default) — multi-positive symmetric InfoNCE `S = V Tᵀ / τ1` with τ1 learned
   * (`temp`); `'triplet'` — the VSE++ hinge on cosine similarities (no τ1: no `temp` parameter is created).
   */
  loss?: MatchingLossKind;
  /** Triplet only: the hinge margin α (0.2, VSE++). */
  margin?: number;
  /**
   * Triplet only: `true` (default, VSE++ "max violation") — the hardest negative per anchor; `false` — the sum
   * over every negative (VSE0). Either way rows of the same image are not negatives of each other (a batch
   * holds several captions of an image; VSE++'s own code, with one caption per image, does not mask them).
   */
  maxViolation?: boolean;
}

/** What {@link matchingLoss} needs besides the embeddings. */
export interface MatchingLossSetup {
  kind: MatchingLossKind;
  margin: number;
  maxViolation: boolean;
  /** τ1 (`'contrastive'` only). */
  temperature: LearnableTemperature | null;
  /** τ2 (λ > 0 only). */
  affiliationTemperature: LearnableTemperature | null;
  lambda: number;
}

/** Checks the loss fields; `where` names the class in errors. */
export function checkLossFields(where: string, c: Required<MatchingLossFields> & { lambda: number }): void {
  if (c.loss !== 'contrastive' && c.loss !== 'triplet')
    throw new ModelInputError(
      where,
      'loss',
      `loss must be 'contrastive' or 'triplet', got '${String(c.loss)}'`,
    );
  if (!(typeof c.margin === 'number' && Number.isFinite(c.margin) && c.margin >= 0))
    throw new ModelInputError(where, 'margin', `margin must be a finite number ≥ 0, got ${String(c.margin)}`);
  if (typeof c.maxViolation !== 'boolean')
    throw new ModelInputError(
      where,
      'maxViolation',
      `maxViolation must be true or false, got ${String(c.maxViolation)}`,
    );
  if (!(typeof c.lambda === 'number' && Number.isFinite(c.lambda) && c.lambda >= 0))
    throw new ModelInputError(where, 'lambda', `lambda must be a finite number ≥ 0, got ${String(c.lambda)}`);
}

/**
 * `L = L_c + λ·L_a` with its parts. `contrastive` holds `L_c` whichever kind it is; with λ = 0 the affiliation
 * loss is not computed and `affiliation` is 0.
 * @param v [B, D] image embeddings, L2-normalised
 * @param t [B, D] caption embeddings; row i matches image row i
 * @param imageIds [B] rows with the same id are positives (InfoNCE) / not negatives (triplet)
 * @param labels [B] scene labels (needed when λ > 0)
 */
export function matchingLoss(
  where: string,
  setup: MatchingLossSetup,
  v: tf.Tensor2D,
  t: tf.Tensor2D,
  imageIds: Ids,
  labels: Labels | undefined,
): PirLossParts {
  const { kind, lambda, temperature, affiliationTemperature } = setup;
  if (lambda > 0 && labels === undefined)
    throw new ModelInputError(
      where,
      'labels',
      `λ = ${lambda} > 0: the affiliation loss needs a scene label per row`,
    );
  if (kind === 'contrastive' && lambda > 0)
    return pirItrLoss(v, t, {
      imageIds,
      labels: labels as Labels,
      temperature: temperature as LearnableTemperature,
      affiliationTemperature: affiliationTemperature as LearnableTemperature,
      lambda,
    });
  const [loss, contrastive, affiliation] = tf.tidy(() => {
    const lc =
      kind === 'contrastive'
        ? multiPositiveInfoNCE(v, t, imageIds, { temperature: temperature as LearnableTemperature })
        : tripletLoss(v, t, {
            margin: setup.margin,
            reduction: setup.maxViolation ? 'hardest' : 'sum',
            imageIds,
          });
    if (lambda === 0) return [tf.clone(lc), lc, tf.scalar(0)];
    const la = affiliationLoss(v, t, labels as Labels, {
      temperature: affiliationTemperature as LearnableTemperature,
      direction: 'itr',
    });
    return [tf.add(lc, tf.mul(la, lambda)), lc, la];
  });
  return {
    loss: loss as tf.Scalar,
    contrastive: contrastive as tf.Scalar,
    affiliation: affiliation as tf.Scalar,
  };
}
