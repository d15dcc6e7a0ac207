/**
 * `nn.LayerNorm` as a tfjs Layer. The function `layerNorm` is `@pir/nn`'s.
 */
import { layerNorm, layerNormSpecs, type ParamSpec } from '@pir/nn';
import { firstShape, type InputShape, SpecLayer, type SpecLayerArgs } from '@pir/nn/layers';
import * as tf from '@tensorflow/tfjs-core';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { check } from './errors.js';

/** Config of {@link LayerNorm}. */
export interface LayerNormConfig extends LayerArgs, SpecLayerArgs {
  /** Added to the variance. Default 1e-5 (PyTorch). */
  epsilon?: number;
}

/**
 * `nn.LayerNorm` over the last axis as a tfjs Layer. Parameters `weight` (γ, ones) and `bias` (β, zeros), as
 * PyTorch names them.
 * @example
 * ```ts
 * (new LayerNorm().apply(tf.ones([2, 5])) as tf.Tensor).shape; // [2, 5]
 * ```
 */
export class LayerNorm extends SpecLayer {
  static className = 'PirLayerNorm';
  readonly epsilon: number;

  constructor(config: LayerNormConfig = {}) {
    super(config);
    this.epsilon = config.epsilon ?? 1e-5;
  }

  protected specsFor(inputShape: InputShape | null): ParamSpec[] {
    check(
      inputShape !== null,
      'LayerNorm',
      'inputShape',
      () => 'the parameters depend on the input width: apply or build the layer first',
    );
    const shape = firstShape(inputShape);
    return layerNormSpecs('', shape[shape.length - 1] as number);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      return layerNorm(x, this.weight('weight'), this.weight('bias'), this.epsilon);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm, 'pir');
