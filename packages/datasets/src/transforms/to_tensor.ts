import * as tf from '@tensorflow/tfjs-core';
import { issueArgument, rawImageIssue, toRgbOr } from '../images/channels.js';
import type { RawImage } from '../images/image_types.js';
import { TransformInputError } from './errors.js';

/**
 * torchvision's `ToTensor` in HWC layout: an 8-bit RawImage → float32 [H, W, 3] in [0, 1] (grey/alpha
 * converted to RGB). Float images (GeoTIFF bands) are passed through unscaled unless `scale` is given.
 * @returns Tensor3D [H, W, 3] (or [H, W, C] for float images)
 * @example imageToTensor({ data: new Uint8Array([255, 0, 51]), width: 1, height: 1, channels: 3 }) // [[[1, 0, 0.2]]]
 */
export function imageToTensor(img: RawImage, scale?: number): tf.Tensor3D {
  checkImage(img, 'imageToTensor', 'img');
  const rgb =
    img.data instanceof Uint8Array
      ? toRgbOr(img, (problem) => new TransformInputError('imageToTensor', 'img', problem))
      : img;
  const s = scale ?? (rgb.data instanceof Uint8Array ? 1 / 255 : 1);
  const out = new Float32Array(rgb.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (rgb.data[i] as number) * s;
  return tf.tensor3d(out, [rgb.height, rgb.width, rgb.channels]);
}

/**
 * Stack same-sized 8-bit images into a batch [B, H, W, 3] in [0, 1].
 * @throws TransformInputError when sizes differ (resize or crop them first)
 */
export function imagesToBatch(images: readonly RawImage[]): tf.Tensor4D {
  if (images.length === 0) throw new TransformInputError('imagesToBatch', 'images', 'must not be empty');
  const { width, height } = images[0] as RawImage;
  const plane = width * height * 3;
  const out = new Float32Array(images.length * plane);
  images.forEach((img, b) => {
    checkImage(img, 'imagesToBatch', `images[${b}]`);
    if (img.width !== width || img.height !== height) {
      throw new TransformInputError(
        'imagesToBatch',
        `images[${b}]`,
        `is ${img.height}×${img.width}, images[0] is ${height}×${width}: all images of a batch must have one size`,
      );
    }
    const rgb = toRgbOr(img, (problem) => new TransformInputError('imagesToBatch', `images[${b}]`, problem));
    for (let i = 0; i < plane; i++) out[b * plane + i] = (rgb.data[i] as number) / 255;
  });
  return tf.tensor4d(out, [images.length, height, width, 3]);
}

/** Throw a {@link TransformInputError} of `where` naming `what` (or its field) if `img` is not a RawImage. */
function checkImage(img: RawImage, where: string, what: string): void {
  const issue = rawImageIssue(img);
  if (issue !== undefined) throw new TransformInputError(where, issueArgument(what, issue), issue.problem);
}
