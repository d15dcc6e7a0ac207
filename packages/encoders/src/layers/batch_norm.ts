/**
 * Batch normalisation over the channel (last) axis, `nn.BatchNorm2d` / `nn.BatchNorm1d` semantics: running
 * statistics in inference mode (and whenever the layer is frozen), batch statistics in training mode.
 */

import { batchNormSpecs, loadStateDict, type ParamSpec } from '@pir/nn';
import { firstShape, type InputShape, SpecLayer, type SpecLayerArgs } from '@pir/nn/layers';
import * as tf from '@tensorflow/tfjs-core';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { EncoderError } from './errors.js';

/**
 * Inference-mode batch norm: `(x − runningMean) / sqrt(runningVar + eps) · gamma + beta`.
 *
 * @param x [..., C] (channels last)
 * @param mean [C] `running_mean`
 * @param variance [C] `running_var`
 * @param gamma [C] `weight`
 * @param beta [C] `bias`
 * @param eps PyTorch default 1e-5
 * @returns [..., C]
 */
export function batchNormInference(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps = 1e-5,
): tf.Tensor {
  return tf.tidy(() => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps))); // [C]
    return tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale)));
  });
}

/**
 * Training-mode batch norm: normalise with the batch statistics over every axis but the last (biased
 * variance, as PyTorch normalises). Also returns those statistics (variance unbiased, as PyTorch's running
 * update uses) so the caller can update its running buffers.
 *
 * @param x [..., C]
 * @returns `{ y: [..., C], mean: [C], unbiasedVar: [C] }`
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps = 1e-5,
): { y: tf.Tensor; mean: tf.Tensor1D; unbiasedVar: tf.Tensor1D } {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const n = x.size / (x.shape[x.rank - 1] as number);
    const { mean, variance } = tf.moments(x, axes); // [C], [C] (biased)
    const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
    const unbiasedVar = tf.mul(variance, n > 1 ? n / (n - 1) : 1) as tf.Tensor1D;
    return { y, mean: mean as tf.Tensor1D, unbiasedVar };
  });
}

/** Config of {@link BatchNorm}. */
export interface BatchNormConfig extends LayerArgs, SpecLayerArgs {
  /** Added to the variance. Default 1e-5. */
  epsilon?: number;
  /** PyTorch momentum of the running statistics (`new = (1 − m)·old + m·batch`). Default 0.1. */
  momentum?: number;
}

/**
 * `nn.BatchNorm2d` (channels last) as a tfjs Layer. Parameters as PyTorch names them: `weight`, `bias`
 * (trainable), `running_mean`, `running_var` (buffers). `apply(x, { training: true })` uses and updates batch
 * statistics unless the layer is frozen (`trainable = false`), which always runs in inference mode.
 * @example
 * ```ts
 * const bn = new BatchNorm();
 * (bn.apply(tf.ones([2, 4, 4, 3])) as tf.Tensor).shape; // [2, 4, 4, 3]
 * ```
 */
export class BatchNorm extends SpecLayer {
  static className = 'PirBatchNorm';
  readonly epsilon: number;
  readonly momentum: number;

  constructor(config: BatchNormConfig = {}) {
    super(config);
    this.epsilon = config.epsilon ?? 1e-5;
    this.momentum = config.momentum ?? 0.1;
  }

  protected specsFor(inputShape: InputShape | null): ParamSpec[] {
    if (inputShape === null)
      throw new EncoderError(
        'BatchNorm',
        'inputShape',
        'the parameters depend on the channels: apply or build the layer first',
      );
    const shape = firstShape(inputShape);
    return batchNormSpecs('', shape[shape.length - 1] as number);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs = {}): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
      const [gamma, beta] = [this.weight('weight'), this.weight('bias')];
      if (kwargs.training === true && this.trainable) {
        const s = batchNormTraining(x, gamma, beta, this.epsilon);
        const m = this.momentum;
        const mean = this.layerVariable('running_mean');
        const variance = this.layerVariable('running_var');
        mean.write(tf.add(tf.mul(mean.read(), 1 - m), tf.mul(s.mean, m)));
        variance.write(tf.add(tf.mul(variance.read(), 1 - m), tf.mul(s.unbiasedVar, m)));
        return s.y;
      }
      return batchNormInference(
        x,
        this.weight('running_mean'),
        this.weight('running_var'),
        gamma,
        beta,
        this.epsilon,
      );
    });
  }

  /**
   * Set from PyTorch `weight`, `bias`, `running_mean`, `running_var` (all [C]).
   * @deprecated use `loadStateDict(layer, { weight, bias, running_mean, running_var })` of `@pir/nn`.
   */
  setTorchWeights(weight: tf.Tensor, bias: tf.Tensor, runningMean: tf.Tensor, runningVar: tf.Tensor): void {
    loadStateDict(
      this,
      { weight, bias, running_mean: runningMean, running_var: runningVar },
      { where: 'BatchNorm.setTorchWeights' },
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}
tf.serialization.registerClass(BatchNorm, 'pir');

/**
 * Fold an inference-mode batch norm into the convolution before it: `bn(conv(x, W)) = conv(x, W') + b'` with
 * `W' = W · s`, `b' = beta − mean · s`, `s = gamma / sqrt(runningVar + eps)` per output channel (the same
 * scale {@link batchNormInference} computes, so the two forms agree to float rounding).
 *
 * @param kernel [kH, kW, I, O] (tfjs layout)
 * @param mean [O] `running_mean`
 * @param variance [O] `running_var`
 * @param gamma [O] `weight`
 * @param beta [O] `bias`
 * @param eps PyTorch default 1e-5
 * @returns `{ kernel: [kH, kW, I, O], bias: [O] }`
 * @example
 * ```ts
 * const { kernel, bias } = foldBatchNorm(w, mean, variance, gamma, beta);
 * tf.fused.conv2d({ x, filter: kernel, strides: 1, pad: 'valid', bias, activation: 'relu' });
 * ```
 */
export function foldBatchNorm(
  kernel: tf.Tensor4D,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps = 1e-5,
): { kernel: tf.Tensor4D; bias: tf.Tensor1D } {
  const o = kernel.shape[3];
  for (const [name, t] of [
    ['mean', mean],
    ['variance', variance],
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== o) {
      throw new EncoderError(
        'foldBatchNorm',
        name,
        `${name} must be [${o}] for kernel [${kernel.shape.join(', ')}], got [${t.shape.join(', ')}]`,
      );
    }
  }
  return tf.tidy(() => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps))); // [O]
    return {
      kernel: tf.mul(kernel, scale) as tf.Tensor4D, // [kH, kW, I, O]
      bias: tf.sub(beta, tf.mul(mean, scale)) as tf.Tensor1D, // [O]
    };
  });
}
