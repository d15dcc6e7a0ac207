/**
 * The GELU activation as a tfjs Layer. The functions (`gelu`, `quickGelu`, `activation`) are `@pir/nn`'s.
 */
import { gelu, quickGelu } from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { EncoderError } from './errors.js';

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
