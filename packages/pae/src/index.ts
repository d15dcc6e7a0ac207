/**
 * `@pir/pae` — the progressive attention encoders of PIR (PIR_SPEC §3) for TensorFlow.js: trainable
 * multi-head attention, SA / CA blocks (post-LN, FFN with inner LayerNorm, exact GELU), PAEL,
 * Spatial-PAE, Temporal-PAE and the head + global fusion — as serializable `tf.layers.Layer`s and as pure
 * functions over a parameter record.
 *
 * Parameters use the released PIR checkpoints' names; loading and exporting state dicts is `@pir/nn`'s one
 * `loadStateDict` / `stateDict` (re-exported here): every layer is a `HasParameters`.
 *
 * Import `@pir/runtime` (or tfjs's `register_all_gradients`) before training.
 */
// @pir/runtime registers tfjs's gradients with its corrections (whatever the import order)
import '@pir/runtime';

export { type ParamSpec, type StateDict, type StateDictLike, stateDict } from '@pir/nn';
export {
  AttentionLayer,
  type AttentionLayerArgs,
  PAE_DEFAULTS,
  PaeLayer,
  type PaeLayerArgs,
  type Shape,
} from './base.js';
// Names of @pir/pae 0.1 that are deprecated (see each), kept for one release.
export * from './deprecated.js';
export { PaeInputError, StateDictError } from './errors.js';
export {
  type AttentionOptions,
  type BlockOptions,
  crossAttentionBlock,
  type DropoutOptions,
  feedForward,
  headFusion,
  mhatt,
  type PaeOptions,
  type Params,
  pael,
  selfAttentionBlock,
  spatialPae,
  temporalPae,
} from './functional.js';
export {
  CrossAttention,
  FeedForward,
  type Kwargs,
  MultiHeadAttention,
  type NamedArgs,
  PAEL,
  PaeHead,
  type PaeHeadArgs,
  type PaeStackArgs,
  SelfAttention,
  SpatialPAE,
  TemporalPAE,
} from './layers.js';
export { caSpecs, ffnSpecs, mhaSpecs, paeSpecs, saSpecs } from './specs.js';
export {
  fromTorchStateDict,
  type LoadReport,
  type LoadStateDictOptions,
  loadStateDict,
} from './state_dict.js';
