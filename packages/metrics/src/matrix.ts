/**
 * Matrix inputs: a tfjs tensor or plain row-major `Float32Array` values with their shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetricsInputError } from './errors.js';

/** Row-major float32 values of an `[rows, cols]` matrix. */
export interface PlainMatrix {
  /** `rows × cols` values, row after row. */
  readonly data: Float32Array;
  /** `[rows, cols]`. */
  readonly shape: readonly [number, number];
}

/** A 2-D matrix: a `tf.Tensor2D` (float32 or int32) or a {@link PlainMatrix}. */
export type MatrixLike = tf.Tensor2D | PlainMatrix;

/** Largest row count whose rank counts stay exact in float32 sums. */
export const MAX_ROWS = 2 ** 24;

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * Check that `m` is a usable 2-D matrix and return its shape.
 * @param where the public function, for errors
 * @param name the argument's name, for errors
 * @param m [rows, cols]
 */
export function matrixShape(where: string, name: string, m: MatrixLike): [number, number] {
  const fail = (message: string) => new MetricsInputError(where, name, message);
  if (m instanceof tf.Tensor) {
    if (m.isDisposed) throw fail(`${name} is a disposed tensor`);
    if (m.rank !== 2) throw fail(`${name} must be a 2-D tensor [N, D], got shape ${fmt(m.shape)}`);
    if (m.dtype !== 'float32' && m.dtype !== 'int32') {
      throw fail(`${name} must be a float32 or int32 tensor, got dtype '${m.dtype}'`);
    }
    return [m.shape[0], m.shape[1]];
  }
  if (m === null || typeof m !== 'object' || !(m.data instanceof Float32Array) || !Array.isArray(m.shape)) {
    throw fail(`${name} must be a tf.Tensor2D or { data: Float32Array, shape: [rows, cols] }`);
  }
  const [rows, cols] = m.shape;
  if (m.shape.length !== 2 || !Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw fail(`${name}.shape must be [rows, cols] of non-negative integers, got ${fmt(m.shape)}`);
  }
  if (m.data.length !== rows * cols) {
    throw fail(
      `${name}.data has ${m.data.length} values but ${name}.shape ${fmt(m.shape)} needs ${rows * cols}`,
    );
  }
  return [rows, cols];
}

/**
 * Throw if `m` holds NaN or ±Infinity, naming the first offending `[row, col]`.
 * @param where the public function, for errors
 * @param name the argument's name, for errors
 * @param m [rows, cols]
 */
export async function assertFinite(where: string, name: string, m: MatrixLike): Promise<void> {
  let values: ArrayLike<number>;
  let cols: number;
  if (m instanceof tf.Tensor) {
    const ok = tf.tidy(() => tf.all(tf.isFinite(m)));
    const allFinite = (await ok.data())[0] === 1;
    ok.dispose();
    if (allFinite) return;
    values = await m.data();
    cols = m.shape[1];
  } else {
    values = m.data;
    cols = m.shape[1];
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      const r = Math.floor(i / cols);
      throw new MetricsInputError(
        where,
        name,
        `${name}[${r}, ${i - r * cols}] is ${v}: inputs must be finite numbers`,
      );
    }
  }
}

/** Rows `[r0, r1)` of `m` as a new float32 tensor the caller owns (the input is never disposed). */
export function rowBlock(m: MatrixLike, r0: number, r1: number): tf.Tensor2D {
  if (m instanceof tf.Tensor) {
    return tf.tidy(() => {
      const rows = r0 === 0 && r1 === m.shape[0] ? tf.clone(m) : tf.slice(m, [r0, 0], [r1 - r0, m.shape[1]]);
      return rows.dtype === 'float32' ? rows : tf.cast(rows, 'float32');
    });
  }
  const cols = m.shape[1];
  return tf.tensor2d(m.data.subarray(r0 * cols, r1 * cols), [r1 - r0, cols], 'float32');
}
