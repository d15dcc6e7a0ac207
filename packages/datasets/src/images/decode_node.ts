import { loadSharp } from '../node_only_imports.js';
import { toRgbOr } from './channels.js';
import { describeError, ImageDecodeError } from './errors.js';
import { decodeGeoTiff } from './geotiff.js';
import type { DecodeOptions, RawImage } from './image_types.js';
import { sniffFormat } from './sniff_format.js';

/**
 * Decode JPEG/PNG/TIFF/WebP bytes with `sharp` (Node only). Multi-band or band-selected TIFFs, and TIFFs that
 * sharp refuses (e.g. 6 bands), go to {@link decodeGeoTiff}.
 * @returns RawImage [height, width, 3] (or the file's own channels with `channels: 'keep'`)
 * @throws ImageDecodeError naming the file for corrupt, truncated or unsupported data
 */
export async function decodeImageNode(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RawImage> {
  const file = options.file ?? '<bytes>';
  const format = sniffFormat(bytes);
  if (format === 'unknown') {
    throw new ImageDecodeError(file, 'unrecognised image data (expected JPEG, PNG, TIFF or WebP bytes)');
  }
  if (format === 'tiff' && (options.bands !== undefined || options.channels === 'keep')) {
    return decodeGeoTiff(bytes, options);
  }
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: 2 ** 28 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw: RawImage = {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
    return options.channels === 'keep'
      ? raw
      : toRgbOr(raw, (problem) => new ImageDecodeError(file, problem, { argument: 'bands' }));
  } catch (e) {
    if (format === 'tiff') {
      // sharp refuses some valid TIFFs (more than 4 bands, unusual sample formats); geotiff reads them.
      try {
        return await decodeGeoTiff(bytes, options);
      } catch (g) {
        if (!(g instanceof ImageDecodeError) || /bands|band \d+ out of range/.test(g.message)) throw g;
        throw new ImageDecodeError(
          file,
          `corrupt or truncated TIFF (sharp: ${describeError(e)}; geotiff: ${describeError(g).replace(`${file}: `, '')})`,
          { cause: e },
        );
      }
    }
    throw new ImageDecodeError(file, `corrupt or truncated ${format.toUpperCase()} (${describeError(e)})`, {
      cause: e,
    });
  }
}
