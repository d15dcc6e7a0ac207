import type { Rng } from '@pir/runtime/rng';
import * as tf from '@tensorflow/tfjs-core';
import { centerCrop } from './crop.js';
import { TransformInputError } from './errors.js';
import { asBatch, type ImageTensor, likeInput } from './image_tensor.js';
import { CLIP_MEAN, CLIP_STD, normalize } from './normalize.js';
import { type RandAugmentOptions, randAugment } from './rand_augment.js';
import { type RandomResizedCropOptions, sampleResizedCropBox } from './random_resized_crop.js';
import { type Box, type ResizeOptions, resize, resizedCrops } from './resize.js';

/** Options of the standard pipelines. */
export interface PipelineOptions extends ResizeOptions {
  /** Output side (default 224). */
  size?: number;
  /** Normalisation statistics (default CLIP's). */
  mean?: readonly number[];
  std?: readonly number[];
}

/**
 * Evaluation preprocessing (CLIP's and PIR's): resize the shorter side to `size` (bicubic), centre-crop
 * `size × size`, normalise.
 * @param x [H, W, 3] or [B, H, W, 3] float32 in [0, 1]
 * @returns [size, size, 3] or [B, size, size, 3]
 */
export function evalTransform<T extends ImageTensor>(x: T, options: PipelineOptions = {}): T {
  const size = options.size ?? 224;
  return tf.tidy(() =>
    normalize(centerCrop(resize(x, size, options), size), options.mean ?? CLIP_MEAN, options.std ?? CLIP_STD),
  );
}

/** Options of {@link trainTransform}. */
export interface TrainPipelineOptions extends PipelineOptions, RandomResizedCropOptions {
  /** Flip probability (default 0.5). */
  flip?: number;
  /** RandAugment options, or `false` to skip it (default N = 2, M = 7). */
  randAugment?: RandAugmentOptions | false;
}

/**
 * PIR-ITR's training augmentation: RandomResizedCrop(size, scale 0.5–1, bicubic) → horizontal flip →
 * RandAugment(2, 7) → normalise. Deterministic given `rng`'s state.
 * @param x [H, W, 3] or [B, H, W, 3] float32 in [0, 1]
 * @returns [size, size, 3] or [B, size, size, 3]
 */
export function trainTransform<T extends ImageTensor>(x: T, rng: Rng, options: TrainPipelineOptions = {}): T {
  const size = options.size ?? 224;
  const flipP = options.flip ?? 0.5;
  if (!(flipP >= 0 && flipP <= 1))
    throw new TransformInputError('trainTransform', 'flip', `must be in [0, 1], got ${flipP}`);
  return tf.tidy(() => {
    const xb = asBatch('trainTransform', x);
    const [B, H, W] = xb.shape;
    // the same draws, in the same order, as randomResizedCrop then randomHorizontalFlip; the flip is folded
    // into the crop's column weights
    const boxes: Box[] = Array.from({ length: B }, () =>
      sampleResizedCropBox(H, W, rng, options.scale ?? [0.5, 1], options.ratio),
    );
    for (const box of boxes) box.flip = rng.float() < flipP;
    let y = resizedCrops(xb, boxes, [size, size], options);
    if (options.randAugment !== false) y = randAugment(y, rng, options.randAugment ?? {});
    return likeInput<T>(x, normalize(y, options.mean ?? CLIP_MEAN, options.std ?? CLIP_STD));
  });
}
