/**
 * `@pir/losses` — the training losses of PIR (PIR_SPEC §4) as pure TensorFlow.js functions.
 *
 * - {@link multiPositiveInfoNCE}: PIR-ITR's contrastive loss (several captions of one image are positives);
 * - {@link clipLoss}: PIR-CLIP's contrastive loss;
 * - {@link tripletLoss}: VSE++ hinge loss (baselines);
 * - {@link affiliationLoss}: class-centre attribution loss;
 * - {@link pirItrLoss}, {@link pirClipLoss}: `L_c + λ · L_a` with the parts;
 * - {@link LearnableTemperature}, {@link LogitScale}: learnable τ and CLIP scale (tf.Variable + clamps).
 *
 * Every loss returns a `tf.Scalar` computed in `tf.tidy` with tf ops only, so gradients reach `v`, `t` and the
 * temperature variables. Import `@pir/runtime` (or `@tensorflow/tfjs-core/dist/register_all_gradients`)
 * before differentiating: tfjs-core alone registers no gradients.
 */
export { type AffiliationDirection, type AffiliationLossOptions, affiliationLoss } from './affiliation.js';
export { type ClipLossOptions, clipLoss } from './clip.js';
export {
  type PirClipLossOptions,
  type PirItrLossOptions,
  type PirLossParts,
  pirClipLoss,
  pirItrLoss,
} from './combined.js';
export { LossInputError } from './errors.js';
export { type InfoNCEOptions, multiPositiveInfoNCE } from './infonce.js';
export { equalityMatrix, type Ids, type Labels } from './labels.js';
export { LOGIT_SCALE_DEFAULTS, LogitScale, type LogitScaleConfig } from './logit_scale.js';
export { l2Normalize } from './normalize.js';
export type { CommonLossOptions } from './options.js';
export { type LogScaleLike, MAX_LOGIT_SCALE, type TemperatureLike } from './scale.js';
export {
  LearnableTemperature,
  type LearnableTemperatureConfig,
  TEMPERATURE_DEFAULTS,
} from './temperature.js';
export { type TripletLossOptions, tripletLoss } from './triplet.js';
export { assertFinite } from './validate.js';
