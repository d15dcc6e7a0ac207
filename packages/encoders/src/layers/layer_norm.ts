/**
 * `nn.LayerNorm` as a tfjs Layer. The function `layerNorm` is `@pir/nn`'s.
 */
import { layerNorm } from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';

/** Config of {@link LayerNorm}. */
export interface LayerNormConfig extends LayerArgs {
  /** Added to the variance. Default 1e-5 (PyTorch). */
  epsilon?: number;
}

/**
 * `nn.LayerNorm` over the last axis as a tfjs Layer. Weights `gamma` (PyTorch `weight`) and `beta` (`bias`).
 * @example
 * ```ts
 * (new LayerNorm().apply(tf.ones([2, 5])) as tf.Tensor).shape; // [2, 5]
 * ```
 */
export class LayerNorm extends tfl.layers.Layer {
  static className = 'PirLayerNorm';
  readonly epsilon: number;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;

  constructor(config: LayerNormConfig = {}) {
    super(config);
    this.epsilon = config.epsilon ?? 1e-5;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const d = shape[shape.length - 1] as number;
    this.gamma = this.addWeight('gamma', [d], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [d], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      return layerNorm(
        x,
        (this.gamma as tfl.LayerVariable).read(),
        (this.beta as tfl.LayerVariable).read(),
        this.epsilon,
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm, 'pir');
