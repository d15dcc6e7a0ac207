/**
 * PIR-CLIP's instruction-token prepend (PIR_SPEC §2): the instruction token goes in front of the
 * re-weighted patch sequence, without a positional embedding, and the ViT pools this slot (token 0).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BeliefInputError } from './errors.js';

/**
 * Prepend the instruction token `y` to `tokens`; with a mask, the new slot is marked valid.
 *
 * @param tokens [B, N, D]
 * @param instruction y [B, D] or [B, 1, D]
 * @param mask [B, N] (optional)
 * @returns tokens [B, N+1, D] (and mask [B, N+1] when a mask was given)
 * @example
 * ```ts
 * const { tokens } = prependInstruction(tf.zeros([1, 2, 3]), tf.ones([1, 3]));
 * tokens.print(); // [[[1, 1, 1], [0, 0, 0], [0, 0, 0]]]
 * ```
 */
export function prependInstruction(
  tokens: tf.Tensor3D,
  instruction: tf.Tensor,
  mask?: tf.Tensor2D,
): { tokens: tf.Tensor3D; mask?: tf.Tensor2D } {
  const where = 'prependInstruction';
  if (tokens.rank !== 3) {
    throw new BeliefInputError(where, 'tokens', `tokens must be [B, N, D], got [${tokens.shape}].`);
  }
  const [b, n, d] = tokens.shape;
  const ok =
    (instruction.rank === 2 && instruction.shape[0] === b && instruction.shape[1] === d) ||
    (instruction.rank === 3 &&
      instruction.shape[0] === b &&
      instruction.shape[1] === 1 &&
      instruction.shape[2] === d);
  if (!ok) {
    throw new BeliefInputError(
      where,
      'instruction',
      `instruction must be [B, D] = [${b}, ${d}] or [B, 1, D], got [${instruction.shape}].`,
    );
  }
  if (mask !== undefined && (mask.rank !== 2 || mask.shape[0] !== b || mask.shape[1] !== n)) {
    throw new BeliefInputError(where, 'mask', `mask must be [B, N] = [${b}, ${n}], got [${mask.shape}].`);
  }
  return tf.tidy(() => {
    const y = tf.reshape(tf.cast(instruction, tokens.dtype), [b, 1, d]); // [B, 1, D]
    const out = tf.concat([y, tokens], 1) as tf.Tensor3D; // [B, N+1, D]
    if (mask === undefined) return { tokens: out };
    const m = tf.concat([tf.ones([b, 1]), tf.cast(mask, 'float32')], 1) as tf.Tensor2D; // [B, N+1]
    return { tokens: out, mask: m };
  });
}
