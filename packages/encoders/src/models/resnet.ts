/**
 * torchvision ResNet (`resnet18`, `resnet50`, …): BasicBlock / Bottleneck (v1.5, stride on the 3×3), BatchNorm
 * in inference mode when frozen. Names as torchvision: `conv1`, `bn1`, `layer1.0.conv1`, `layer2.0.downsample.0`,
 * `layer2.0.downsample.1`, `fc`.
 */

import {
  batchNormSpecs,
  conv2dSpecs,
  countParameters,
  type HasParameters,
  linear,
  linearSpecs,
  type NamedParameter,
  type ParamSpec,
  ParamStore,
} from '@pir/nn';
import { getGlobalRng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput, InstructionEncoder, VisionEncoder } from '../contract.js';
import { batchNormInference, batchNormTraining, foldBatchNorm } from '../layers/batch_norm.js';
import { conv2d, conv2dBiasAct, maxPool2d } from '../layers/conv.js';
import { check, checkPositiveInt, checkShape } from '../layers/errors.js';
import { normalLinear } from './init.js';
import type { FoldBatchNorm, ResNetOptions } from './options.js';

/** Configuration of {@link ResNet}. */
export interface ResNetConfig {
  /** `'basic'` (ResNet-18/34) or `'bottleneck'` (ResNet-50/101/152). */
  block: 'basic' | 'bottleneck';
  /** Blocks per stage. ResNet-18: [2, 2, 2, 2]; ResNet-50: [3, 4, 6, 3]. */
  layers: [number, number, number, number];
  /** Channels of the stem and of stage 1 (`planes`). torchvision: 64. */
  width: number;
  /** Classes of the `fc` head; 0 = no head (the instruction encoder drops it). torchvision: 1000. */
  numClasses: number;
  /**
   * `'frozen'`: BatchNorm always uses its running statistics (and BN parameters do not train); `'train'`:
   * batch statistics and running-average updates when `encode(…, training = true)`. Default `'frozen'`.
   */
  batchNorm: 'frozen' | 'train';
}

/** torchvision `resnet18` (11,689,512 parameters with the 1000-class head). */
export const RESNET18: Readonly<ResNetConfig> = {
  block: 'basic',
  layers: [2, 2, 2, 2],
  width: 64,
  numClasses: 1000,
  batchNorm: 'frozen',
};
/** torchvision `resnet50` (25,557,032 parameters with the 1000-class head; 23,508,032 without). */
export const RESNET50: Readonly<ResNetConfig> = {
  block: 'bottleneck',
  layers: [3, 4, 6, 3],
  width: 64,
  numClasses: 1000,
  batchNorm: 'frozen',
};
/** Tiny bottleneck ResNet for tests: width 4, one block per stage, 5 classes. */
export const RESNET_TEST: Readonly<ResNetConfig> = {
  block: 'bottleneck',
  layers: [1, 1, 1, 1],
  width: 4,
  numClasses: 5,
  batchNorm: 'frozen',
};

const EXPANSION = { basic: 1, bottleneck: 4 } as const;

interface BlockPlan {
  prefix: string;
  inC: number;
  planes: number;
  stride: number;
  downsample: boolean;
}

function plan(c: ResNetConfig): BlockPlan[] {
  const exp = EXPANSION[c.block];
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
        downsample: stride !== 1 || inC !== planes * exp,
      });
      inC = planes * exp;
    }
  }
  return blocks;
}

/** Parameter specs with torchvision names. */
export function resnetSpecs(c: ResNetConfig): ParamSpec[] {
  const w = 'ResNet';
  checkPositiveInt(w, 'width', c.width);
  check(
    c.layers.length === 4 && c.layers.every((n) => Number.isInteger(n) && n > 0),
    w,
    'layers',
    () => `layers must be 4 positive integers, got [${c.layers.join(', ')}]`,
  );
  check(
    c.block === 'basic' || c.block === 'bottleneck',
    w,
    'block',
    () => `block must be 'basic' or 'bottleneck', got '${String(c.block)}'`,
  );
  const exp = EXPANSION[c.block];
  const specs: ParamSpec[] = [...conv2dSpecs('conv1', 3, c.width, 7), ...batchNormSpecs('bn1', c.width)];
  for (const b of plan(c)) {
    const p = b.prefix;
    if (c.block === 'basic') {
      specs.push(...conv2dSpecs(`${p}.conv1`, b.inC, b.planes, 3), ...batchNormSpecs(`${p}.bn1`, b.planes));
      specs.push(
        ...conv2dSpecs(`${p}.conv2`, b.planes, b.planes, 3),
        ...batchNormSpecs(`${p}.bn2`, b.planes),
      );
    } else {
      specs.push(...conv2dSpecs(`${p}.conv1`, b.inC, b.planes, 1), ...batchNormSpecs(`${p}.bn1`, b.planes));
      specs.push(
        ...conv2dSpecs(`${p}.conv2`, b.planes, b.planes, 3),
        ...batchNormSpecs(`${p}.bn2`, b.planes),
      );
      specs.push(
        ...conv2dSpecs(`${p}.conv3`, b.planes, b.planes * exp, 1),
        ...batchNormSpecs(`${p}.bn3`, b.planes * exp),
      );
    }
    if (b.downsample) {
      specs.push(
        ...conv2dSpecs(`${p}.downsample.0`, b.inC, b.planes * exp, 1),
        ...batchNormSpecs(`${p}.downsample.1`, b.planes * exp),
      );
    }
  }
  if (c.numClasses > 0) specs.push(...linearSpecs('fc', c.width * 8 * exp, c.numClasses, normalLinear(0.01)));
  return specs;
}

/**
 * Apply `<prefix>` BatchNorm: running statistics unless `training` (then batch statistics, and the running
 * buffers are updated with momentum 0.1 as PyTorch does).
 */
export function applyBatchNorm(
  params: ParamStore,
  prefix: string,
  x: tf.Tensor,
  training: boolean,
  eps = 1e-5,
  updateStats = true,
): tf.Tensor {
  const g = (n: string) => params.get(`${prefix}.${n}`);
  if (!training)
    return batchNormInference(x, g('running_mean'), g('running_var'), g('weight'), g('bias'), eps);
  const s = batchNormTraining(x, g('weight'), g('bias'), eps);
  if (!updateStats) return s.y;
  tf.tidy(() => {
    g('running_mean').assign(tf.add(tf.mul(g('running_mean'), 0.9), tf.mul(s.mean, 0.1)));
    g('running_var').assign(tf.add(tf.mul(g('running_var'), 0.9), tf.mul(s.unbiasedVar, 0.1)));
  });
  return s.y;
}

/** Whether a gradient tape is recording (inside `tf.grad`, `tf.variableGrads`, `optimizer.minimize`). */
export function gradientTapeOn(): boolean {
  return tf.engine().state.gradientDepth > 0;
}

/** Whether inference folds BatchNorm now (no tape, and `mode` allows it for these parameters). */
export function useFold(mode: FoldBatchNorm, params: ParamStore): boolean {
  if (mode === false || gradientTapeOn()) return false;
  return mode === true || params.trainableVariables().length === 0;
}

/**
 * Convolutions with their inference-mode BatchNorm folded in (`W' = W·s`, `b' = beta − mean·s`,
 * `s = gamma / sqrt(running_var + eps)`), for frozen ResNets: each `conv + BN (+ ReLU)` becomes one
 * `tf.fused.conv2d` call.
 *
 * The folded tensors are recomputed whenever one of their five sources (conv weight, BN weight, bias,
 * running_mean, running_var) has been re-assigned since they were folded: `tf.Variable.assign` — which
 * `loadStateDict`, the optimizers and the running-statistics update all use — gives the variable a new data
 * id, and the fold remembers the data ids it was made from. {@link FoldedConvs.invalidate} drops everything
 * (needed only after writing into a variable's backend memory directly, bypassing `assign`).
 */
export class FoldedConvs {
  // keyed by the convolution's name; `from` = the data ids of the five sources when folded
  private readonly cache = new Map<string, { kernel: tf.Tensor4D; bias: tf.Tensor1D; from: object[] }>();

  /**
   * @param params the model's parameters (conv weights `<conv>.weight`, BN `<bn>.{weight,bias,running_mean,running_var}`)
   * @param eps BatchNorm epsilon
   */
  constructor(
    private readonly params: ParamStore,
    private readonly eps = 1e-5,
  ) {}

  private sources(conv: string, bn: string): tf.Variable[] {
    const g = (n: string) => this.params.get(n);
    return [
      g(`${conv}.weight`),
      g(`${bn}.weight`),
      g(`${bn}.bias`),
      g(`${bn}.running_mean`),
      g(`${bn}.running_var`),
    ];
  }

  /** Folded `{ kernel [kH, kW, I, O], bias [O] }` of convolution `conv` and BatchNorm `bn`. */
  get(conv: string, bn: string): { kernel: tf.Tensor4D; bias: tf.Tensor1D } {
    const src = this.sources(conv, bn);
    const [w, gamma, beta, mean, variance] = src as [
      tf.Variable,
      tf.Variable,
      tf.Variable,
      tf.Variable,
      tf.Variable,
    ];
    const hit = this.cache.get(conv);
    if (hit !== undefined) {
      if (hit.from.every((id, i) => id === (src[i] as tf.Variable).dataId)) return hit;
      tf.dispose([hit.kernel, hit.bias]); // a source was re-assigned: fold again
    }
    const f = tf.tidy(() =>
      foldBatchNorm(w as unknown as tf.Tensor4D, mean, variance, gamma, beta, this.eps),
    );
    tf.keep(f.kernel);
    tf.keep(f.bias);
    const entry = { ...f, from: src.map((v) => v.dataId) };
    this.cache.set(conv, entry);
    return entry;
  }

  /** Number of folded convolutions held. */
  get size(): number {
    return this.cache.size;
  }

  /** Drop (and free) every folded tensor; the next call folds again. */
  invalidate(): void {
    for (const e of this.cache.values()) tf.dispose([e.kernel, e.bias]);
    this.cache.clear();
  }

  /** Free the folded tensors. */
  dispose(): void {
    this.invalidate();
  }
}

/**
 * torchvision ResNet implementing {@link VisionEncoder} and {@link InstructionEncoder}.
 *
 * `encode(images [B, H, W, 3])` → `global` [B, C] (global average pool of the last stage; C = 512 for
 * ResNet-18, 2048 for ResNet-50), `local` [B, h·w, C] (the last stage's grid, 7×7 at 224 px).
 * `logits(images)` → [B, numClasses] through `fc`. As an {@link InstructionEncoder}, `encode` is not used:
 * call {@link ResNet.instruction} or wrap with `asInstructionEncoder`.
 * @example
 * ```ts
 * const net = new ResNet(RESNET_TEST);
 * net.encode(tf.zeros([1, 32, 32, 3])).global.shape; // [1, 128]
 * ```
 */
export class ResNet implements VisionEncoder, HasParameters {
  readonly config: Readonly<ResNetConfig>;
  readonly params: ParamStore;
  readonly dim: number;
  private readonly blocks: BlockPlan[];
  /** When inference folds BatchNorm into the convolutions: see {@link FoldBatchNorm}. */
  foldBatchNorm: FoldBatchNorm;
  /** The folded convolutions, made on first folded use (see {@link FoldedConvs} for when they are recomputed). */
  readonly folded: FoldedConvs;

  /**
   * @param config fields that differ from ResNet-50 ({@link RESNET50}), the default — e.g. a named test size:
   *   `new ResNet(RESNET_TEST)`; `listEncoders()` lists every named size
   */
  constructor(config: Partial<ResNetConfig> = {}, options: ResNetOptions = {}) {
    this.config = { ...RESNET50, ...config };
    this.params = new ParamStore(resnetSpecs(this.config), options.rng ?? getGlobalRng(), 'ResNet');
    this.folded = new FoldedConvs(this.params);
    this.foldBatchNorm = options.foldBatchNorm ?? 'auto';
    this.blocks = plan(this.config);
    this.dim = this.config.width * 8 * EXPANSION[this.config.block];
    if (this.config.batchNorm === 'frozen') this.params.setTrainable(false, (n) => this.isBatchNorm(n));
  }

  private isBatchNorm(name: string): boolean {
    return /(^|\.)bn\d\.|downsample\.1\./.test(name);
  }

  /** Parameter count of a configuration without allocating it. */
  static countParameters(config: ResNetConfig): number {
    return countParameters(resnetSpecs(config));
  }

  /**
   * The last stage's feature map.
   * @param images [B, H, W, 3]
   * @returns [B, H/32, W/32, C]
   */
  features(images: tf.Tensor4D, training = false): tf.Tensor4D {
    checkShape('ResNet.encode', 'images', images.shape, [-1, -1, -1, 3]);
    const bnTrain = training && this.config.batchNorm === 'train';
    if (!bnTrain && useFold(this.foldBatchNorm, this.params)) return this.featuresFolded(images);
    const g = (n: string) => this.params.get(n) as unknown as tf.Tensor4D;
    const bn = (p: string, x: tf.Tensor) => applyBatchNorm(this.params, p, x, bnTrain);
    return tf.tidy(() => {
      let x = tf.relu(bn('bn1', conv2d(images, g('conv1.weight'), null, 2, 3))) as tf.Tensor4D; // [B, H/2, W/2, C]
      x = maxPool2d(x, 3, 2, 1); // [B, H/4, W/4, C]
      for (const b of this.blocks) {
        x = tf.tidy(() => {
          const p = b.prefix;
          let y: tf.Tensor4D;
          if (this.config.block === 'basic') {
            y = tf.relu(bn(`${p}.bn1`, conv2d(x, g(`${p}.conv1.weight`), null, b.stride, 1))) as tf.Tensor4D;
            y = bn(`${p}.bn2`, conv2d(y, g(`${p}.conv2.weight`), null, 1, 1)) as tf.Tensor4D;
          } else {
            y = tf.relu(bn(`${p}.bn1`, conv2d(x, g(`${p}.conv1.weight`)))) as tf.Tensor4D;
            y = tf.relu(bn(`${p}.bn2`, conv2d(y, g(`${p}.conv2.weight`), null, b.stride, 1))) as tf.Tensor4D;
            y = bn(`${p}.bn3`, conv2d(y, g(`${p}.conv3.weight`))) as tf.Tensor4D;
          }
          const id = b.downsample
            ? bn(`${p}.downsample.1`, conv2d(x, g(`${p}.downsample.0.weight`), null, b.stride))
            : x;
          return tf.relu(tf.add(y, id)) as tf.Tensor4D;
        });
      }
      return x;
    });
  }

  /** {@link ResNet.features} with every BatchNorm folded into its convolution (inference only). */
  private featuresFolded(images: tf.Tensor4D): tf.Tensor4D {
    const cbr = (
      x: tf.Tensor4D,
      conv: string,
      bn: string,
      stride: number,
      padding: number,
      act: 'linear' | 'relu',
    ) => {
      const f = this.folded.get(conv, bn);
      return conv2dBiasAct(x, f.kernel, f.bias, stride, padding, act);
    };
    return tf.tidy(() => {
      let x = cbr(images, 'conv1', 'bn1', 2, 3, 'relu'); // [B, H/2, W/2, C]
      x = maxPool2d(x, 3, 2, 1); // [B, H/4, W/4, C]
      for (const b of this.blocks) {
        x = tf.tidy(() => {
          const p = b.prefix;
          let y: tf.Tensor4D;
          if (this.config.block === 'basic') {
            y = cbr(x, `${p}.conv1`, `${p}.bn1`, b.stride, 1, 'relu');
            y = cbr(y, `${p}.conv2`, `${p}.bn2`, 1, 1, 'linear');
          } else {
            y = cbr(x, `${p}.conv1`, `${p}.bn1`, 1, 0, 'relu');
            y = cbr(y, `${p}.conv2`, `${p}.bn2`, b.stride, 1, 'relu');
            y = cbr(y, `${p}.conv3`, `${p}.bn3`, 1, 0, 'linear');
          }
          const id = b.downsample
            ? cbr(x, `${p}.downsample.0`, `${p}.downsample.1`, b.stride, 0, 'linear')
            : x;
          return tf.relu(tf.add(y, id)) as tf.Tensor4D;
        });
      }
      return x;
    });
  }

  /** @param images [B, H, W, 3] normalised, channels last */
  encode(images: tf.Tensor4D, training = false): EncoderOutput {
    return tf.tidy(() => {
      const f = this.features(images, training); // [B, h, w, C]
      const [b, h, w, c] = f.shape;
      const local = tf.reshape(f, [b, h * w, c]) as tf.Tensor3D; // [B, h·w, C]
      const global = tf.mean(local, 1) as tf.Tensor2D; // [B, C]
      return { global, local };
    });
  }

  /** The pooled feature only [B, C] (the instruction vector). */
  instruction(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.mean(this.features(images, false), [1, 2]) as tf.Tensor2D);
  }

  /** Class logits [B, numClasses] through `fc`. */
  logits(images: tf.Tensor4D, training = false): tf.Tensor2D {
    check(
      this.config.numClasses > 0,
      'ResNet.logits',
      'numClasses',
      () => 'this ResNet has no fc head (numClasses = 0)',
    );
    return tf.tidy(() => {
      const pooled = tf.mean(this.features(images, training), [1, 2]); // [B, C]
      return linear(pooled, this.params.get('fc.weight'), this.params.get('fc.bias')) as tf.Tensor2D;
    });
  }

  /** This network as an {@link InstructionEncoder} (width {@link ResNet.dim}), as `ModifiedResNet` offers too. */
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

/** An {@link InstructionEncoder} that is a view of a network: its parameters and its `dispose` are the network's. */
export interface InstructionView extends InstructionEncoder, HasParameters {
  /**
   * @param images [B, H, W, 3] → [B, Di]
   * @param training BatchNorm on the batch's statistics (networks that support it: `ModifiedResNet`); default
   *   false, the running statistics (a frozen instruction encoder)
   */
  encode(images: tf.Tensor4D, training?: boolean): tf.Tensor2D;
  /** Free the viewed network. */
  dispose(): void;
}

/**
 * View a vision model with an `instruction(images)` method as an {@link InstructionEncoder} of width `dim`.
 * The view's `namedParameters()` (so `loadStateDict(view, sd)` loads the network) and `dispose()` are the
 * network's.
 */
export function asInstructionEncoder(
  model: {
    dim: number;
    instruction(images: tf.Tensor4D, training?: boolean): tf.Tensor2D;
  } & Partial<HasParameters> & {
      dispose?: () => void;
    },
): InstructionView {
  return {
    dim: model.dim,
    encode: (images, training) => model.instruction(images, training),
    namedParameters: () => model.namedParameters?.() ?? [],
    ...(model.ignoredKeys === undefined ? {} : { ignoredKeys: model.ignoredKeys }),
    dispose: () => model.dispose?.(),
  };
}
