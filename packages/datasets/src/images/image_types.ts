/**
 * A decoded image in memory: pixels interleaved row-major, `data[(y * width + x) * channels + c]`.
 *
 * `data` is a `Uint8Array` (values 0–255) for 8-bit images — every JPEG/PNG and RSICD/RSITMD file — and a
 * `Float32Array` (the raw sample values, not rescaled) for GeoTIFF bands with more than 8 bits or float
 * samples.
 *
 * @example
 * ```ts
 * const img: RawImage = { data: new Uint8Array(2 * 1 * 3), width: 2, height: 1, channels: 3 };
 * ```
 */
export interface RawImage {
  /** Pixels, interleaved: length `height * width * channels`. */
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
  /** Samples per pixel: 1 (grey), 3 (RGB), 4 (RGBA) or any band count for multi-band GeoTIFF. */
  channels: number;
}

/** Image container formats the decoders recognise from their first bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'tiff' | 'webp' | 'gif' | 'unknown';

/** Options shared by every decoder. */
export interface DecodeOptions {
  /**
   * The name used in error messages (a path or URL). Defaults to `'<bytes>'`.
   */
  file?: string;
  /**
   * Output channels: `3` (default) converts grey → RGB and drops alpha; `'keep'` returns what the file holds
   * (1, 3, 4 or the band count of a GeoTIFF). Ignored when `bands` is given.
   */
  channels?: 3 | 'keep';
  /**
   * GeoTIFF band selection, 0-based, in output order — e.g. Landsat-7 ETM+ natural colour `[2, 1, 0]`
   * (B3, B2, B1) or false colour `[3, 2, 1]` (B4, B3, B2). Forces the geotiff decoder.
   */
  bands?: readonly number[];
}
