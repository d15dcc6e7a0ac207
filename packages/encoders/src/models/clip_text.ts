/**
 * The CLIP text transformer (OpenAI `CLIP.encode_text`): `token_embedding`, `positional_embedding`, causal
 * pre-LN residual blocks, `ln_final`, end-of-text pooling, `text_projection`.
 */
import {
  type ActivationName,
  attentionBias,
  countParameters,
  embeddingSpecs,
  type HasParameters,
  layerNorm,
  layerNormSpecs,
  type NamedParameter,
  type ParamSpec,
  ParamStore,
} from '@pir/nn';
import { getGlobalRng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput, TextEncoder, Tokenizer } from '../contract.js';
import { check, checkPositiveInt, checkShape } from '../layers/errors.js';
import { clipTransformer, clipTransformerSpecs } from './clip_transformer.js';
import type { TextModelOptions } from './options.js';
import { MissingTokenizer } from './tokenizer_stub.js';

/** Configuration of {@link ClipTextTransformer}. */
export interface ClipTextConfig {
  /** BPE vocabulary size. CLIP: 49408. */
  vocabSize: number;
  /** Maximum sequence length (rows of `positional_embedding`). CLIP: 77. */
  contextLength: number;
  /** Width. CLIP ViT-B/32: 512. */
  width: number;
  /** Residual blocks. 12. */
  layers: number;
  /** Heads. 8. */
  heads: number;
  /** Width of `text_projection`. 512. */
  outputDim: number;
  /** MLP ratio. 4. */
  mlpRatio: number;
  /** `'quick_gelu'` (OpenAI CLIP) or `'gelu'` (OpenCLIP). */
  activation: ActivationName;
  /**
   * Which token is pooled: `'argmax'` = the position of the largest id (CLIP's end-of-text token, id
   * 49407, is the largest), `'last'` = the last real token of the mask. Default `'argmax'`.
   */
  pooling: 'argmax' | 'last';
}

/** The text tower of CLIP ViT-B/32 (63,428,096 parameters with `text_projection`; `logit_scale` belongs to the whole CLIP model). */
export const CLIP_TEXT_B32: Readonly<ClipTextConfig> = {
  vocabSize: 49408,
  contextLength: 77,
  width: 512,
  layers: 12,
  heads: 8,
  outputDim: 512,
  mlpRatio: 4,
  activation: 'quick_gelu',
  pooling: 'argmax',
};

/** Tiny text tower for tests: vocabulary 64, context 12, width 32, 2 layers, 4 heads, output 24. */
export const CLIP_TEXT_TEST: Readonly<ClipTextConfig> = {
  vocabSize: 64,
  contextLength: 12,
  width: 32,
  layers: 2,
  heads: 4,
  outputDim: 24,
  mlpRatio: 4,
  activation: 'quick_gelu',
  pooling: 'argmax',
};

/** Parameter specs (names as in a whole OpenAI CLIP state dict, whose text keys have no prefix). */
export function clipTextSpecs(c: ClipTextConfig): ParamSpec[] {
  const w = 'ClipTextTransformer';
  for (const f of ['vocabSize', 'contextLength', 'width', 'layers', 'heads', 'outputDim'] as const)
    checkPositiveInt(w, f, c[f]);
  check(c.width % c.heads === 0, w, 'heads', () => `width ${c.width} must be divisible by heads ${c.heads}`);
  return [
    ...embeddingSpecs('token_embedding', c.vocabSize, c.width, 0.02),
    { name: 'positional_embedding', shape: [c.contextLength, c.width], init: { kind: 'normal', std: 0.01 } },
    ...clipTransformerSpecs('transformer', c),
    ...layerNormSpecs('ln_final', c.width),
    {
      name: 'text_projection',
      shape: [c.width, c.outputDim],
      init: { kind: 'normal', std: c.width ** -0.5 },
    },
  ];
}

/**
 * CLIP text tower implementing {@link TextEncoder}.
 *
 * `encode(ids [B, L], mask [B, L])` → `global` [B, outputDim] (the pooled token through `ln_final` and
 * `text_projection`), `local` [B, L, width] (every token after `ln_final`), `mask` [B, L] float32. Attention is
 * causal and padding keys are masked too (no effect on real tokens, which precede the padding).
 * CLIP state dicts load without a prefix: `loadStateDict(text, sd, { strict: false })` (the image tower's keys
 * are unexpected then), or filter them.
 * @example
 * ```ts
 * const text = new ClipTextTransformer(CLIP_TEXT_TEST);
 * const ids = tf.tensor2d([[1, 5, 63, 0]], undefined, 'int32');
 * const mask = tf.tensor2d([[1, 1, 1, 0]]);
 * text.encode(ids, mask).global.shape; // [1, 24]
 * ```
 */
export class ClipTextTransformer implements TextEncoder, HasParameters {
  readonly config: Readonly<ClipTextConfig>;
  readonly params: ParamStore;
  readonly dim: number;
  /**
   * Recompute each residual block's activations in the backward pass instead of keeping them (`checkpoint`
   * of `@pir/nn`): same gradients, a fraction of the memory, one extra forward pass. Default false.
   */
  gradientCheckpointing = false;
  readonly tokenizer: Tokenizer;

  /**
   * @param config fields that differ from CLIP ViT-B/32's text tower ({@link CLIP_TEXT_B32}), the default — e.g. a named test size:
   *   `new ClipTextTransformer(CLIP_TEXT_TEST)`; `listEncoders()` lists every named size
   */
  constructor(config: Partial<ClipTextConfig> = {}, options: TextModelOptions = {}) {
    this.config = { ...CLIP_TEXT_B32, ...config };
    this.params = new ParamStore(
      clipTextSpecs(this.config),
      options.rng ?? getGlobalRng(),
      'ClipTextTransformer',
    );
    this.dim = this.config.outputDim;
    this.tokenizer =
      options.tokenizer ??
      new MissingTokenizer(this.config.vocabSize, this.config.contextLength, 'ClipTextTransformer');
  }

  /** Parameter count of a configuration without allocating it. */
  static countParameters(config: ClipTextConfig): number {
    return countParameters(clipTextSpecs(config));
  }

  /**
   * @param ids [B, L] int32, L ≤ contextLength
   * @param mask [B, L] 1 = real token, 0 = padding
   */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D, _training = false): EncoderOutput {
    const c = this.config;
    const where = 'ClipTextTransformer.encode';
    checkShape(where, 'ids', ids.shape, [-1, -1]);
    checkShape(where, 'mask', mask.shape, ids.shape);
    const [b, l] = ids.shape;
    check(
      l <= c.contextLength,
      where,
      'ids',
      () => `sequence length ${l} exceeds contextLength ${c.contextLength}`,
    );
    return tf.tidy(() => {
      const g = (n: string) => this.params.get(n);
      const idsI = tf.cast(ids, 'int32');
      const maskF = tf.cast(mask, 'float32') as tf.Tensor2D;
      const tok = tf.gather(g('token_embedding.weight'), idsI); // [B, L, W]
      const pos = tf.slice(g('positional_embedding'), [0, 0], [l, c.width]); // [L, W]
      const bias = attentionBias({ keyMask: maskF, causalLength: l });
      const x = clipTransformer(
        this.params,
        'transformer',
        c,
        tf.add(tok, pos) as tf.Tensor3D,
        bias,
        this.gradientCheckpointing,
      );
      const local = layerNorm(x, g('ln_final.weight'), g('ln_final.bias')) as tf.Tensor3D; // [B, L, W]
      const at =
        c.pooling === 'argmax'
          ? tf.cast(tf.argMax(idsI, 1), 'int32') // [B] position of the end-of-text token
          : tf.cast(tf.sub(tf.sum(maskF, 1), 1), 'int32'); // [B] last real token
      const flat = tf.add(tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(l, 'int32')), at); // [B] rows of [B·L, W]
      const pooled = tf.gather(tf.reshape(local, [b * l, c.width]), flat); // [B, W]
      const global = tf.matMul(pooled as tf.Tensor2D, g('text_projection') as tf.Tensor2D) as tf.Tensor2D; // [B, outputDim]
      return { global, local, mask: maskF };
    });
  }

  /** Every parameter and buffer by PyTorch name, with its variable (`@pir/nn`'s `HasParameters`). */
  namedParameters(): NamedParameter[] {
    return this.params.namedParameters();
  }

  /** Trainable variables. */
  trainableVariables(): tf.Variable[] {
    return this.params.trainableVariables();
  }

  /** Free the weights. */
  dispose(): void {
    this.params.dispose();
  }
}
