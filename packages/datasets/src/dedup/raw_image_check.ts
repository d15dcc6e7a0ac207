/**
 * The decoded-image shape shared with the image decoders of this package, and its check.
 */
import { DatasetInputError } from '../errors.js';

/**
 * A decoded image: pixels interleaved row-major, `data[(y * width + x) * channels + c]`.
 * 8-bit images use `Uint8Array`/`Uint8ClampedArray` (0–255); `Float32Array` holds raw sample values (e.g.
 * 16-bit or float GeoTIFF bands). Structurally the same as the decoders' `RawImage` (which has no
 * `Uint8ClampedArray`), so their output can be hashed as it is.
 */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  /** Samples per pixel: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA, or more bands (the first three are used). */
  channels: number;
}

/** What is wrong with a value that should be a {@link RawImage}: the field at fault and a message. */
export interface RawImageProblem {
  /** `what`, or `what.data`, `what.width`, … */
  argument: string;
  /** What was seen, without a `where: ` prefix: `image.data has 5 values but width × height × …`. */
  message: string;
}

/** The first problem of `image` as a {@link RawImage} named `what`, or `undefined` when it is consistent. */
export function rawImageProblem(image: RawImage, what = 'image'): RawImageProblem | undefined {
  if (image === null || typeof image !== 'object') {
    return {
      argument: what,
      message: `${what} must be a RawImage {data, width, height, channels}, got ${String(image)}`,
    };
  }
  const { data, width, height, channels } = image;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array)) {
    const seen =
      data === null
        ? 'null'
        : Array.isArray(data)
          ? 'an array'
          : typeof data === 'object'
            ? ((data as object).constructor?.name ?? 'object')
            : typeof data;
    return {
      argument: `${what}.data`,
      message: `${what}.data must be a Uint8Array, Uint8ClampedArray or Float32Array, got ${seen}`,
    };
  }
  for (const [k, v] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      return { argument: `${what}.${k}`, message: `${what}.${k} must be a positive integer, got ${v}` };
    }
  }
  if (data.length !== width * height * channels) {
    return {
      argument: `${what}.data`,
      message: `${what}.data has ${data.length} values but width × height × channels = ${width} × ${height} × ${channels} = ${width * height * channels}`,
    };
  }
  return undefined;
}

/**
 * Throw a {@link DatasetInputError} (`where`: the public function called, `argument`: `what` or its field) if
 * `image` is not a consistent {@link RawImage}.
 */
export function assertRawImage(image: RawImage, where: string, what = 'image'): void {
  const problem = rawImageProblem(image, what);
  if (problem !== undefined) throw new DatasetInputError(where, problem.argument, problem.message);
}
