/**
 * Convolutions with PyTorch semantics (symmetric zero padding `padding=p`), PyTorch [O, I, kH, kW] weight
 * import, pooling as `nn.MaxPool2d` / `nn.AvgPool2d`, and the ViT patch stem as reshape + matMul (exact for
 * stride = kernel, and trains on every backend without a convolution filter gradient).
 */

import { loadStateDict, type ParamSpec, torchDefaultInit } from '@pir/nn';
import { firstShape, type InputShape, SpecLayer, type SpecLayerArgs } from '@pir/nn/layers';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { check } from './errors.js';

/**
 * `nn.Conv2d` forward on channels-last input.
 *
 * @param x [B, H, W, I]
 * @param kernel [kH, kW, I, O] (tfjs layout; a PyTorch weight [O, I, kH, kW] permuted by [2, 3, 1, 0])
 * @param bias [O] or null
 * @param stride PyTorch `stride`
 * @param padding PyTorch `padding` (zeros on every side)
 * @returns [B, H', W', O] with H' = ⌊(H + 2p − kH) / s⌋ + 1
 */
export function conv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor | null = null,
  stride = 1,
  padding = 0,
): tf.Tensor4D {
  check(x.rank === 4 && x.shape[3] === kernel.shape[2], 'conv2d', 'x', () => {
    return `x must be [B, H, W, ${kernel.shape[2]}] for kernel [${kernel.shape.join(', ')}], got [${x.shape.join(', ')}]`;
  });
  return tf.tidy(() => {
    const y = tf.conv2d(x, kernel, stride, padding === 0 ? 'valid' : padding);
    return bias === null ? y : tf.add(y, bias);
  });
}

/**
 * Convolution + bias + activation as ONE `tf.fused.conv2d` call (the wasm backend's `FusedConv2D` applies the
 * bias and the ReLU inside the XNNPACK convolution). With a kernel and bias from `foldBatchNorm` this is
 * `act(bn(conv(x)))` of an inference-mode BatchNorm. Same padding semantics as {@link conv2d}.
 *
 * @param x [B, H, W, I]
 * @param kernel [kH, kW, I, O]
 * @param bias [O] or null
 * @param activation `'linear'` (none) or `'relu'`
 * @returns [B, H', W', O]
 */
export function conv2dBiasAct(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  stride = 1,
  padding = 0,
  activation: 'linear' | 'relu' = 'linear',
): tf.Tensor4D {
  check(x.rank === 4 && x.shape[3] === kernel.shape[2], 'conv2dBiasAct', 'x', () => {
    return `x must be [B, H, W, ${kernel.shape[2]}] for kernel [${kernel.shape.join(', ')}], got [${x.shape.join(', ')}]`;
  });
  const pad = padding === 0 ? 'valid' : padding;
  return bias === null
    ? tf.fused.conv2d({ x, filter: kernel, strides: stride, pad, activation })
    : tf.fused.conv2d({ x, filter: kernel, strides: stride, pad, bias, activation });
}

/** `nn.MaxPool2d(kernel, stride, padding)` on [B, H, W, C] (padding never wins the max). */
export function maxPool2d(x: tf.Tensor4D, kernel: number, stride: number, padding = 0): tf.Tensor4D {
  return tf.maxPool(x, kernel, stride, padding === 0 ? 'valid' : padding);
}

/** `nn.AvgPool2d(kernel, stride)` with no padding on [B, H, W, C] (`kernel = stride = 1` is the identity). */
export function avgPool2d(x: tf.Tensor4D, kernel: number, stride = kernel): tf.Tensor4D {
  if (kernel === 1 && stride === 1) return tf.clone(x);
  return tf.avgPool(x, kernel, stride, 'valid');
}

/**
 * Patch embedding with stride = kernel = `patch` (the ViT stem `conv1`, no padding, no bias) as reshape +
 * matMul. Equals `conv2d(x, kernel, null, patch)` exactly; trailing rows/columns that do not fill a patch are
 * dropped as PyTorch drops them.
 *
 * @param x [B, H, W, C]
 * @param kernel [p, p, C, D] (tfjs layout)
 * @returns [B, H/p, W/p, D]
 */
export function patchEmbed(x: tf.Tensor4D, kernel: tf.Tensor4D, patch: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const d = kernel.shape[3];
  check(
    kernel.shape[0] === patch && kernel.shape[1] === patch && kernel.shape[2] === c,
    'patchEmbed',
    'kernel',
    () => {
      return `kernel must be [${patch}, ${patch}, ${c}, D], got [${kernel.shape.join(', ')}]`;
    },
  );
  const gh = Math.floor(h / patch);
  const gw = Math.floor(w / patch);
  check(
    gh > 0 && gw > 0,
    'patchEmbed',
    'x',
    () => `image ${h}×${w} is smaller than one ${patch}×${patch} patch`,
  );
  return tf.tidy(() => {
    let xc: tf.Tensor = x;
    if (gh * patch !== h || gw * patch !== w) xc = tf.slice(x, [0, 0, 0, 0], [b, gh * patch, gw * patch, c]);
    const p = tf.reshape(xc, [b, gh, patch, gw, patch, c]); // [B, gh, kH, gw, kW, C]
    const t = tf.transpose(p, [0, 1, 3, 2, 4, 5]); // [B, gh, gw, kH, kW, C]
    const cols = tf.reshape(t, [b * gh * gw, patch * patch * c]); // [B·N, kH·kW·C]
    const k2 = tf.reshape(kernel, [patch * patch * c, d]); // [kH·kW·C, D]
    return tf.reshape(tf.matMul(cols, k2), [b, gh, gw, d]); // [B, gh, gw, D]
  });
}

/** Config of {@link Conv2d}. */
export interface Conv2dConfig extends LayerArgs, SpecLayerArgs {
  /** Output channels O. */
  filters: number;
  /** Square kernel size k. */
  kernelSize: number;
  /** Stride. Default 1. */
  stride?: number;
  /** PyTorch zero padding on each side. Default 0. */
  padding?: number;
  /** Add a bias. Default true. */
  useBias?: boolean;
}

/**
 * `nn.Conv2d` (square kernel, symmetric padding) as a tfjs Layer on channels-last input [B, H, W, I].
 * Parameters as PyTorch names them: `weight` [O, I, k, k] (the variable holds [k, k, I, O]) and `bias` [O],
 * PyTorch's default initialisation U(±1/√(I·k²)). When `stride = kernelSize` and `padding = 0` the forward pass
 * is a patch embedding (reshape + matMul).
 * @example
 * ```ts
 * const c = new Conv2d({ filters: 8, kernelSize: 3, padding: 1 });
 * (c.apply(tf.ones([1, 5, 5, 3])) as tf.Tensor).shape; // [1, 5, 5, 8]
 * ```
 */
export class Conv2d extends SpecLayer {
  static className = 'PirConv2d';
  readonly filters: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly useBias: boolean;

  constructor(config: Conv2dConfig) {
    super(config);
    for (const f of ['filters', 'kernelSize'] as const) {
      check(
        Number.isInteger(config[f]) && config[f] > 0,
        'Conv2d',
        f,
        () => `${f} must be a positive integer, got ${config[f]}`,
      );
    }
    this.filters = config.filters;
    this.kernelSize = config.kernelSize;
    this.stride = config.stride ?? 1;
    this.padding = config.padding ?? 0;
    this.useBias = config.useBias ?? true;
  }

  protected specsFor(inputShape: InputShape | null): ParamSpec[] {
    check(
      inputShape !== null,
      'Conv2d',
      'inputShape',
      () => 'the parameters depend on the input channels: apply or build the layer first',
    );
    const c = firstShape(inputShape)[3] as number;
    const k = this.kernelSize;
    const init = torchDefaultInit(c * k * k);
    const specs: ParamSpec[] = [{ name: 'weight', shape: [this.filters, c, k, k], layout: 'conv2d', init }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.filters], init });
    return specs;
  }

  override computeOutputShape(inputShape: tfl.Shape): tfl.Shape {
    const out = (n: number | null) =>
      n === null ? null : Math.floor((n + 2 * this.padding - this.kernelSize) / this.stride) + 1;
    return [inputShape[0] as number, out(inputShape[1] ?? null), out(inputShape[2] ?? null), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const kernel = this.weight('weight') as tf.Tensor4D;
      const bias = this.useBias ? this.weight('bias') : null;
      if (this.stride === this.kernelSize && this.padding === 0) {
        const y = patchEmbed(x, kernel, this.kernelSize);
        return bias === null ? y : tf.add(y, bias);
      }
      return conv2d(x, kernel, bias, this.stride, this.padding);
    });
  }

  /**
   * Set the weights from PyTorch tensors: `weight` [O, I, k, k], `bias` [O].
   * @deprecated use `loadStateDict(layer, { weight, bias })` of `@pir/nn`.
   */
  setTorchWeights(weight: tf.Tensor, bias?: tf.Tensor): void {
    loadStateDict(this, bias === undefined ? { weight } : { weight, bias }, {
      where: 'Conv2d.setTorchWeights',
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      useBias: this.useBias,
    };
  }
}
tf.serialization.registerClass(Conv2d, 'pir');
