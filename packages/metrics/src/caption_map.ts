/**
 * The caption → image map: which image each caption (text) describes.
 */
import { MetricsInputError } from './errors.js';

/**
 * The usual layout of RSICD/RSITMD test files: `perImage` consecutive captions per image.
 *
 * @param nImages number of images
 * @param perImage captions per image (default 5)
 * @returns `[nImages · perImage]`: caption `t` → image `⌊t / perImage⌋`
 * @throws MetricsInputError (`where` `'captionToImageMap'`) when `nImages` is not a non-negative integer or
 *   `perImage` not a positive one
 * @example
 * ```ts
 * captionToImageMap(2, 3); // Int32Array [0, 0, 0, 1, 1, 1]
 * ```
 */
export function captionToImageMap(nImages: number, perImage = 5): Int32Array {
  if (!Number.isInteger(nImages) || nImages < 0) {
    throw new MetricsInputError(
      'captionToImageMap',
      'nImages',
      `nImages must be a non-negative integer, got ${nImages}`,
    );
  }
  if (!Number.isInteger(perImage) || perImage < 1) {
    throw new MetricsInputError(
      'captionToImageMap',
      'perImage',
      `perImage must be a positive integer, got ${perImage}`,
    );
  }
  const map = new Int32Array(nImages * perImage);
  for (let t = 0; t < map.length; t++) map[t] = Math.floor(t / perImage);
  return map;
}

/** Captions grouped by image (CSR): captions of image `i` are `captions[start[i] .. start[i + 1])`, ascending. */
export interface CaptionGroups {
  /** `[nImages + 1]` offsets into `captions`. */
  start: Int32Array;
  /** `[nTexts]` caption indices, grouped by image, ascending within an image. */
  captions: Int32Array;
  /** `[nTexts]` the validated map as int32. */
  imageOf: Int32Array;
}

/**
 * Validate a caption → image map against the matrix sizes and group captions by image.
 * @param where the public function, for errors (the argument is `captionToImage`)
 * @param map `[nTexts]` image index of every caption
 */
export function groupCaptions(
  where: string,
  map: ArrayLike<number>,
  nImages: number,
  nTexts: number,
  imagesWithoutCaptions: 'error' | 'skip',
): CaptionGroups {
  const fail = (message: string) => new MetricsInputError(where, 'captionToImage', message);
  if (map === null || typeof map !== 'object' || typeof map.length !== 'number') {
    throw fail('captionToImage must be an array (or Int32Array) with the image index of every caption');
  }
  if (map.length !== nTexts) {
    throw fail(
      `captionToImage has ${map.length} entries but there are ${nTexts} captions (texts / similarity columns); ` +
        'it needs one image index per caption',
    );
  }
  const imageOf = new Int32Array(nTexts);
  const start = new Int32Array(nImages + 1);
  for (let t = 0; t < nTexts; t++) {
    const i = map[t] as number;
    if (!Number.isInteger(i) || i < 0 || i >= nImages) {
      throw fail(`captionToImage[${t}] = ${i} is not an image index in [0, ${nImages})`);
    }
    imageOf[t] = i;
    start[i + 1]++;
  }
  for (let i = 0; i < nImages; i++) {
    if (start[i + 1] === 0 && imagesWithoutCaptions === 'error') {
      throw fail(
        `image ${i} has no caption in captionToImage, so it cannot be an image→text query; ` +
          "pass { imagesWithoutCaptions: 'skip' } to leave such images out of I2T",
      );
    }
    start[i + 1] += start[i] as number;
  }
  const fill = start.slice(0, nImages);
  const captions = new Int32Array(nTexts);
  for (let t = 0; t < nTexts; t++) captions[fill[imageOf[t] as number]++] = t;
  return { start, captions, imageOf };
}
