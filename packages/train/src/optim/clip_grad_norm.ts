/**
 * Gradient clipping by global norm, as PyTorch's `torch.nn.utils.clip_grad_norm_` (norm type 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { TrainInputError } from '../errors.js';

/** Parameter gradients: each trained variable and its gradient (same shape). */
export type Gradients = ReadonlyMap<tf.Variable, tf.Tensor>;

/** What {@link clipGradNorm} returns (the caller disposes every tensor). */
export interface ClippedGradients {
  /** The scaled gradients: new tensors, same keys and shapes. */
  grads: Map<tf.Variable, tf.Tensor>;
  /** [] the global 2-norm of the gradients before clipping (PyTorch's return value). */
  totalNorm: tf.Scalar;
}

/**
 * Scale all gradients together so that their global 2-norm is at most `maxNorm` — PyTorch's
 * `clip_grad_norm_(params, maxNorm)`: `total = ‖(‖g₁‖, …, ‖gₙ‖)‖₂`, every gradient multiplied by
 * `min(1, maxNorm / (total + 1e-6))`. Everything stays on the backend (no read-back), so clipping never
 * waits for the device. The input gradients are not disposed.
 *
 * @param grads variable → gradient (any shapes)
 * @param maxNorm the largest global norm allowed (> 0)
 * @example
 * ```ts
 * const { grads: clipped, totalNorm } = clipGradNorm(grads, 1.0);
 * ```
 */
export function clipGradNorm(grads: Gradients, maxNorm: number): ClippedGradients {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0))
    throw new TrainInputError('clipGradNorm', 'maxNorm', `must be a finite number > 0, got ${maxNorm}`);
  const entries = [...grads.entries()];
  if (entries.length === 0) return { grads: new Map(), totalNorm: tf.scalar(0) };
  // tidy keeps what it returns in arrays and plain objects (not in a Map)
  const [totalNorm, ...clipped] = tf.tidy(() => {
    const norms = entries.map(([, g]) => tf.norm(g));
    const total = tf.norm(tf.stack(norms)); // [] global 2-norm
    const coef = tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1); // clamp(max = 1)
    return [total, ...entries.map(([, g]) => tf.mul(g, coef))];
  });
  const out = new Map<tf.Variable, tf.Tensor>();
  entries.forEach(([v], i) => {
    out.set(v, clipped[i] as tf.Tensor);
  });
  return { grads: out, totalNorm: totalNorm as tf.Scalar };
}

/**
 * {@link clipGradNorm} that replaces the gradients in `grads` by their scaled versions one at a time, freeing
 * each original as soon as its copy exists — never two full sets of gradients in memory (PyTorch's in-place
 * `clip_grad_norm_`). Same values as {@link clipGradNorm}.
 * @returns [] the global 2-norm before clipping (the caller disposes it)
 */
export function clipGradNormInPlace(grads: Map<tf.Variable, tf.Tensor>, maxNorm: number): tf.Scalar {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0))
    throw new TrainInputError('clipGradNorm', 'maxNorm', `must be a finite number > 0, got ${maxNorm}`);
  if (grads.size === 0) return tf.scalar(0);
  const [total, coef] = tf.tidy(() => {
    const t = tf.norm(tf.stack([...grads.values()].map((g) => tf.norm(g))));
    return [t, tf.minimum(tf.div(maxNorm, tf.add(t, 1e-6)), 1)];
  }) as [tf.Scalar, tf.Scalar];
  try {
    for (const [v, g] of grads) {
      grads.set(v, tf.mul(g, coef));
      g.dispose();
    }
  } finally {
    coef.dispose();
  }
  return total;
}
