/**
 * Activations: exact GELU (`nn.GELU()`: BERT, ViT and Swin MLPs, PIR's FFN) and QuickGELU (OpenAI CLIP).
 */
import * as tf from '@tensorflow/tfjs-core';
import { NnInputError } from '../errors.js';

/**
 * Exact GELU: `x · ½ (1 + erf(x / √2))` (PyTorch `F.gelu`, approximate='none').
 * @example
 * ```ts
 * gelu(tf.tensor1d([-1, 0, 1])).arraySync(); // ≈ [-0.1587, 0, 0.8413]
 * ```
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/**
 * QuickGELU: `x · σ(1.702 x)` (OpenAI CLIP).
 * @example
 * ```ts
 * quickGelu(tf.tensor1d([-1, 0, 1])).arraySync(); // ≈ [-0.1541, 0, 0.8459]
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
  throw new NnInputError(
    'activation',
    'name',
    `unknown activation '${String(name)}' (gelu, quick_gelu, relu)`,
  );
}
