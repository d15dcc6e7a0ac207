/**
 * `nn.Linear` as a tfjs Layer, with PyTorch weight import. The function `linear` is `@pir/nn`'s.
 */
import { linear } from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { check } from './errors.js';

/** Config of {@link Linear}. */
export interface LinearConfig extends LayerArgs {
  /** Output features. */
  units: number;
  /** Add a bias. Default true. */
  useBias?: boolean;
}

/**
 * `nn.Linear` as a tfjs Layer: [..., in] → [..., units]. Weights: `kernel` [in, units], `bias` [units].
 * Load PyTorch weights with {@link Linear.setTorchWeights}.
 * @example
 * ```ts
 * const fc = new Linear({ units: 4 });
 * (fc.apply(tf.ones([2, 3])) as tf.Tensor).shape; // [2, 4]
 * ```
 */
export class Linear extends tfl.layers.Layer {
  static className = 'PirLinear';
  readonly units: number;
  readonly useBias: boolean;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(config: LinearConfig) {
    super(config);
    check(Number.isInteger(config.units) && config.units > 0, 'Linear', 'units', () => {
      return `units must be a positive integer, got ${config.units}`;
    });
    this.units = config.units;
    this.useBias = config.useBias ?? true;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const inF = shape[shape.length - 1] as number;
    const limit = 1 / Math.sqrt(inF); // PyTorch's default init range
    this.kernel = this.addWeight(
      'kernel',
      [inF, this.units],
      'float32',
      tfl.initializers.randomUniform({ minval: -limit, maxval: limit }),
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        'bias',
        [this.units],
        'float32',
        tfl.initializers.randomUniform({ minval: -limit, maxval: limit }),
      );
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape): tfl.Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      return linear(x, (this.kernel as tfl.LayerVariable).read(), this.bias?.read() ?? null);
    });
  }

  /** Set the weights from PyTorch `nn.Linear` tensors: `weight` [units, in], `bias` [units]. */
  setTorchWeights(weight: tf.Tensor, bias?: tf.Tensor): void {
    const w = tf.transpose(weight);
    this.setWeights(this.useBias ? [w, bias as tf.Tensor] : [w]);
    w.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, useBias: this.useBias };
  }
}
tf.serialization.registerClass(Linear, 'pir');
