import { detectEnvironment } from '@pir/runtime';
import { DatasetInputError } from '../errors.js';
import { loadFs } from '../node_only_imports.js';
import { decodeImageBrowser } from './decode_browser.js';
import { decodeImageNode } from './decode_node.js';
import { describeError, ImageDecodeError } from './errors.js';
import type { DecodeOptions, RawImage } from './image_types.js';

/**
 * Decode encoded image bytes (JPEG, PNG, TIFF, multi-band GeoTIFF) in Node (sharp; geotiff for GeoTIFF) or the
 * browser (createImageBitmap; geotiff for TIFF). The format comes from the magic bytes, not the name.
 *
 * @returns RawImage [height, width, 3] by default
 * @throws ImageDecodeError naming `options.file` for corrupt, truncated or unsupported data; DatasetInputError
 *   (thrown, not rejected) when `bytes` is not a Uint8Array
 * @example
 * ```ts
 * const img = await decodeImage(bytes, { file: 'airport_1.jpg' }); // { width: 224, height: 224, channels: 3, data }
 * const rgb = await decodeImage(tif, { bands: [2, 1, 0] });       // Landsat natural-colour composite
 * ```
 */
export function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RawImage> {
  if (!(bytes instanceof Uint8Array)) {
    throw new DatasetInputError(
      'decodeImage',
      'bytes',
      `decodeImage: bytes must be a Uint8Array, got ${Object.prototype.toString.call(bytes)}`,
    );
  }
  return detectEnvironment() === 'node'
    ? decodeImageNode(bytes, options)
    : decodeImageBrowser(bytes, options);
}

/**
 * Read the bytes of `source`: a file path (Node) or an `http(s):`/`blob:`/`data:`/relative URL (fetch).
 * @throws ImageDecodeError naming `source` when it cannot be read
 */
export async function readBytes(source: string | URL): Promise<Uint8Array> {
  const name = String(source);
  const isUrl = source instanceof URL || /^(https?|blob|data|file):/i.test(name);
  if (detectEnvironment() === 'node' && !(isUrl && !name.startsWith('file:'))) {
    const fs = await loadFs();
    try {
      const buf = await fs.readFile(source instanceof URL || name.startsWith('file:') ? new URL(name) : name);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    } catch (e) {
      throw new ImageDecodeError(name, `cannot read the file (${describeError(e)})`, { cause: e });
    }
  }
  let res: Response;
  try {
    res = await fetch(source);
  } catch (e) {
    throw new ImageDecodeError(name, `fetch failed (${describeError(e)})`, { cause: e });
  }
  if (!res.ok) throw new ImageDecodeError(name, `fetch failed with HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Read and decode an image file or URL (see {@link decodeImage}); errors name `source`.
 * @example const img = await loadImage('data/images/train/airport_1.tif');
 */
export async function loadImage(source: string | URL, options: DecodeOptions = {}): Promise<RawImage> {
  const bytes = await readBytes(source);
  return decodeImage(bytes, { ...options, file: options.file ?? String(source) });
}
