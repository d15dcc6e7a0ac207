/**
 * Seeded test data.
 */
import { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';

/** [b, d] standard-normal rows as nested arrays, optionally L2-normalised. */
export function randomRows(rng: Rng, b: number, d: number, unit = true): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < b; i++) {
    const row = Array.from({ length: d }, () => rng.normal());
    const n = Math.hypot(...row) || 1;
    rows.push(unit ? row.map((x) => x / n) : row);
  }
  return rows;
}

/** A pair of [b, d] tensors of unit rows. */
export function randomPair(seed: number | string, b: number, d: number): [tf.Tensor2D, tf.Tensor2D] {
  const rng = new Rng(seed);
  return [tf.tensor2d(randomRows(rng, b, d)), tf.tensor2d(randomRows(rng, b, d))];
}

/** Scalar value of a loss, disposing it. */
export async function scalarValue(x: tf.Tensor): Promise<number> {
  const v = (await x.data())[0] as number;
  x.dispose();
  return v;
}
