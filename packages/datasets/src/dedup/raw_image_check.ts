/**
 * The decoded-image shape shared with the image decoders of this package.
 */

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

/** Throw a TypeError/RangeError naming `what` if `image` is not a consistent {@link RawImage}. */
export function assertRawImage(image: RawImage, what = 'image'): void {
  if (image === null || typeof image !== 'object') {
    throw new TypeError(`${what} must be a RawImage {data, width, height, channels}, got ${String(image)}`);
  }
  const { data, width, height, channels } = image;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array)) {
    throw new TypeError(`${what}.data must be a Uint8Array, Uint8ClampedArray or Float32Array`);
  }
  for (const [k, v] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError(`${what}.${k} must be a positive integer, got ${v}`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `${what}.data has ${data.length} values but width × height × channels = ${width} × ${height} × ${channels} = ${width * height * channels}`,
    );
  }
}
