/**
 * `@pir/nn` — one way to hold parameters in every `@pir/*` layer, encoder and model, and the primitives they
 * share.
 *
 * - **Parameters**: {@link ParamSpec} (PyTorch name and shape, tfjs layout, initialiser), {@link ParamStore}
 *   (the variables), {@link HasParameters} (what every layer, encoder and model implements), spec builders
 *   for `nn.Linear`, `nn.LayerNorm`, `nn.Conv2d`, `nn.BatchNorm2d`, `nn.Embedding`.
 * - **State dicts**: the one {@link StateDict} type (what the weight readers of `@pir/encoders/weights`
 *   return), the one loader {@link loadStateDict} and exporter {@link stateDict}.
 * - **Primitives**: {@link linear}, {@link layerNorm}, {@link gelu}, {@link quickGelu},
 *   {@link multiHeadAttention} (+ {@link attentionBias}, {@link attendHeads}), {@link dropout} — functional,
 *   backend-agnostic, with the fused gradients the training speed depends on; {@link checkpoint} (activation
 *   checkpointing: a segment's activations recomputed in the backward pass instead of kept).
 *
 * Imports only `@tensorflow/tfjs-core` (a peer) and `@pir/runtime`.
 */
export { NnInputError, type ShapeMismatch, StateDictError } from './errors.js';
export {
  batchNormSpecs,
  conv2dSpecs,
  embeddingSpecs,
  type LinearSpecOptions,
  layerNormSpecs,
  linearSpecs,
} from './module_specs.js';
export { type ActivationName, activation, gelu, quickGelu } from './ops/activations.js';
export {
  type AttendOptions,
  type AttentionBiasOptions,
  type AttentionOptions,
  attendHeads,
  attentionBias,
  MASKED_LOGIT,
  mergeHeads,
  multiHeadAttention,
  splitHeads,
} from './ops/attention.js';
export {
  type CheckpointOptions,
  type CheckpointState,
  checkpoint,
  type GradientSink,
  withGradientSink,
} from './ops/checkpoint.js';
export { type DropoutOptions, dropout } from './ops/dropout.js';
export { LN_EPS, layerNorm } from './ops/layer_norm.js';
export { linear, linearTorch } from './ops/linear.js';
export {
  countParameters,
  joinName,
  normalInit,
  ONES,
  type ParamInit,
  type ParamSpec,
  type TorchLayout,
  tfShape,
  tfToTorchPerm,
  torchDefaultInit,
  torchToTfPerm,
  uniformInit,
  ZEROS,
} from './param_spec.js';
export { initialValue, ParamStore } from './param_store.js';
export {
  type HasParameters,
  hasParameters,
  type NamedParameter,
  trainableVariablesOf,
  withPrefix,
} from './parameters.js';
export { bfloat16ToFloat, floatToHalf, halfToFloat, toFloat32 } from './state_dict/dtypes.js';
export {
  type LoadReport,
  type LoadStateDictOptions,
  loadStateDict,
  type StateDictLike,
  type StateDictOptions,
  type StateEntry,
  stateDict,
  stateDictEntries,
} from './state_dict/load.js';
export {
  DTYPE_BYTES,
  numel,
  type StateData,
  type StateDataOf,
  type StateDict,
  type StateDType,
  type StateTensor,
} from './state_dict/types.js';
