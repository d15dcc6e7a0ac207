import type { RawImage } from './image_types.js';

/**
 * Convert an 8-bit image to 3 channels: grey → RGB (replicated), grey+alpha / RGBA → alpha dropped.
 * Returns `img` itself when it already has 3 channels.
 * @throws RangeError for float images or channel counts other than 1–4 (select GeoTIFF bands instead).
 */
export function toRgb(img: RawImage, file = '<image>'): RawImage {
  const { width, height, channels, data } = img;
  if (channels === 3) return img;
  if (!(data instanceof Uint8Array) || channels < 1 || channels > 4) {
    throw new RangeError(
      `${file}: cannot convert a ${channels}-channel ${data.constructor.name} image to RGB; ` +
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

/** Check a RawImage's fields agree with each other; throws a RangeError naming `what` otherwise. */
export function checkRawImage(img: RawImage, what = 'image'): void {
  const { width, height, channels, data } = img ?? ({} as RawImage);
  for (const [k, v] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(v) || (v as number) <= 0) {
      throw new RangeError(`${what}: ${k} must be a positive integer, got ${v}`);
    }
  }
  if (!(data instanceof Uint8Array || data instanceof Float32Array)) {
    throw new TypeError(`${what}: data must be a Uint8Array or Float32Array`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `${what}: data has ${data.length} values, expected height*width*channels = ${height}*${width}*${channels}`,
    );
  }
}
