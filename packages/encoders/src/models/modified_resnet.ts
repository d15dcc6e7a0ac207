/**
 * OpenAI CLIP's `ModifiedResNet` image tower (`clip/model.py`; RN50, RN101, …): a 3-conv stem with an average
 * pool, Bottlenecks whose stride is an average pool before `conv3` (anti-aliased strided convolution, with
 * `downsample` = AvgPool + 1×1 conv + BN), and an attention pool (`attnpool`) whose query is the mean token.
 *
 * Names as OpenAI's, without the `visual.` prefix: `conv1`, `bn1`, `conv2`, `bn2`, `conv3`, `bn3`,
 * `layer1.0.conv1`, `layer2.0.downsample.0` (conv), `layer2.0.downsample.1` (BN),
 * `attnpool.positional_embedding`, `attnpool.{q,k,v,c}_proj`. BatchNorm always uses running statistics
 * (CLIP towers are used frozen or fine-tuned in eval mode) and its parameters train only with
 * `batchNorm: 'train'`.
 *
 * PIR-CLIP's instruction encoder is RN50 ({@link CLIP_RN50}). Note: PIR_SPEC §1 says "RN50 → 512, then
 * Linear 512→768", but OpenAI's RN50 attention pool outputs 1024 (`c_proj`: 2048 → 1024, CLIP's joint width
 * for RN50); the output width is the config value `outputDim` (1024 by default) and the following projection
 * must take `outputDim` inputs. Check the released PIR-CLIP code before using 512.
 */

import {
  batchNormSpecs,
  conv2dSpecs,
  countParameters,
  type HasParameters,
  linear,
  linearSpecs,
  multiHeadAttention,
  type NamedParameter,
  type ParamSpec,
  ParamStore,
} from '@pir/nn';
import { getGlobalRng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput, InstructionEncoder, VisionEncoder } from '../contract.js';
import { avgPool2d, conv2d, conv2dBiasAct } from '../layers/conv.js';
import { check, checkPositiveInt, checkShape } from '../layers/errors.js';
import { normalLinear } from './init.js';
import type { FoldBatchNorm, ResNetOptions } from './options.js';
import {
  applyBatchNorm,
  asInstructionEncoder,
  FoldedConvs,
  gradientTapeOn,
  type InstructionView,
  useFold,
} from './resnet.js';

/** Configuration of {@link ModifiedResNet}. */
export interface ModifiedResNetConfig {
  /** Blocks per stage. RN50: [3, 4, 6, 3]; RN101: [3, 4, 23, 3]. */
  layers: [number, number, number, number];
  /** Stem / stage-1 width (the attention pool works at 32·width). RN50: 64. */
  width: number;
  /** Input side in pixels (square; the attention pool's positional embedding has (S/32)² + 1 rows). 224. */
  imageSize: number;
  /** Attention-pool heads. RN50: 32 (= 32·width / 64). */
  heads: number;
  /** Width of `attnpool.c_proj` (the embedding). RN50: 1024 (see the module doc on PIR_SPEC's 512). */
  outputDim: number;
  /** `'frozen'` (default): BatchNorm parameters do not train; `'train'`: they do (statistics stay running). */
  batchNorm: 'frozen' | 'train';
}

/** CLIP RN50 image tower (38,316,896 parameters, as PyTorch counts them). */
export const CLIP_RN50: Readonly<ModifiedResNetConfig> = {
  layers: [3, 4, 6, 3],
  width: 64,
  imageSize: 224,
  heads: 32,
  outputDim: 1024,
  batchNorm: 'frozen',
};

/** Tiny tower for tests: width 2 (attention pool at 64), stages 1-2-1-1, 64 px (2×2 grid), 4 heads, out 24. */
export const CLIP_RN_TEST: Readonly<ModifiedResNetConfig> = {
  layers: [1, 2, 1, 1],
  width: 2,
  imageSize: 64,
  heads: 4,
  outputDim: 24,
  batchNorm: 'frozen',
};

interface BlockPlan {
  prefix: string;
  inC: number;
  planes: number;
  stride: number;
  downsample: boolean;
}

function plan(c: ModifiedResNetConfig): BlockPlan[] {
  const blocks: BlockPlan[] = [];
  let inC = c.width;
  for (let s = 0; s < 4; s++) {
    const planes = c.width * 2 ** s;
    for (let j = 0; j < (c.layers[s] as number); j++) {
      const stride = j === 0 && s > 0 ? 2 : 1;
      blocks.push({
        prefix: `layer${s + 1}.${j}`,
        inC,
        planes,
        stride,
        downsample: stride > 1 || inC !== planes * 4,
      });
      inC = planes * 4;
    }
  }
  return blocks;
}

function checkConfig(c: ModifiedResNetConfig): void {
  const w = 'ModifiedResNet';
  for (const f of ['width', 'imageSize', 'heads', 'outputDim'] as const) checkPositiveInt(w, f, c[f]);
  check(
    c.layers.length === 4 && c.layers.every((n) => Number.isInteger(n) && n > 0),
    w,
    'layers',
    () => `layers must be 4 positive integers, got [${c.layers.join(', ')}]`,
  );
  check(c.width % 2 === 0, w, 'width', () => `width must be even (the stem halves it), got ${c.width}`);
  check(
    c.imageSize % 32 === 0,
    w,
    'imageSize',
    () => `imageSize must be a multiple of 32, got ${c.imageSize}`,
  );
  check(
    (c.width * 32) % c.heads === 0,
    w,
    'heads',
    () => `attention-pool width ${c.width * 32} must be divisible by heads ${c.heads}`,
  );
}

/** Parameter specs with OpenAI names (no `visual.` prefix). */
export function modifiedResNetSpecs(c: ModifiedResNetConfig): ParamSpec[] {
  checkConfig(c);
  const half = c.width / 2;
  const embed = c.width * 32;
  const specs: ParamSpec[] = [
    ...conv2dSpecs('conv1', 3, half, 3),
    ...batchNormSpecs('bn1', half),
    ...conv2dSpecs('conv2', half, half, 3),
    ...batchNormSpecs('bn2', half),
    ...conv2dSpecs('conv3', half, c.width, 3),
    ...batchNormSpecs('bn3', c.width),
  ];
  for (const b of plan(c)) {
    const p = b.prefix;
    specs.push(
      ...conv2dSpecs(`${p}.conv1`, b.inC, b.planes, 1),
      ...batchNormSpecs(`${p}.bn1`, b.planes),
      ...conv2dSpecs(`${p}.conv2`, b.planes, b.planes, 3),
      ...batchNormSpecs(`${p}.bn2`, b.planes),
      ...conv2dSpecs(`${p}.conv3`, b.planes, b.planes * 4, 1),
      ...batchNormSpecs(`${p}.bn3`, b.planes * 4),
    );
    if (b.downsample) {
      specs.push(
        ...conv2dSpecs(`${p}.downsample.0`, b.inC, b.planes * 4, 1),
        ...batchNormSpecs(`${p}.downsample.1`, b.planes * 4),
      );
    }
  }
  const grid = c.imageSize / 32;
  specs.push(
    {
      name: 'attnpool.positional_embedding',
      shape: [grid * grid + 1, embed],
      init: { kind: 'normal', std: embed ** -0.5 },
    },
    ...linearSpecs('attnpool.k_proj', embed, embed, normalLinear(embed ** -0.5)),
    ...linearSpecs('attnpool.q_proj', embed, embed, normalLinear(embed ** -0.5)),
    ...linearSpecs('attnpool.v_proj', embed, embed, normalLinear(embed ** -0.5)),
    ...linearSpecs('attnpool.c_proj', embed, c.outputDim, normalLinear(embed ** -0.5)),
  );
  return specs;
}

/**
 * CLIP's `AttentionPool2d`: tokens = [mean; grid] + positional embedding; one query (the mean token) attends to
 * all tokens with separate q/k/v projections; `c_proj` on the result.
 * @param x [B, h, w, C] (C = 32·width)
 * @returns [B, outputDim]
 */
export function attentionPool2d(
  params: ParamStore,
  x: tf.Tensor4D,
  heads: number,
  prefix = 'attnpool',
): tf.Tensor2D {
  const g = (n: string) => params.get(`${prefix}.${n}`);
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const grid = tf.reshape(x, [b, h * w, c]); // [B, hw, C]
    const tokens = tf.add(tf.concat([tf.mean(grid, 1, true), grid], 1), g('positional_embedding')); // [B, 1+hw, C]
    const first = tf.slice(tokens, [0, 0, 0], [b, 1, c]); // [B, 1, C]
    const q = linear(first, g('q_proj.weight'), g('q_proj.bias')) as tf.Tensor3D; // [B, 1, C]
    const k = linear(tokens, g('k_proj.weight'), g('k_proj.bias')) as tf.Tensor3D; // [B, 1+hw, C]
    const v = linear(tokens, g('v_proj.weight'), g('v_proj.bias')) as tf.Tensor3D; // [B, 1+hw, C]
    const att = tf.reshape(multiHeadAttention(q, k, v, heads), [b, c]); // [B, C]
    return linear(att, g('c_proj.weight'), g('c_proj.bias')) as tf.Tensor2D; // [B, outputDim]
  });
}

/**
 * CLIP ModifiedResNet implementing {@link VisionEncoder} (and, through {@link ModifiedResNet.instruction},
 * the {@link InstructionEncoder} of PIR-CLIP).
 *
 * `encode(images [B, S, S, 3])` → `global` [B, outputDim] (the attention pool), `local` [B, (S/32)², 32·width]
 * (the last stage's grid, before pooling). Load OpenAI weights with
 * `loadStateDict(net, sd, { prefix: 'visual.' })`.
 * @example
 * ```ts
 * const net = new ModifiedResNet(CLIP_RN_TEST);
 * const { global, local } = net.encode(tf.zeros([1, 64, 64, 3]));
 * global.shape; // [1, 24]
 * local.shape; // [1, 4, 64]
 * ```
 */
export class ModifiedResNet implements VisionEncoder, HasParameters {
  readonly config: Readonly<ModifiedResNetConfig>;
  readonly params: ParamStore;
  readonly dim: number;
  /** N of `encode(...).local`: the final grid, (imageSize / 32)². */
  readonly localTokens: number;
  private readonly blocks: BlockPlan[];
  /** When `features` folds BatchNorm into the convolutions (see `FoldBatchNorm` in `resnet.ts`). */
  foldBatchNorm: FoldBatchNorm;
  /** The folded convolutions, made on first folded use and freed by `dispose()`. */
  readonly folded: FoldedConvs;

  /**
   * @param config fields that differ from CLIP RN50 ({@link CLIP_RN50}), the default — e.g. a named test size:
   *   `new ModifiedResNet(CLIP_RN_TEST)`; `listEncoders()` lists every named size
   */
  constructor(config: Partial<ModifiedResNetConfig> = {}, options: ResNetOptions = {}) {
    this.config = { ...CLIP_RN50, ...config };
    this.params = new ParamStore(
      modifiedResNetSpecs(this.config),
      options.rng ?? getGlobalRng(),
      'ModifiedResNet',
    );
    this.blocks = plan(this.config);
    this.dim = this.config.outputDim;
    this.localTokens = (this.config.imageSize / 32) ** 2;
    this.folded = new FoldedConvs(this.params);
    this.foldBatchNorm = options.foldBatchNorm ?? 'auto';
    if (this.config.batchNorm === 'frozen')
      this.params.setTrainable(false, (n) => /(^|\.)bn\d\.|downsample\.1\./.test(n));
  }

  /** Parameter count of a configuration without allocating it (PyTorch's `parameters()`). */
  static countParameters(config: ModifiedResNetConfig): number {
    return countParameters(modifiedResNetSpecs(config));
  }

  /**
   * The last stage's map.
   * @param images [B, S, S, 3] normalised (CLIP mean/std), channels last
   * @param training BatchNorm on the batch's statistics (see the body); default false: running statistics
   * @returns [B, S/32, S/32, 32·width]
   */
  features(images: tf.Tensor4D, training = false): tf.Tensor4D {
    const c = this.config;
    checkShape('ModifiedResNet.encode', 'images', images.shape, [-1, c.imageSize, c.imageSize, 3]);
    if (!training && useFold(this.foldBatchNorm, this.params)) return this.featuresFolded(images);
    const g = (n: string) => this.params.get(n) as unknown as tf.Tensor4D;
    // training: each BatchNorm normalises with the batch's statistics (PyTorch's train mode); the running
    // statistics are updated only while a gradient tape records — once per optimiser step and micro-batch,
    // not again when gradient caching replays the forward pass without a tape
    const update = training && gradientTapeOn();
    const bn = (p: string, x: tf.Tensor) =>
      applyBatchNorm(this.params, p, x, training, 1e-5, update) as tf.Tensor4D;
    return tf.tidy(() => {
      let x = tf.relu(bn('bn1', conv2d(images, g('conv1.weight'), null, 2, 1))) as tf.Tensor4D; // [B, S/2, S/2, w/2]
      x = tf.relu(bn('bn2', conv2d(x, g('conv2.weight'), null, 1, 1))) as tf.Tensor4D;
      x = tf.relu(bn('bn3', conv2d(x, g('conv3.weight'), null, 1, 1))) as tf.Tensor4D; // [B, S/2, S/2, w]
      x = avgPool2d(x, 2); // [B, S/4, S/4, w]
      for (const b of this.blocks) {
        x = tf.tidy(() => {
          const p = b.prefix;
          let y = tf.relu(bn(`${p}.bn1`, conv2d(x, g(`${p}.conv1.weight`)))) as tf.Tensor4D;
          y = tf.relu(bn(`${p}.bn2`, conv2d(y, g(`${p}.conv2.weight`), null, 1, 1))) as tf.Tensor4D;
          if (b.stride > 1) y = avgPool2d(y, b.stride); // anti-aliased stride: pool, then 1×1 conv
          y = bn(`${p}.bn3`, conv2d(y, g(`${p}.conv3.weight`)));
          let id = x;
          if (b.downsample) {
            const pooled = b.stride > 1 ? avgPool2d(x, b.stride) : x;
            id = bn(`${p}.downsample.1`, conv2d(pooled, g(`${p}.downsample.0.weight`)));
          }
          return tf.relu(tf.add(y, id)) as tf.Tensor4D;
        });
      }
      return x;
    });
  }

  /** {@link ModifiedResNet.features} with every BatchNorm folded into its convolution (inference only). */
  private featuresFolded(images: tf.Tensor4D): tf.Tensor4D {
    const cbr = (x: tf.Tensor4D, conv: string, bn: string, stride: number, act: 'linear' | 'relu') => {
      const f = this.folded.get(conv, bn);
      return conv2dBiasAct(x, f.kernel, f.bias, stride, f.kernel.shape[0] === 3 ? 1 : 0, act);
    };
    return tf.tidy(() => {
      let x = cbr(images, 'conv1', 'bn1', 2, 'relu'); // [B, S/2, S/2, w/2]
      x = cbr(x, 'conv2', 'bn2', 1, 'relu');
      x = cbr(x, 'conv3', 'bn3', 1, 'relu'); // [B, S/2, S/2, w]
      x = avgPool2d(x, 2); // [B, S/4, S/4, w]
      for (const b of this.blocks) {
        x = tf.tidy(() => {
          const p = b.prefix;
          let y = cbr(x, `${p}.conv1`, `${p}.bn1`, 1, 'relu');
          y = cbr(y, `${p}.conv2`, `${p}.bn2`, 1, 'relu');
          if (b.stride > 1) y = avgPool2d(y, b.stride); // anti-aliased stride: pool, then 1×1 conv
          y = cbr(y, `${p}.conv3`, `${p}.bn3`, 1, 'linear');
          let id = x;
          if (b.downsample) {
            const pooled = b.stride > 1 ? avgPool2d(x, b.stride) : x;
            id = cbr(pooled, `${p}.downsample.0`, `${p}.downsample.1`, 1, 'linear');
          }
          return tf.relu(tf.add(y, id)) as tf.Tensor4D;
        });
      }
      return x;
    });
  }

  /** @param images [B, S, S, 3] normalised (CLIP mean/std), channels last */
  encode(images: tf.Tensor4D, _training = false): EncoderOutput {
    // as a vision tower: BatchNorm on the running statistics (train it through `instruction(images, true)`)
    return tf.tidy(() => {
      const f = this.features(images); // [B, h, w, C]
      const [b, h, w, c] = f.shape;
      const local = tf.reshape(f, [b, h * w, c]) as tf.Tensor3D; // [B, hw, C]
      return { global: attentionPool2d(this.params, f, this.config.heads), local };
    });
  }

  /**
   * The attention-pooled embedding only [B, outputDim] (PIR-CLIP's instruction vector).
   * @param training BatchNorm on the batch's statistics (the released PIR-CLIP trains this tower so)
   */
  instruction(images: tf.Tensor4D, training = false): tf.Tensor2D {
    return tf.tidy(() => attentionPool2d(this.params, this.features(images, training), this.config.heads));
  }

  /** This tower as an {@link InstructionEncoder} (width `outputDim`): a view whose parameters and `dispose` are the tower's. */
  asInstructionEncoder(): InstructionView {
    return asInstructionEncoder(this);
  }

  /** Every parameter and buffer by PyTorch name, with its variable (`@pir/nn`'s `HasParameters`). */
  namedParameters(): NamedParameter[] {
    return this.params.namedParameters();
  }

  /** Trainable variables (BatchNorm excluded when frozen). */
  trainableVariables(): tf.Variable[] {
    return this.params.trainableVariables();
  }

  /** Free the weights (and the folded convolutions). */
  dispose(): void {
    this.folded.dispose();
    this.params.dispose();
  }
}
