/** Shared fixture helpers of the model tests. */
import * as tf from '@tensorflow/tfjs-core';

/** A JSON tensor of the golden fixtures. */
export interface JsonTensor {
  shape: number[];
  data: number[];
}

/** JSON tensor → tf tensor (float32 unless `dtype`). */
export function fromJson(t: JsonTensor, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  return tf.tensor(t.data, t.shape, dtype);
}

/** `expectAllClose` against a JSON tensor, disposing the expected tensor again. */
export async function closeTo(
  actual: tf.Tensor,
  expected: JsonTensor,
  tol: { atol: number; rtol: number },
  what: string,
  check: (a: tf.Tensor, e: tf.Tensor, tol: { atol: number; rtol: number }, what: string) => Promise<void>,
): Promise<void> {
  const e = fromJson(expected);
  try {
    await check(actual, e, tol, what);
  } finally {
    e.dispose();
  }
}
