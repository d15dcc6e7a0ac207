/**
 * `nn.Linear` as a tfjs Layer, with PyTorch weight import. The function `linear` is `@pir/nn`'s.
 */
import { linear, linearSpecs, loadStateDict, type ParamSpec } from '@pir/nn';
import { firstShape, type InputShape, SpecLayer, type SpecLayerArgs } from '@pir/nn/layers';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { check } from './errors.js';

/** Config of {@link Linear}. */
export interface LinearConfig extends LayerArgs, SpecLayerArgs {
  /** Output features. */
  units: number;
  /** Add a bias. Default true. */
  useBias?: boolean;
}

/**
 * `nn.Linear` as a tfjs Layer: [..., in] → [..., units]. Parameters as PyTorch names them: `weight` [units, in]
 * (the variable holds [in, units]) and `bias` [units], PyTorch's default initialisation; load PyTorch weights
 * with `loadStateDict(layer, { weight, bias })` of `@pir/nn`.
 * @example
 * ```ts
 * const fc = new Linear({ units: 4 });
 * (fc.apply(tf.ones([2, 3])) as tf.Tensor).shape; // [2, 4]
 * ```
 */
export class Linear extends SpecLayer {
  static className = 'PirLinear';
  readonly units: number;
  readonly useBias: boolean;

  constructor(config: LinearConfig) {
    super(config);
    check(Number.isInteger(config.units) && config.units > 0, 'Linear', 'units', () => {
      return `units must be a positive integer, got ${config.units}`;
    });
    this.units = config.units;
    this.useBias = config.useBias ?? true;
  }

  protected specsFor(inputShape: InputShape | null): ParamSpec[] {
    check(
      inputShape !== null,
      'Linear',
      'inputShape',
      () => 'the parameters depend on the input width: apply or build the layer first',
    );
    const shape = firstShape(inputShape);
    return linearSpecs('', shape[shape.length - 1] as number, this.units, { bias: this.useBias });
  }

  override computeOutputShape(inputShape: tfl.Shape): tfl.Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      return linear(x, this.weight('weight'), this.useBias ? this.weight('bias') : null);
    });
  }

  /**
   * Set the weights from PyTorch `nn.Linear` tensors: `weight` [units, in], `bias` [units].
   * @deprecated use `loadStateDict(layer, { weight, bias })` of `@pir/nn` (checks names and shapes).
   */
  setTorchWeights(weight: tf.Tensor, bias?: tf.Tensor): void {
    loadStateDict(this, bias === undefined ? { weight } : { weight, bias }, {
      where: 'Linear.setTorchWeights',
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, useBias: this.useBias };
  }
}
tf.serialization.registerClass(Linear, 'pir');
