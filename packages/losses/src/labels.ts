/**
 * Group identities (image ids, scene labels) → a [B, B] equality matrix, without loops over tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError } from './errors.js';
import { fmt } from './validate.js';

/**
 * Image ids, one per row of the batch: `number[]`, `Int32Array` or an int32 tensor [B].
 * Rows with equal ids show the same image (e.g. several captions of one image).
 */
export type Ids = readonly number[] | Int32Array | tf.Tensor1D;

/** Scene labels, one per row: like {@link Ids}, or strings (`'parking'`, `'00578'`). */
export type Labels = Ids | readonly string[];

/**
 * `E_ij = 1[id(i) = id(j)]` as float32 [B, B] (symmetric, ones on the diagonal).
 *
 * Arrays are compared on the host (they are already there); int32 tensors on the device with `tf.equal`
 * (no data read).
 *
 * @param ids [B] ids or labels
 * @param batch B, the batch size the ids must match
 * @param where the public function named in errors (default `'equalityMatrix'`)
 * @param argument the argument named in errors (default `'ids'`)
 * @returns [B, B] float32
 * @throws LossInputError when `ids` is not an array or int32 tensor of length B, or holds a non-finite entry
 * @example
 * ```ts
 * equalityMatrix(['a', 'b', 'a'], 3).print(); // [[1,0,1],[0,1,0],[1,0,1]]
 * ```
 */
export function equalityMatrix(
  ids: Labels,
  batch: number,
  where = 'equalityMatrix',
  argument = 'ids',
): tf.Tensor2D {
  if (ids instanceof tf.Tensor) {
    if (ids.rank !== 1 || ids.shape[0] !== batch) {
      throw new LossInputError(
        where,
        argument,
        `${argument} must have shape [B] = [${batch}] (one per row of v and t), got ${fmt(ids.shape)}.`,
      );
    }
    if (ids.dtype !== 'int32') {
      throw new LossInputError(
        where,
        argument,
        `${argument} must be an int32 tensor, got ${ids.dtype}. Cast with tf.cast(${argument}, 'int32') or pass an array.`,
      );
    }
    // [B, 1] == [1, B] → [B, B]
    return tf.tidy(
      () => tf.cast(tf.equal(tf.expandDims(ids, 1), tf.expandDims(ids, 0)), 'float32') as tf.Tensor2D,
    );
  }
  if (!Array.isArray(ids) && !(ids instanceof Int32Array)) {
    throw new LossInputError(
      where,
      argument,
      `${argument} must be a number[], string[], Int32Array or int32 tensor [B], got ${typeof ids}.`,
    );
  }
  const list = ids as ArrayLike<number | string>;
  if (list.length !== batch) {
    throw new LossInputError(
      where,
      argument,
      `${argument} must have one entry per row of v and t (B = ${batch}), got ${list.length}.`,
    );
  }
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x === 'number' ? !Number.isFinite(x) : typeof x !== 'string') {
      throw new LossInputError(
        where,
        argument,
        `${argument}[${i}] must be a finite number or a string, got ${String(x)}.`,
      );
    }
  }
  const eq = new Float32Array(batch * batch);
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < batch; j++) eq[i * batch + j] = list[i] === list[j] ? 1 : 0;
  }
  return tf.tensor2d(eq, [batch, batch]);
}
