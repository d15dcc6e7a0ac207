/**
 * Options shared by the encoder constructors (their configurations are per architecture; these are not).
 */
import type { Rng } from '@pir/runtime';
import type { Tokenizer } from '../contract.js';

/** Options of every encoder constructor. */
export interface ModelOptions {
  /** Seeded generator for the initial weights (default: the global one of `@pir/runtime`). */
  rng?: Rng;
}

/** Options of the text encoders. */
export interface TextModelOptions extends ModelOptions {
  /** The tokenizer `encoder.tokenizer` returns (CLIP BPE for CLIP weights, WordPiece for BERT). */
  tokenizer?: Tokenizer;
}

/**
 * When a ResNet's inference-mode BatchNorm is folded into its convolutions (`W' = W·γ/√(var+ε)`,
 * `b' = β − mean·γ/√(var+ε)`, then conv + bias (+ ReLU) as one `tf.fused.conv2d`; about 7 % faster for
 * ResNet-50 on wasm). Never while a gradient tape records (gradients must reach the real weights) nor with
 * batch statistics (`batchNorm: 'train'` and `training`): those run the unfolded path unchanged.
 *
 * - `'auto'` (default): fold when the model has no trainable variable (a frozen instruction encoder, e.g. the
 *   one `pretrainInstructionEncoder` returns, or after `params.setTrainable(false)`);
 * - `true`: fold whenever allowed (inference of a model whose weights may still train elsewhere);
 * - `false`: never.
 *
 * The folded weights are a second copy of every convolution (≈ 94 MB for ResNet-50), made on the first folded
 * call, kept by the model (`model.folded`) and freed by `dispose()`.
 */
export type FoldBatchNorm = boolean | 'auto';

/** Options of `ResNet` and `ModifiedResNet`. */
export interface ResNetOptions extends ModelOptions {
  /** See {@link FoldBatchNorm}. Default `'auto'`. */
  foldBatchNorm?: FoldBatchNorm;
}
