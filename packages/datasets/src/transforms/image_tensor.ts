import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';

/** An image tensor the transforms accept: one image [H, W, C] or a batch [B, H, W, C], float32. */
export type ImageTensor = tf.Tensor3D | tf.Tensor4D;

/** Check `x` is [H, W, C] or [B, H, W, C] float32 (throws a TransformInputError naming `fn` otherwise). */
export function checkImageTensor(fn: string, x: ImageTensor): void {
  if (!(x instanceof tf.Tensor) || (x.rank !== 3 && x.rank !== 4)) {
    throw new TransformInputError(
      fn,
      'x',
      `must be a tensor [H, W, C] or [B, H, W, C], got ${x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : typeof x}`,
    );
  }
  if (x.dtype !== 'float32') throw new TransformInputError(fn, 'x', `must be float32, got ${x.dtype}`);
}

/** Check `x` (see {@link checkImageTensor}) and return it as a batch [B, H, W, C]. */
export function asBatch(fn: string, x: ImageTensor): tf.Tensor4D {
  checkImageTensor(fn, x);
  return x.rank === 4 ? (x as tf.Tensor4D) : tf.expandDims(x as tf.Tensor3D, 0);
}

/** Undo {@link asBatch}: back to [H, W, C] when the input was one image. */
export function likeInput<T extends ImageTensor>(input: ImageTensor, y: tf.Tensor4D): T {
  return (input.rank === 3 ? tf.squeeze(y, [0]) : y) as T;
}

/** A positive integer size, or [height, width]. */
export function checkSize(fn: string, size: number | readonly [number, number], argument = 'size'): void {
  const parts = typeof size === 'number' ? [size] : size;
  if (!Array.isArray(parts) && typeof size !== 'number') {
    throw new TransformInputError(fn, argument, `must be a number or [height, width], got ${String(size)}`);
  }
  for (const s of parts) {
    if (!Number.isInteger(s) || s <= 0) {
      throw new TransformInputError(fn, argument, `must be positive integers, got ${JSON.stringify(size)}`);
    }
  }
}

/** Python's `round()` (half to even), which torchvision's crop offsets use. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
