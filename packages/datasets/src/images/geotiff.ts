import { toRgbOr } from './channels.js';
import { describeError, ImageDecodeError } from './errors.js';
import type { DecodeOptions, RawImage } from './image_types.js';
import { toArrayBuffer } from './sniff_format.js';

/** What a GeoTIFF holds, read from its first image directory without decoding pixels. */
export interface GeoTiffInfo {
  width: number;
  height: number;
  /** Samples (bands) per pixel. */
  bands: number;
  /** Bits per sample of band 0. */
  bitsPerSample: number;
  /** 1 = unsigned integer, 2 = signed integer, 3 = IEEE float (TIFF SampleFormat). */
  sampleFormat: number;
  /** Georeferencing keys (e.g. `ProjectedCSTypeGeoKey`), or null for a plain TIFF. */
  geoKeys: Record<string, unknown> | null;
  /** Upper-left corner in map units and pixel size, or null without georeferencing. */
  origin: number[] | null;
  resolution: number[] | null;
}

// geotiff's types are loose; the slice of its API used here.
interface GeoTiffImageLike {
  getWidth(): number;
  getHeight(): number;
  getSamplesPerPixel(): number;
  getBitsPerSample(sample?: number): number;
  getSampleFormat(sample?: number): number;
  getGeoKeys(): Record<string, unknown> | null;
  getOrigin(): number[];
  getResolution(): number[];
  readRasters(options: { samples?: number[]; interleave: true }): Promise<ArrayLike<number>>;
}

async function openFirstImage(bytes: Uint8Array, file: string): Promise<GeoTiffImageLike> {
  const { fromArrayBuffer } = await import('geotiff');
  try {
    const tiff = await fromArrayBuffer(toArrayBuffer(bytes));
    return (await tiff.getImage(0)) as unknown as GeoTiffImageLike;
  } catch (e) {
    throw new ImageDecodeError(file, `not a readable TIFF/GeoTIFF (${describeError(e)})`, { cause: e });
  }
}

/**
 * Describe a (Geo)TIFF: size, band count, sample type and georeferencing.
 * @example
 * ```ts
 * const info = await geoTiffInfo(bytes); // { width: 349, height: 352, bands: 6, bitsPerSample: 8, ... }
 * ```
 */
export async function geoTiffInfo(bytes: Uint8Array, file = '<bytes>'): Promise<GeoTiffInfo> {
  const img = await openFirstImage(bytes, file);
  let geoKeys: Record<string, unknown> | null = null;
  let origin: number[] | null = null;
  let resolution: number[] | null = null;
  try {
    geoKeys = img.getGeoKeys();
    origin = img.getOrigin();
    resolution = img.getResolution();
  } catch {
    // a plain TIFF has no model tie point / pixel scale
  }
  return {
    width: img.getWidth(),
    height: img.getHeight(),
    bands: img.getSamplesPerPixel(),
    bitsPerSample: img.getBitsPerSample(0),
    sampleFormat: img.getSampleFormat(0) ?? 1,
    geoKeys,
    origin,
    resolution,
  };
}

/**
 * Decode a TIFF or multi-band GeoTIFF with `geotiff` (pure JS: Node and browser alike).
 *
 * Band selection (`bands`, 0-based, in output order) builds composites, e.g. Landsat-7 natural colour
 * `[2, 1, 0]`. Without `bands`, `channels: 3` (default) keeps 1–4-channel images as RGB and refuses more
 * bands (choose them); `channels: 'keep'` returns every band.
 *
 * Output: `Uint8Array` when every selected band is 8-bit unsigned, else `Float32Array` of raw sample values.
 * @returns RawImage [height, width, bands.length | channels] interleaved
 * @throws ImageDecodeError naming `file` for corrupt/truncated data or a band index out of range.
 */
export async function decodeGeoTiff(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RawImage> {
  const file = options.file ?? '<bytes>';
  const img = await openFirstImage(bytes, file);
  const width = img.getWidth();
  const height = img.getHeight();
  const spp = img.getSamplesPerPixel();
  let samples: number[];
  if (options.bands !== undefined) {
    samples = [...options.bands];
    if (samples.length === 0) {
      throw new ImageDecodeError(file, 'bands must name at least one band', { argument: 'bands' });
    }
    for (const b of samples) {
      if (!Number.isInteger(b) || b < 0 || b >= spp) {
        throw new ImageDecodeError(
          file,
          `band ${b} out of range: the file has ${spp} band(s), indices 0..${spp - 1} (0-based)`,
          { argument: 'bands' },
        );
      }
    }
  } else {
    if (options.channels !== 'keep' && spp > 4) {
      throw new ImageDecodeError(
        file,
        `has ${spp} bands; choose three with \`bands\` (0-based, e.g. [2, 1, 0]) or pass channels: 'keep'`,
        { argument: 'bands' },
      );
    }
    samples = Array.from({ length: spp }, (_, i) => i);
  }
  const eightBit = samples.every((s) => img.getBitsPerSample(s) === 8 && (img.getSampleFormat(s) ?? 1) === 1);
  let raster: ArrayLike<number>;
  try {
    raster = await img.readRasters({ samples, interleave: true });
  } catch (e) {
    throw new ImageDecodeError(file, `truncated or corrupt TIFF pixel data (${describeError(e)})`, {
      cause: e,
    });
  }
  const n = width * height * samples.length;
  if (raster.length !== n) {
    throw new ImageDecodeError(file, `decoded ${raster.length} samples, expected ${n}`);
  }
  const data = eightBit
    ? raster instanceof Uint8Array
      ? raster
      : Uint8Array.from(raster)
    : raster instanceof Float32Array
      ? raster
      : Float32Array.from(raster);
  const out: RawImage = { data, width, height, channels: samples.length };
  if (options.bands === undefined && options.channels !== 'keep')
    return toRgbOr(out, (problem) => new ImageDecodeError(file, problem, { argument: 'bands' }));
  return out;
}
