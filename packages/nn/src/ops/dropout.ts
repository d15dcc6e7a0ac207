/**
 * Dropout driven by explicit settings, so that a forward pass is reproducible from a seed.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Dropout settings of a forward pass. */
export interface DropoutOptions {
  /** Probability of dropping (0 disables). */
  rate?: number;
  /** Apply dropout (training mode). Default false. */
  training?: boolean;
  /** Seed source: a function returning a fresh 31-bit seed per dropout call (e.g. `() => rng.nextSeed()`). */
  nextSeed?: () => number;
}

/**
 * Inverted dropout (`F.dropout`): in training with `rate > 0`, zero each element with probability `rate` and
 * scale the rest by `1/(1 − rate)`; otherwise `x` itself.
 */
export function dropout(x: tf.Tensor, options: DropoutOptions = {}): tf.Tensor {
  const rate = options.rate ?? 0;
  if (!(options.training ?? false) || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, options.nextSeed?.());
}
