/**
 * Names `@pir/encoders` 0.1 exported that now live elsewhere — kept for one release so existing code keeps
 * working. Each says where to import it from instead.
 */
import { type LinearSpecOptions, linearSpecs as nnLinearSpecs, type ParamSpec } from '@pir/nn';
import { normalLinear } from './models/init.js';

/**
 * `nn.Linear` specs with N(0, std²) weights and zero biases (the 0.1 signature).
 * @deprecated use `linearSpecs(prefix, inF, outF, options)` of `@pir/nn` (default init: PyTorch's).
 */
export function linearSpecs(prefix: string, inF: number, outF: number, bias = true, std = 0.02): ParamSpec[] {
  const options: LinearSpecOptions = normalLinear(std, bias);
  return nnLinearSpecs(prefix, inF, outF, options);
}

/** @deprecated import these from `@pir/nn` (the one set of primitives, parameter specs and state dicts). */
export {
  type ActivationName,
  type AttentionBiasOptions,
  activation,
  attentionBias,
  batchNormSpecs,
  conv2dSpecs,
  countParameters,
  embeddingSpecs,
  gelu,
  layerNorm,
  layerNormSpecs,
  linear,
  linearTorch,
  MASKED_LOGIT,
  multiHeadAttention,
  numel,
  type ParamInit,
  type ParamSpec,
  ParamStore,
  quickGelu,
  type TorchLayout,
  tfShape,
  torchToTfPerm,
} from '@pir/nn';
