/**
 * The initialisation the encoder papers use for Linear layers (BERT, CLIP, Swin, ResNet heads): N(0, std²)
 * weights and zero biases — unlike PyTorch's `nn.Linear` default, which `@pir/nn`'s `linearSpecs` uses.
 */
import { type LinearSpecOptions, normalInit, ZEROS } from '@pir/nn';

/** `linearSpecs` options for N(0, std²) weights and zero biases (`bias: false` for none). */
export function normalLinear(std = 0.02, bias = true): LinearSpecOptions {
  return { bias, init: normalInit(std), biasInit: ZEROS };
}
