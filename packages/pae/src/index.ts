/**
 * `@pir/pae` — the progressive attention encoders of PIR (PIR_SPEC §3) for TensorFlow.js: trainable
 * multi-head attention, SA / CA blocks (post-LN, FFN with inner LayerNorm, exact GELU), PAEL,
 * Spatial-PAE, Temporal-PAE and the head + global fusion — as serializable `tf.layers.Layer`s and as pure
 * functions over a parameter record — plus state-dict loading with the released PIR module names.
 *
 * Import `@pir/runtime` (or tfjs's `register_all_gradients`) before training.
 */
// tfjs-layers registers tfjs-core's stock gradients when it loads; put @pir/runtime's corrected ones back
// (BatchMatMul with a broadcast operand) for code that differentiates through these layers.
import '@tensorflow/tfjs-layers';
import { registerRuntimeGradients } from '@pir/runtime';

registerRuntimeGradients();

export { type AttentionLayerArgs, PAE_DEFAULTS, PaeLayer, type PaeLayerArgs } from './base.js';
export { PaeInputError, StateDictError } from './errors.js';
export {
  type AttentionOptions,
  type BlockOptions,
  crossAttentionBlock,
  type DropoutOptions,
  feedForward,
  gelu,
  headFusion,
  LN_EPS,
  layerNorm,
  linear,
  MASKED_LOGIT,
  multiHeadAttention,
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
export { type ParamSpec, torchName } from './specs.js';
export {
  exportStateDict,
  fromTorchStateDict,
  type LoadStateDictOptions,
  loadStateDict,
  type StateDict,
  type StateDictEntry,
} from './state_dict.js';
