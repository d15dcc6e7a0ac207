/**
 * `@pir/encoders/layers` — the encoders' building blocks: tfjs Layers with PyTorch weight import (`Linear`,
 * `LayerNorm`, `Gelu`, `MultiHeadSelfAttention`, `BatchNorm`, `Conv2d`) and the functional forms that are
 * particular to the encoders (convolutions, pooling, patch stem, batch norm, packed self-attention).
 *
 * The shared primitives (`linear`, `layerNorm`, `gelu`, `multiHeadAttention`, …), parameter specs and
 * state dicts are `@pir/nn`'s.
 */
export { Gelu, type GeluConfig } from './activations.js';
export { MultiHeadSelfAttention, type MultiHeadSelfAttentionConfig, selfAttention } from './attention.js';
export {
  BatchNorm,
  type BatchNormConfig,
  batchNormInference,
  batchNormTraining,
  foldBatchNorm,
} from './batch_norm.js';
export {
  avgPool2d,
  Conv2d,
  type Conv2dConfig,
  conv2d,
  conv2dBiasAct,
  maxPool2d,
  patchEmbed,
} from './conv.js';
export { EncoderError } from './errors.js';
export { LayerNorm, type LayerNormConfig } from './layer_norm.js';
export { Linear, type LinearConfig } from './linear.js';
