/**
 * Grey, downscaled copies of an image: the input of the perceptual hashes.
 */
import { assertRawImage, type RawImage } from './raw_image_check.js';

/**
 * Luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B; grey images as they are; alpha ignored) resampled to
 * `outWidth × outHeight` by area averaging (each output pixel is the exact, fractionally weighted mean of
 * the source pixels it covers — the resampling that changes least when the source was itself resized).
 *
 * @returns `[outHeight, outWidth]` row-major Float64Array, in the units of `image.data`
 * @example
 * ```ts
 * greyThumbnail({ data: new Uint8Array([0, 0, 0, 255, 255, 255]), width: 2, height: 1, channels: 3 }, 1, 1);
 * // Float64Array [127.5]
 * ```
 */
export function greyThumbnail(image: RawImage, outWidth: number, outHeight: number): Float64Array {
  return greyThumbnailOf(image, outWidth, outHeight, 'greyThumbnail');
}

/** {@link greyThumbnail}; `where` (the public function called) names it in the error of a bad image. */
export function greyThumbnailOf(
  image: RawImage,
  outWidth: number,
  outHeight: number,
  where: string,
): Float64Array {
  assertRawImage(image, where);
  const { data, width: w, height: h, channels: c } = image;
  const grey = new Float64Array(w * h);
  for (let p = 0; p < w * h; p++) {
    const o = p * c;
    grey[p] = c >= 3 ? 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]! : data[o]!;
  }
  // horizontal pass: [h, w] → [h, outWidth], then vertical: → [outHeight, outWidth]
  const rows = resample1d(grey, h, w, outWidth);
  const cols = resample1d(transpose(rows, h, outWidth), outWidth, h, outHeight);
  return transpose(cols, outWidth, outHeight);
}

/** Area-average every row of `x` ([n, len]) from `len` to `out` samples. */
function resample1d(x: Float64Array, n: number, len: number, out: number): Float64Array {
  const y = new Float64Array(n * out);
  const scale = len / out;
  for (let o = 0; o < out; o++) {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    const first = Math.floor(lo);
    const last = Math.min(Math.ceil(hi), len);
    for (let r = 0; r < n; r++) {
      let sum = 0;
      for (let i = first; i < last; i++) {
        const weight = Math.min(hi, i + 1) - Math.max(lo, i);
        sum += weight * x[r * len + i]!;
      }
      y[r * out + o] = sum / scale;
    }
  }
  return y;
}

function transpose(x: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) y[k * rows + r] = x[r * cols + k]!;
  return y;
}
