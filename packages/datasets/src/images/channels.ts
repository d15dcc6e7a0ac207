import { DatasetInputError } from '../errors.js';
import type { RawImage } from './image_types.js';

/**
 * Convert an 8-bit image to 3 channels: grey → RGB (replicated), grey+alpha / RGBA → alpha dropped.
 * Returns `img` itself when it already has 3 channels.
 * @param file names the image in the error message
 * @throws DatasetInputError (`where: 'toRgb'`, `argument: 'img'`) for float images or channel counts other
 *   than 1–4 (select GeoTIFF bands instead).
 */
export function toRgb(img: RawImage, file = '<image>'): RawImage {
  return toRgbOr(img, (problem) => new DatasetInputError('toRgb', 'img', `toRgb: ${file}: ${problem}`));
}

/**
 * {@link toRgb} for the decoders and transforms (internal): `error` makes their own error class from the
 * problem (`'cannot convert a 6-channel Uint8Array image to RGB; pass `bands` …'`).
 */
export function toRgbOr(img: RawImage, error: (problem: string) => Error): RawImage {
  const { width, height, channels, data } = img;
  if (channels === 3) return img;
  if (!(data instanceof Uint8Array) || channels < 1 || channels > 4) {
    throw error(
      `cannot convert a ${channels}-channel ${data.constructor.name} image to RGB; ` +
        'pass `bands` (e.g. [2, 1, 0]) to choose three bands',
    );
  }
  const n = width * height;
  const out = new Uint8Array(n * 3);
  const grey = channels <= 2;
  for (let i = 0; i < n; i++) {
    const s = i * channels;
    const o = i * 3;
    if (grey) {
      const v = data[s] as number;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    } else {
      out[o] = data[s] as number;
      out[o + 1] = data[s + 1] as number;
      out[o + 2] = data[s + 2] as number;
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** An inconsistency of a {@link RawImage}: the field at fault (`''` for the image itself) and what is wrong. */
export interface RawImageIssue {
  /** `'width'`, `'height'`, `'channels'`, `'data'`, or `''` when the value is not a RawImage at all. */
  field: string;
  /** What is wrong, to follow the field's name: `'must be a positive integer, got 0'`. */
  problem: string;
}

/** The first inconsistency of `img` (internal; the transforms wrap it in their own error class). */
export function rawImageIssue(img: RawImage): RawImageIssue | undefined {
  if (img === null || typeof img !== 'object') {
    return { field: '', problem: `must be a RawImage {data, width, height, channels}, got ${String(img)}` };
  }
  const { width, height, channels, data } = img;
  for (const [k, v] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(v) || (v as number) <= 0) {
      return { field: k, problem: `must be a positive integer, got ${v}` };
    }
  }
  if (!(data instanceof Uint8Array || data instanceof Float32Array)) {
    const seen = data === null || typeof data !== 'object' ? String(data) : (data as object).constructor.name;
    return { field: 'data', problem: `must be a Uint8Array or Float32Array, got ${seen}` };
  }
  if (data.length !== width * height * channels) {
    return {
      field: 'data',
      problem: `has ${data.length} values, expected height*width*channels = ${height}*${width}*${channels}`,
    };
  }
  return undefined;
}

/** `what` and the field, for messages and `argument`: `'img.width'`, or `'img'` for the image itself. */
export function issueArgument(what: string, issue: RawImageIssue): string {
  return issue.field === '' ? what : `${what}.${issue.field}`;
}

/**
 * Check a RawImage's fields agree with each other.
 * @param what names the image in the error (`argument` is `${what}.width`, `${what}.data`, …)
 * @throws DatasetInputError (`where: 'checkRawImage'`) naming the field and the value seen
 */
export function checkRawImage(img: RawImage, what = 'image'): void {
  assertImage(img, 'checkRawImage', what);
}

/** {@link checkRawImage} with `where`, the public function that was called (internal). */
export function assertImage(img: RawImage, where: string, what: string): void {
  const issue = rawImageIssue(img);
  if (issue === undefined) return;
  const argument = issueArgument(what, issue);
  throw new DatasetInputError(where, argument, `${where}: ${argument} ${issue.problem}`);
}
