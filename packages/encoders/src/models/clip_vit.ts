/**
 * The CLIP ViT image tower (OpenAI `VisionTransformer`, ViT-B/32 layout): patch stem `conv1` (no bias),
 * `class_embedding`, `positional_embedding`, `ln_pre`, pre-LN residual blocks, `ln_post`, `proj`.
 */
import {
  type ActivationName,
  attentionBias,
  conv2dSpecs,
  countParameters,
  type HasParameters,
  layerNorm,
  layerNormSpecs,
  type NamedParameter,
  type ParamSpec,
  ParamStore,
} from '@pir/nn';
import { getGlobalRng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput, VisionEncoder } from '../contract.js';
import { patchEmbed } from '../layers/conv.js';
import { check, checkPositiveInt, checkShape } from '../layers/errors.js';
import { clipTransformer, clipTransformerSpecs } from './clip_transformer.js';
import type { ModelOptions } from './options.js';

/** Configuration of {@link ClipVisionTransformer}. */
export interface ClipVisionConfig {
  /** Input side in pixels (square). ViT-B/32: 224. */
  imageSize: number;
  /** Patch side (stem kernel = stride). ViT-B/32: 32. */
  patchSize: number;
  /** Transformer width. ViT-B/32: 768. */
  width: number;
  /** Residual blocks. ViT-B/32: 12. */
  layers: number;
  /** Attention heads. ViT-B/32: 12. */
  heads: number;
  /** Width of `proj` (the joint embedding); 0 = no projection. ViT-B/32: 512. */
  outputDim: number;
  /** MLP ratio. 4. */
  mlpRatio: number;
  /** `'quick_gelu'` (OpenAI CLIP) or `'gelu'` (OpenCLIP). */
  activation: ActivationName;
  /**
   * What `encode` returns as `global`: `'projected'` = `ln_post(x₀) · proj` [B, outputDim] (CLIP's image
   * embedding), `'pre-proj'` = `ln_post(x₀)` [B, width]. Default `'projected'`.
   */
  globalOutput: 'projected' | 'pre-proj';
}

/** CLIP ViT-B/32 image tower (87,849,216 parameters, as PyTorch counts them). */
export const CLIP_VIT_B32: Readonly<ClipVisionConfig> = {
  imageSize: 224,
  patchSize: 32,
  width: 768,
  layers: 12,
  heads: 12,
  outputDim: 512,
  mlpRatio: 4,
  activation: 'quick_gelu',
  globalOutput: 'projected',
};

/** A tiny tower for tests and CPU training: 32 px, patch 8 (16 patches), width 32, 2 layers, 4 heads. */
export const CLIP_VIT_TEST: Readonly<ClipVisionConfig> = {
  imageSize: 32,
  patchSize: 8,
  width: 32,
  layers: 2,
  heads: 4,
  outputDim: 24,
  mlpRatio: 4,
  activation: 'quick_gelu',
  globalOutput: 'projected',
};

function checkConfig(c: ClipVisionConfig): void {
  const w = 'ClipVisionTransformer';
  for (const f of ['imageSize', 'patchSize', 'width', 'layers', 'heads'] as const)
    checkPositiveInt(w, f, c[f]);
  check(
    c.imageSize % c.patchSize === 0,
    w,
    'imageSize',
    () => `imageSize ${c.imageSize} must be a multiple of patchSize ${c.patchSize}`,
  );
  check(c.width % c.heads === 0, w, 'heads', () => `width ${c.width} must be divisible by heads ${c.heads}`);
  check(
    Number.isInteger(c.outputDim) && c.outputDim >= 0,
    w,
    'outputDim',
    () => `outputDim must be an integer ≥ 0, got ${c.outputDim}`,
  );
}

/** Parameter specs (PyTorch names, without the `visual.` prefix). */
export function clipVisionSpecs(c: ClipVisionConfig): ParamSpec[] {
  checkConfig(c);
  const w = c.width;
  const n = (c.imageSize / c.patchSize) ** 2;
  const scale = w ** -0.5;
  const specs: ParamSpec[] = [
    ...conv2dSpecs('conv1', 3, w, c.patchSize, false),
    { name: 'class_embedding', shape: [w], init: { kind: 'normal', std: scale } },
    { name: 'positional_embedding', shape: [n + 1, w], init: { kind: 'normal', std: scale } },
    ...layerNormSpecs('ln_pre', w),
    ...clipTransformerSpecs('transformer', c),
    ...layerNormSpecs('ln_post', w),
  ];
  if (c.outputDim > 0)
    specs.push({ name: 'proj', shape: [w, c.outputDim], init: { kind: 'normal', std: scale } });
  return specs;
}

/**
 * CLIP ViT image tower implementing {@link VisionEncoder}.
 *
 * `encode(images [B, H, W, 3])` → `global` [B, outputDim] (or [B, width] with `globalOutput: 'pre-proj'`),
 * `local` [B, N, width] = the patch tokens after the last block and `ln_post` (N = (H/patch)²).
 * Load OpenAI CLIP weights with `loadStateDict(vit, sd, { prefix: 'visual.' })`.
 * @example
 * ```ts
 * const vit = new ClipVisionTransformer(CLIP_VIT_TEST);
 * const { global, local } = vit.encode(tf.zeros([2, 32, 32, 3]));
 * global.shape; // [2, 24]
 * local.shape; // [2, 16, 32]
 * ```
 */
export class ClipVisionTransformer implements VisionEncoder, HasParameters {
  readonly config: Readonly<ClipVisionConfig>;
  readonly params: ParamStore;
  readonly dim: number;
  /**
   * Recompute each residual block's activations in the backward pass instead of keeping them (`checkpoint`
   * of `@pir/nn`): same gradients, a fraction of the memory, one extra forward pass. Default false.
   */
  gradientCheckpointing = false;
  /** N of `encode(...).local`: the patches, (imageSize / patchSize)². */
  readonly localTokens: number;

  /**
   * @param config fields that differ from CLIP ViT-B/32 ({@link CLIP_VIT_B32}), the default — e.g. a named test size:
   *   `new ClipVisionTransformer(CLIP_VIT_TEST)`; `listEncoders()` lists every named size
   */
  constructor(config: Partial<ClipVisionConfig> = {}, options: ModelOptions = {}) {
    this.config = { ...CLIP_VIT_B32, ...config };
    this.params = new ParamStore(
      clipVisionSpecs(this.config),
      options.rng ?? getGlobalRng(),
      'ClipVisionTransformer',
    );
    this.localTokens = (this.config.imageSize / this.config.patchSize) ** 2;
    this.dim =
      this.config.globalOutput === 'projected' && this.config.outputDim > 0
        ? this.config.outputDim
        : this.config.width;
  }

  /** Parameter count of a configuration without allocating it (PyTorch's `parameters()`). */
  static countParameters(config: ClipVisionConfig): number {
    return countParameters(clipVisionSpecs(config));
  }

  /**
   * The token sequence entering the transformer: `ln_pre([class; patches] + positional_embedding)`.
   * @param images [B, S, S, 3] with S = imageSize
   * @returns [B, 1 + N, width]
   */
  embed(images: tf.Tensor4D): tf.Tensor3D {
    const c = this.config;
    checkShape('ClipVisionTransformer.encode', 'images', images.shape, [-1, c.imageSize, c.imageSize, 3]);
    return tf.tidy(() => {
      const g = (n: string) => this.params.get(n);
      const b = images.shape[0];
      const grid = patchEmbed(images, g('conv1.weight') as unknown as tf.Tensor4D, c.patchSize); // [B, g, g, W]
      const n = grid.shape[1] * grid.shape[2];
      const patches = tf.reshape(grid, [b, n, c.width]); // [B, N, W]
      const cls = tf.tile(tf.reshape(g('class_embedding'), [1, 1, c.width]), [b, 1, 1]); // [B, 1, W]
      const x = tf.add(tf.concat([cls, patches], 1), g('positional_embedding')); // [B, 1 + N, W]
      return layerNorm(x, g('ln_pre.weight'), g('ln_pre.bias')) as tf.Tensor3D;
    });
  }

  /**
   * The residual blocks on any token sequence (PIR-CLIP prepends its instruction token here).
   * @param x [B, L, width]
   * @param keyMask [B, L] 1 = attend, 0 = padding (optional)
   * @returns [B, L, width]
   */
  transform(x: tf.Tensor3D, keyMask?: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const bias = attentionBias({ keyMask });
      return clipTransformer(this.params, 'transformer', this.config, x, bias, this.gradientCheckpointing);
    });
  }

  /**
   * `ln_post` on every token, and `proj` on token 0.
   * @param x [B, L, width] transformer output
   * @returns `{ tokens: ln_post(x) [B, L, width], pooled: ln_post(x₀)·proj [B, outputDim] or ln_post(x₀) }`
   */
  pool(
    x: tf.Tensor3D,
    project = this.config.globalOutput === 'projected',
  ): { tokens: tf.Tensor3D; pooled: tf.Tensor2D } {
    return tf.tidy(() => {
      const g = (n: string) => this.params.get(n);
      const [b, , w] = x.shape;
      const tokens = layerNorm(x, g('ln_post.weight'), g('ln_post.bias')) as tf.Tensor3D; // [B, L, W]
      let pooled = tf.reshape(tf.slice(tokens, [0, 0, 0], [b, 1, w]), [b, w]) as tf.Tensor2D; // [B, W]
      if (project && this.config.outputDim > 0) pooled = tf.matMul(pooled, g('proj') as tf.Tensor2D);
      return { tokens, pooled };
    });
  }

  /** @param images [B, S, S, 3] normalised (CLIP mean/std), channels last */
  encode(images: tf.Tensor4D, _training = false): EncoderOutput {
    return tf.tidy(() => {
      const x = this.transform(this.embed(images));
      const { tokens, pooled } = this.pool(x);
      const [b, l, w] = tokens.shape;
      const local = tf.slice(tokens, [0, 1, 0], [b, l - 1, w]) as tf.Tensor3D; // [B, N, W]
      return { global: pooled, local };
    });
  }

  /** Every parameter and buffer by PyTorch name, with its variable (`@pir/nn`'s `HasParameters`). */
  namedParameters(): NamedParameter[] {
    return this.params.namedParameters();
  }

  /** Trainable variables (for an optimizer's `minimize(…, varList)`). */
  trainableVariables(): tf.Variable[] {
    return this.params.trainableVariables();
  }

  /** Free the weights. */
  dispose(): void {
    this.params.dispose();
  }
}
