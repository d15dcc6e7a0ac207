/**
 * Image decoding and encoding: JPEG, PNG, TIFF (RSITMD) and multi-band GeoTIFF, in Node (sharp, geotiff) and
 * the browser (createImageBitmap, geotiff).
 */
export { checkRawImage, toRgb } from './channels.js';
export { decodeImage, loadImage, readBytes } from './decode.js';
export { type EncodeFormat, type EncodeOptions, encodeImage, writeImage } from './encode.js';
export { ImageDecodeError, type ImageDecodeErrorOptions } from './errors.js';
export { decodeGeoTiff, type GeoTiffInfo, geoTiffInfo } from './geotiff.js';
export type { DecodeOptions, ImageFormat, RawImage } from './image_types.js';
export { sniffFormat } from './sniff_format.js';
