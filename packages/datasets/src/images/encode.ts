import { detectEnvironment } from '@pir/runtime';
import { PirError } from '@pir/runtime/errors';
import { DatasetInputError } from '../errors.js';
import { loadFs, loadPath, loadSharp } from '../node_only_imports.js';
import { assertImage } from './channels.js';
import { describeError, ImageDecodeError } from './errors.js';
import type { RawImage } from './image_types.js';

/** Encodings {@link encodeImage} writes. TIFF is Node-only. */
export type EncodeFormat = 'png' | 'jpeg' | 'tiff';

/** Encoder options. */
export interface EncodeOptions {
  /** JPEG quality 1–100 (default 90). */
  quality?: number;
  /** PNG zlib level 0–9 (default 6; lower is faster). */
  compressionLevel?: number;
}

/**
 * Encode an 8-bit RawImage (1–4 channels) as PNG, JPEG or TIFF (LZW). Node: sharp. Browser: an
 * `OffscreenCanvas` (PNG and JPEG only).
 * @throws DatasetInputError (`where: 'encodeImage'`) for an inconsistent or float image, an unknown format or
 *   one the environment cannot write
 * @example const png = await encodeImage({ data, width: 64, height: 64, channels: 3 }, 'png');
 */
export async function encodeImage(
  img: RawImage,
  format: EncodeFormat = 'png',
  options: EncodeOptions = {},
): Promise<Uint8Array> {
  assertImage(img, 'encodeImage', 'img');
  if (!(img.data instanceof Uint8Array) || img.channels > 4) {
    throw new DatasetInputError(
      'encodeImage',
      'img',
      `encodeImage: only 8-bit images with 1–4 channels can be encoded, got ${img.channels} ${img.data.constructor.name} channel(s)`,
    );
  }
  if (format !== 'png' && format !== 'jpeg' && format !== 'tiff') {
    throw new DatasetInputError(
      'encodeImage',
      'format',
      `encodeImage: format must be 'png', 'jpeg' or 'tiff', got ${JSON.stringify(format)}`,
    );
  }
  if (detectEnvironment() === 'node') {
    const sharp = await loadSharp();
    const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
    const out: Buffer =
      format === 'png'
        ? await s.png({ compressionLevel: options.compressionLevel ?? 6 }).toBuffer()
        : format === 'jpeg'
          ? await s.jpeg({ quality: options.quality ?? 90 }).toBuffer()
          : await s.tiff({ compression: 'lzw' }).toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  if (format === 'tiff') {
    throw new DatasetInputError(
      'encodeImage',
      'format',
      "encodeImage: TIFF encoding is available in Node only; use 'png' or 'jpeg' in the browser",
    );
  }
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  const c = img.channels;
  for (let i = 0, n = img.width * img.height; i < n; i++) {
    const v = img.data[i * c] as number;
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = c >= 3 ? (img.data[i * c + 1] as number) : v;
    rgba[i * 4 + 2] = c >= 3 ? (img.data[i * c + 2] as number) : v;
    rgba[i * 4 + 3] =
      c === 4 ? (img.data[i * c + 3] as number) : c === 2 ? (img.data[i * c + 1] as number) : 255;
  }
  const canvas = new OffscreenCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  if (ctx === null) {
    // not the caller's input: the environment has no 2d canvas
    throw new PirError(
      'encodeImage',
      '',
      'encodeImage: no 2d canvas context (OffscreenCanvas.getContext returned null)',
    );
  }
  ctx.putImageData(new ImageData(rgba, img.width, img.height), 0, 0);
  const blob = await canvas.convertToBlob({
    type: format === 'png' ? 'image/png' : 'image/jpeg',
    quality: (options.quality ?? 90) / 100,
  });
  return new Uint8Array(await blob.arrayBuffer());
}

/**
 * Encode and write an image file (Node only); the format comes from the extension (.png, .jpg/.jpeg,
 * .tif/.tiff). Parent folders are created.
 * @throws ImageDecodeError naming `path` when it cannot be written
 */
export async function writeImage(path: string, img: RawImage, options: EncodeOptions = {}): Promise<void> {
  const ext = path.toLowerCase().split('.').pop();
  const format: EncodeFormat | undefined =
    ext === 'png'
      ? 'png'
      : ext === 'jpg' || ext === 'jpeg'
        ? 'jpeg'
        : ext === 'tif' || ext === 'tiff'
          ? 'tiff'
          : undefined;
  if (format === undefined) {
    throw new ImageDecodeError(path, 'unknown image extension; use .png, .jpg, .jpeg, .tif or .tiff');
  }
  const bytes = await encodeImage(img, format, options);
  const [fs, p] = await Promise.all([loadFs(), loadPath()]);
  try {
    await fs.mkdir(p.dirname(path), { recursive: true });
    await fs.writeFile(path, bytes);
  } catch (e) {
    throw new ImageDecodeError(path, `cannot write the file (${describeError(e)})`, { cause: e });
  }
}
