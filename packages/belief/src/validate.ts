/**
 * Shape checks shared by the belief functions: they name the function, the argument and the shapes seen.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { BeliefInputError } from './errors.js';

/** Tokens `[B, N, D]`, instruction `[B, D]` or `[B, 1, D]`, optional mask `[B, N]`; returns the instruction as `[B, D]`-compatible dims. */
export function checkTokens(
  where: string,
  tokens: tf.Tensor,
  instruction: tf.Tensor,
  mask: tf.Tensor | undefined,
): { b: number; n: number; d: number } {
  if (tokens.rank !== 3) {
    throw new BeliefInputError(where, 'tokens', `tokens must be [B, N, D], got shape [${tokens.shape}].`);
  }
  const [b, n, d] = tokens.shape as [number, number, number];
  const okInstr =
    (instruction.rank === 2 && instruction.shape[0] === b && instruction.shape[1] === d) ||
    (instruction.rank === 3 &&
      instruction.shape[0] === b &&
      instruction.shape[1] === 1 &&
      instruction.shape[2] === d);
  if (!okInstr) {
    throw new BeliefInputError(
      where,
      'instruction',
      `instruction must be [B, D] = [${b}, ${d}] or [B, 1, D] to match tokens [${tokens.shape}], got [${instruction.shape}].`,
    );
  }
  if (mask !== undefined && (mask.rank !== 2 || mask.shape[0] !== b || mask.shape[1] !== n)) {
    throw new BeliefInputError(
      where,
      'mask',
      `mask must be [B, N] = [${b}, ${n}] (1 = keep) to match tokens [${tokens.shape}], got [${mask.shape}].`,
    );
  }
  if (n === 0) throw new BeliefInputError(where, 'tokens', 'tokens must have N ≥ 1 tokens.');
  return { b, n, d };
}

/** `k` must be an integer in [1, n]. */
export function checkK(where: string, k: number, n: number): void {
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new BeliefInputError(where, 'k', `k must be an integer in [1, N] = [1, ${n}], got ${k}.`);
  }
}

/** `[i, j, k]` of flat index `i` in a row-major tensor of `shape`. */
function position(shape: readonly number[], flat: number): number[] {
  const out = new Array<number>(shape.length).fill(0);
  let rest = flat;
  for (let ax = shape.length - 1; ax >= 0; ax--) {
    const d = shape[ax] as number;
    out[ax] = rest % d;
    rest = Math.floor(rest / d);
  }
  return out;
}

/**
 * The value check behind `validate: true`: reads each tensor (`dataSync`, so it blocks on GPU backends — a
 * debugging aid, not for every step) and throws a {@link BeliefInputError} naming the first tensor with a
 * NaN or ±Infinity and the position of its first bad element. A NaN token would otherwise be ranked
 * silently (top-k and sorting place NaN arbitrarily), so the kept indices would mean nothing.
 */
export function checkFinite(where: string, tensors: Record<string, tf.Tensor | undefined>): void {
  for (const [name, x] of Object.entries(tensors)) {
    if (x === undefined) continue;
    const data = x.dataSync() as Float32Array | Int32Array | Uint8Array;
    for (let i = 0; i < data.length; i++) {
      const value = data[i] as number;
      if (!Number.isFinite(value)) {
        const at = position(x.shape, i);
        throw new BeliefInputError(
          where,
          name,
          `${name} [${x.shape}] holds ${value} at [${at}] (flat index ${i}): ` +
            'belief scores of non-finite tokens rank arbitrarily. Check the encoder and projection outputs.',
        );
      }
    }
  }
}
