import type { Rng } from '@pir/runtime/rng';
import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';
import { asBatch, checkSize, type ImageTensor, likeInput, roundHalfEven } from './image_tensor.js';
import { type Box, type ResizeOptions, resizedCrops } from './resize.js';

/** Options of {@link randomResizedCrop}; defaults are torchvision's. */
export interface RandomResizedCropOptions extends ResizeOptions {
  /** Range of the crop's area as a fraction of the image (default [0.08, 1]; PIR-ITR uses [0.5, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width/height, sampled log-uniformly (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
}

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries of an area fraction uniform in `scale` and a
 * log-uniform aspect ratio in `ratio`, `w = round(√(area·r))`, `h = round(√(area/r))`, accepted when it fits,
 * at a uniform position; otherwise a centre crop clamped to `ratio`.
 */
export function sampleResizedCropBox(
  height: number,
  width: number,
  rng: Rng,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): Box {
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) {
    throw new TransformInputError(
      'randomResizedCrop',
      'scale',
      `must satisfy 0 < lo <= hi <= 1, got [${scale.join(', ')}]`,
    );
  }
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) {
    throw new TransformInputError(
      'randomResizedCrop',
      'ratio',
      `must satisfy 0 < lo <= hi, got [${ratio.join(', ')}]`,
    );
  }
  const area = height * width;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(w / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(h * ratio[1]);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/**
 * torchvision's `RandomResizedCrop(size, scale, ratio, bicubic)`: each image gets its own box
 * ({@link sampleResizedCropBox}, boxes drawn in batch order from `rng`) resized to `size`.
 * @param x [H, W, C] or [B, H, W, C] float32
 * @returns [h, w, C] or [B, h, w, C]
 * @example randomResizedCrop(tf.zeros([256, 256, 3]), 224, new Rng(1), { scale: [0.5, 1] }).shape // [224, 224, 3]
 */
export function randomResizedCrop<T extends ImageTensor>(
  x: T,
  size: number | readonly [number, number],
  rng: Rng,
  options: RandomResizedCropOptions = {},
): T {
  checkSize('randomResizedCrop', size);
  const out: readonly [number, number] = typeof size === 'number' ? [size, size] : size;
  return tf.tidy(() => {
    const xb = asBatch('randomResizedCrop', x);
    const [B, H, W] = xb.shape;
    const boxes = Array.from({ length: B }, () =>
      sampleResizedCropBox(H, W, rng, options.scale, options.ratio),
    );
    return likeInput<T>(x, resizedCrops(xb, boxes, out, options));
  });
}
