import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';
import { asBatch, checkSize, type ImageTensor, likeInput, roundHalfEven } from './image_tensor.js';

/**
 * torchvision's `CenterCrop`: offsets `round((H − h) / 2)`, `round((W − w) / 2)` (Python rounding).
 * @param x [H, W, C] or [B, H, W, C] float32, at least `size` in both dimensions
 * @returns [h, w, C] or [B, h, w, C]
 * @example centerCrop(tf.zeros([224, 298, 3]), 224).shape // [224, 224, 3]
 */
export function centerCrop<T extends ImageTensor>(x: T, size: number | readonly [number, number]): T {
  checkSize('centerCrop', size);
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  return tf.tidy(() => {
    const xb = asBatch('centerCrop', x);
    const [B, H, W, C] = xb.shape;
    if (h > H || w > W) {
      throw new TransformInputError(
        'centerCrop',
        'size',
        `[${h}, ${w}] is larger than the ${H}×${W} image; resize first`,
      );
    }
    const top = roundHalfEven((H - h) / 2);
    const left = roundHalfEven((W - w) / 2);
    return likeInput<T>(x, tf.slice(xb, [0, top, left, 0], [B, h, w, C]));
  });
}
