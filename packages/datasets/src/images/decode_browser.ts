import { toRgbOr } from './channels.js';
import { describeError, ImageDecodeError } from './errors.js';
import { decodeGeoTiff } from './geotiff.js';
import type { DecodeOptions, RawImage } from './image_types.js';
import { sniffFormat } from './sniff_format.js';

const MIME: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
};

/**
 * Decode image bytes in the browser (page or worker): JPEG/PNG/WebP through `createImageBitmap` and an
 * `OffscreenCanvas` (no colour-space conversion, no alpha premultiplication); TIFF/GeoTIFF through `geotiff`.
 * @returns RawImage [height, width, 3] (or 4 channels, RGBA, with `channels: 'keep'`)
 * @throws ImageDecodeError naming the file for corrupt, truncated or unsupported data
 */
export async function decodeImageBrowser(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RawImage> {
  const file = options.file ?? '<bytes>';
  const format = sniffFormat(bytes);
  if (format === 'tiff') return decodeGeoTiff(bytes, options);
  const mime = MIME[format];
  if (mime === undefined) {
    throw new ImageDecodeError(file, 'unrecognised image data (expected JPEG, PNG, TIFF or WebP bytes)');
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes.slice()], { type: mime }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch (e) {
    throw new ImageDecodeError(file, `corrupt or truncated ${format.toUpperCase()} (${describeError(e)})`, {
      cause: e,
    });
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw new ImageDecodeError(file, 'no 2d canvas context available to decode into');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const raw: RawImage = {
    data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length),
    width,
    height,
    channels: 4,
  };
  return options.channels === 'keep'
    ? raw
    : toRgbOr(raw, (problem) => new ImageDecodeError(file, problem, { argument: 'bands' }));
}
