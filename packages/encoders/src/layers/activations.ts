/**
 * The activations of the encoders: exact GELU (`nn.GELU()`, BERT, ViT MLPs, Swin) and QuickGELU
 * (OpenAI CLIP's `x · σ(1.702 x)`).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { EncoderError } from './errors.js';

/**
 * Exact GELU: `x · ½ (1 + erf(x / √2))` (PyTorch `F.gelu`, approximate='none').
 * @example
 * ```ts
 * gelu(tf.tensor1d([-1, 0, 1])).print(); // ≈ [-0.1587, 0, 0.8413]
 * ```
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/**
 * QuickGELU: `x · σ(1.702 x)` (OpenAI CLIP).
 * @example
 * ```ts
 * quickGelu(tf.tensor1d([-1, 0, 1])).print(); // ≈ [-0.1541, 0, 0.8459]
 * ```
 */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** Names of the activations {@link activation} knows. */
export type ActivationName = 'gelu' | 'quick_gelu' | 'relu';

/** The activation function called `name`. */
export function activation(name: ActivationName): (x: tf.Tensor) => tf.Tensor {
  if (name === 'gelu') return gelu;
  if (name === 'quick_gelu') return quickGelu;
  if (name === 'relu') return (x) => tf.relu(x);
  throw new EncoderError(
    'activation',
    'name',
    `unknown activation '${String(name)}' (gelu, quick_gelu, relu)`,
  );
}

/** Config of {@link Gelu}. */
export interface GeluConfig extends LayerArgs {
  /** `'gelu'` (exact, default) or `'quick_gelu'`. */
  kind?: 'gelu' | 'quick_gelu';
}

/**
 * GELU or QuickGELU as a tfjs Layer (no weights).
 * @example
 * ```ts
 * new Gelu({ kind: 'quick_gelu' }).apply(tf.ones([2])); // ≈ [0.8458, 0.8458]
 * ```
 */
export class Gelu extends tfl.layers.Layer {
  static className = 'PirGelu';
  readonly kind: 'gelu' | 'quick_gelu';

  constructor(config: GeluConfig = {}) {
    super(config);
    // tfjs deserialization turns snake_case string values into camelCase ('quick_gelu' → 'quickGelu')
    const kind = (config.kind as string | undefined) === 'quickGelu' ? 'quick_gelu' : config.kind;
    this.kind = kind ?? 'gelu';
    if (this.kind !== 'gelu' && this.kind !== 'quick_gelu') {
      throw new EncoderError(
        'Gelu',
        'kind',
        `kind must be 'gelu' or 'quick_gelu', got '${String(this.kind)}'`,
      );
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    return this.kind === 'gelu' ? gelu(x) : quickGelu(x);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kind: this.kind };
  }
}
tf.serialization.registerClass(Gelu, 'pir');
