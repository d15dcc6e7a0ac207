import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';
import { resizeWeights } from './resize_weights.js';
import { asBatch, checkImageTensor, checkSize, type ImageTensor, likeInput } from './shape.js';

/** Options of {@link resize}. */
export interface ResizeOptions {
  /**
   * `false` (default): PyTorch `interpolate(mode='bicubic', align_corners=False)`. `true`: PIL-style
   * antialiased bicubic (torchvision `Resize` on PIL images — what CLIP's preprocessing did) — use it when
   * shrinking by more than ~2×, where the plain kernel aliases.
   */
  antialias?: boolean;
}

/** A crop box in pixels: rows `[top, top + height)`, columns `[left, left + width)`. */
export interface Box {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * Output size of torchvision's `Resize(size)`: a number resizes the shorter side to `size` and the other to
 * `int(size · long / short)`; a pair is taken as is.
 */
export function resizedShape(
  height: number,
  width: number,
  size: number | readonly [number, number],
): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  return height <= width
    ? [size, Math.trunc((size * width) / height)]
    : [Math.trunc((size * height) / width), size];
}

/**
 * Crop `box` out of every image and resize it to `[outH, outW]` with bicubic interpolation — one pair of
 * matrix products (rows, then columns), no intermediate crop.
 * @param x [H, W, C] or [B, H, W, C] float32
 * @returns [outH, outW, C] or [B, outH, outW, C]
 */
export function resizedCrop<T extends ImageTensor>(
  x: T,
  box: Box,
  size: readonly [number, number],
  options: ResizeOptions = {},
): T {
  checkSize('resizedCrop', size);
  return tf.tidy(() => {
    const xb = asBatch('resizedCrop', x);
    const [B, H, W, C] = xb.shape;
    const { top, left, height, width } = box;
    if (
      ![top, left, height, width].every(Number.isInteger) ||
      top < 0 ||
      left < 0 ||
      height <= 0 ||
      width <= 0 ||
      top + height > H ||
      left + width > W
    ) {
      throw new TransformInputError(
        'resizedCrop',
        'box',
        `${JSON.stringify(box)} is not inside the ${H}×${W} image`,
      );
    }
    const [oh, ow] = size;
    const aa = options.antialias ?? false;
    const wy = tf.tensor2d(resizeWeights(height, oh, aa, top, H), [oh, H]);
    const wx = tf.tensor2d(resizeWeights(width, ow, aa, left, W), [ow, W]);
    // rows: [B,H,W,C] -> [H, B*W*C], Wy [oh,H] · -> [oh, B*W*C]
    const rows = tf.reshape(tf.transpose(xb, [1, 0, 2, 3]), [H, B * W * C]);
    const y1 = tf.reshape(tf.matMul(wy, rows), [oh, B, W, C]);
    // columns: [oh,B,W,C] -> [W, B*oh*C], Wx [ow,W] · -> [ow, B*oh*C]
    const cols = tf.reshape(tf.transpose(y1, [2, 1, 0, 3]), [W, B * oh * C]);
    const y2 = tf.reshape(tf.matMul(wx, cols), [ow, B, oh, C]);
    return likeInput<T>(x, tf.transpose(y2, [1, 2, 0, 3]) as tf.Tensor4D); // [B, oh, ow, C]
  });
}

/**
 * Bicubic resize. `size` a number resizes the shorter side (torchvision `Resize(224)`); `[h, w]` is exact.
 * @param x [H, W, C] or [B, H, W, C] float32
 * @returns [h, w, C] or [B, h, w, C]
 * @example
 * ```ts
 * resize(tf.zeros([300, 400, 3]), 224).shape;           // [224, 298, 3]
 * resize(tf.zeros([2, 256, 256, 3]), [224, 224]).shape; // [2, 224, 224, 3]
 * ```
 */
export function resize<T extends ImageTensor>(
  x: T,
  size: number | readonly [number, number],
  options: ResizeOptions = {},
): T {
  checkImageTensor('resize', x);
  checkSize('resize', size);
  const H = x.shape[x.rank - 3] as number;
  const W = x.shape[x.rank - 2] as number;
  return resizedCrop(x, { top: 0, left: 0, height: H, width: W }, resizedShape(H, W, size), options);
}
