import type { Rng } from '@pir/runtime/rng';
import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';
import { asBatch, type ImageTensor, likeInput } from './image_tensor.js';
import { resizedCrops } from './resize.js';

/** Mirror every image left–right. @param x [H, W, C] or [B, H, W, C] @returns same shape */
export function horizontalFlip<T extends ImageTensor>(x: T): T {
  return tf.tidy(() => likeInput<T>(x, tf.reverse(asBatch('horizontalFlip', x), 2)));
}

/**
 * torchvision's `RandomHorizontalFlip(p)`: each image is mirrored with probability `p` (one `rng` draw per
 * image, in batch order).
 * @param x [H, W, C] or [B, H, W, C] float32
 * @returns same shape
 */
export function randomHorizontalFlip<T extends ImageTensor>(x: T, rng: Rng, p = 0.5): T {
  if (!(p >= 0 && p <= 1))
    throw new TransformInputError('randomHorizontalFlip', 'p', `must be in [0, 1], got ${p}`);
  return tf.tidy(() => {
    const xb = asBatch('randomHorizontalFlip', x);
    const B = xb.shape[0];
    const flips = Array.from({ length: B }, () => rng.float() < p);
    if (flips.every((f) => !f)) return likeInput<T>(x, tf.clone(xb));
    if (flips.every((f) => f)) return likeInput<T>(x, tf.reverse(xb, 2));
    // mixed: a same-size "crop" per image with the flip folded in (exact: every tap weight is 0 or 1)
    const [, H, W] = xb.shape;
    const boxes = flips.map((flip) => ({ top: 0, left: 0, height: H, width: W, flip }));
    return likeInput<T>(x, resizedCrops(xb, boxes, [H, W]));
  });
}
