/**
 * Cheap input checks shared by every loss: metadata only (ranks, shapes, dtypes), plus the opt-in value
 * checks behind `validate: true` and the asynchronous {@link assertFinite}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError } from './errors.js';

/** Format a shape as `[4, 8]`. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Check a pair of embedding matrices `v` [B, D] and `t` [B, D]; returns B.
 * Row i of `t` is the caption paired with image row i of `v`.
 */
export function checkEmbeddings(where: string, v: unknown, t: unknown): number {
  for (const [name, x] of [
    ['v', v],
    ['t', t],
  ] as const) {
    if (!(x instanceof tf.Tensor)) {
      throw new LossInputError(where, name, `${name} must be a tf.Tensor of shape [B, D], got ${typeof x}.`);
    }
    if (x.rank !== 2) {
      throw new LossInputError(
        where,
        name,
        `${name} must have rank 2 [B, D], got rank ${x.rank} with shape ${fmt(x.shape)}. ` +
          'Pool or reshape token sequences to one embedding per sample first.',
      );
    }
    if (x.dtype !== 'float32') {
      throw new LossInputError(where, name, `${name} must be float32, got ${x.dtype} ${fmt(x.shape)}.`);
    }
    if (x.shape[0] === 0 || x.shape[1] === 0) {
      throw new LossInputError(where, name, `${name} is empty: shape ${fmt(x.shape)}.`);
    }
  }
  const vs = (v as tf.Tensor).shape;
  const ts = (t as tf.Tensor).shape;
  if (vs[0] !== ts[0]) {
    throw new LossInputError(
      where,
      't',
      `v and t must have the same batch size B, got v ${fmt(vs)} and t ${fmt(ts)}. ` +
        'Row i of t must be the caption paired with image row i of v.',
    );
  }
  if (vs[1] !== ts[1]) {
    throw new LossInputError(
      where,
      't',
      `v and t must have the same width D, got v ${fmt(vs)} and t ${fmt(ts)}. Project both to the same space.`,
    );
  }
  return vs[0] as number;
}

/** First non-finite element of `data`, or -1. */
function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i] as number)) return i;
  }
  return -1;
}

function nonFiniteError(where: string, name: string, x: tf.Tensor, data: ArrayLike<number>, i: number) {
  return new LossInputError(
    where,
    name,
    `${name} ${fmt(x.shape)} contains a non-finite value (${data[i]}) at flat index ${i}` +
      (x.rank === 2 ? ` (row ${Math.floor(i / (x.shape[1] as number))})` : '') +
      '. Check the encoder outputs (and the learning rate) for divergence.',
  );
}

/**
 * Synchronous value check behind `validate: true`: reads each tensor (`dataSync`, so it blocks on GPU
 * backends — a debugging aid, not for every step) and throws a {@link LossInputError} naming the first
 * non-finite one.
 */
export function checkFiniteSync(where: string, tensors: Record<string, tf.Tensor>): void {
  for (const [name, x] of Object.entries(tensors)) {
    const data = x.dataSync() as Float32Array;
    const i = firstNonFinite(data);
    if (i >= 0) throw nonFiniteError(where, name, x, data, i);
  }
}

/**
 * Assert that every tensor holds only finite values, without blocking (`await x.data()`).
 * Use it on inputs before a loss or on the loss value after it; the losses never hide a NaN — a non-finite
 * input always gives a non-finite loss.
 *
 * @param tensors name → tensor; the name appears in the error
 * @param where the caller's name for the error message (default `'assertFinite'`)
 * @throws LossInputError naming the first non-finite tensor and the flat index of the bad element
 * @example
 * ```ts
 * const loss = multiPositiveInfoNCE(v, t, ids);
 * await assertFinite({ loss }); // throws "assertFinite: loss [] contains a non-finite value (NaN) …"
 * ```
 */
export async function assertFinite(
  tensors: Record<string, tf.Tensor>,
  where = 'assertFinite',
): Promise<void> {
  for (const [name, x] of Object.entries(tensors)) {
    const data = (await x.data()) as Float32Array;
    const i = firstNonFinite(data);
    if (i >= 0) throw nonFiniteError(where, name, x, data, i);
  }
}
