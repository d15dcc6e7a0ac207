/**
 * Building blocks of the encoders: functional forms and tfjs Layers with PyTorch weight import.
 */
export { type ActivationName, activation, Gelu, type GeluConfig, gelu, quickGelu } from './activations.js';
export {
  type AttentionBiasOptions,
  attentionBias,
  MASKED_LOGIT,
  MultiHeadSelfAttention,
  type MultiHeadSelfAttentionConfig,
  multiHeadAttention,
  selfAttention,
} from './attention.js';
export {
  BatchNorm,
  type BatchNormConfig,
  batchNormInference,
  batchNormTraining,
} from './batch_norm.js';
export { avgPool2d, Conv2d, type Conv2dConfig, conv2d, maxPool2d, patchEmbed } from './conv.js';
export { EncoderError } from './errors.js';
export { LayerNorm, type LayerNormConfig, layerNorm } from './layer_norm.js';
export { Linear, type LinearConfig, linear, linearTorch } from './linear.js';
export {
  countParameters,
  numel,
  type ParamInit,
  type ParamSpec,
  ParamStore,
  type TorchLayout,
  tfShape,
  torchToTfPerm,
} from './params.js';
export {
  batchNormSpecs,
  conv2dSpecs,
  embeddingSpecs,
  layerNormSpecs,
  linearSpecs,
} from './specs.js';
