/**
 * 64-bit perceptual hashes (dHash, pHash) and their Hamming distance.
 */
import { DatasetInputError } from '../errors.js';
import { greyThumbnailOf } from './grey_thumbnail.js';
import type { RawImage } from './raw_image_check.js';

/** A 64-bit perceptual hash as 16 lower-case hex digits (JSON-friendly, comparable across runs). */
export type PerceptualHash = string;

/** Both hashes of one image. */
export interface ImageHashes {
  dhash: PerceptualHash;
  phash: PerceptualHash;
}

/**
 * Difference hash: the grey image area-averaged to 9×8; bit (y, x) = pixel (y, x + 1) > pixel (y, x).
 * Insensitive to brightness and contrast changes and to resizing; cheap.
 * @example
 * ```ts
 * dHash(image); // 'c4d2f0e8b1a39c07'
 * ```
 */
export function dHash(image: RawImage): PerceptualHash {
  return dHashOf(image, 'dHash');
}

function dHashOf(image: RawImage, where: string): PerceptualHash {
  const g = greyThumbnailOf(image, 9, 8, where); // [8, 9]
  const bits = new Uint8Array(64);
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++) bits[y * 8 + x] = g[y * 9 + x + 1]! > g[y * 9 + x]! ? 1 : 0;
  return toHex(bits);
}

const N = 32;
/** DCT-II basis: COS[k * N + n] = cos(π (2n + 1) k / 2N), for k < 8. */
const COS = (() => {
  const t = new Float64Array(8 * N);
  for (let k = 0; k < 8; k++)
    for (let n = 0; n < N; n++) t[k * N + n] = Math.cos((Math.PI * (2 * n + 1) * k) / (2 * N));
  return t;
})();

/**
 * DCT hash: the grey image area-averaged to 32×32, its 2-D DCT-II, the 8×8 lowest frequencies; bit = the
 * coefficient is above the median of the 63 non-DC ones (the DC term is left out of the median, so a
 * brightness change cannot move it). More robust than dHash to noise and re-encoding.
 * @example
 * ```ts
 * pHash(image); // '9b3c61e4d80f2a57'
 * ```
 */
export function pHash(image: RawImage): PerceptualHash {
  return pHashOf(image, 'pHash');
}

function pHashOf(image: RawImage, where: string): PerceptualHash {
  const g = greyThumbnailOf(image, N, N, where); // [32, 32]
  // rows: [32, 8] = g · COSᵀ, then columns: [8, 8]
  const rows = new Float64Array(N * 8);
  for (let y = 0; y < N; y++) {
    for (let k = 0; k < 8; k++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += g[y * N + n]! * COS[k * N + n]!;
      rows[y * 8 + k] = s;
    }
  }
  const d = new Float64Array(64);
  for (let j = 0; j < 8; j++) {
    for (let k = 0; k < 8; k++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += rows[n * 8 + k]! * COS[j * N + n]!;
      d[j * 8 + k] = s;
    }
  }
  const ac = Array.from(d.subarray(1)).sort((a, b) => a - b);
  const median = ac[31]!; // the middle of 63 values
  const bits = new Uint8Array(64);
  for (let i = 0; i < 64; i++) bits[i] = d[i]! > median ? 1 : 0;
  return toHex(bits);
}

/**
 * Both hashes of an image.
 * @example
 * ```ts
 * const { dhash, phash } = imageHashes(decoded);
 * ```
 */
export function imageHashes(image: RawImage): ImageHashes {
  return { dhash: dHashOf(image, 'imageHashes'), phash: pHashOf(image, 'imageHashes') };
}

/**
 * Number of differing bits of two hashes (0 = same, 64 = opposite).
 * @example
 * ```ts
 * hammingDistance('0000000000000000', '000000000000000f'); // 4
 * ```
 */
export function hammingDistance(a: PerceptualHash, b: PerceptualHash): number {
  const [a0, a1] = hashWords(a, 'hammingDistance', 'a', 'a');
  const [b0, b1] = hashWords(b, 'hammingDistance', 'b', 'b');
  return popcount(a0 ^ b0) + popcount(a1 ^ b1);
}

/**
 * The two 32-bit halves of a hash. A malformed hash throws a {@link DatasetInputError} of `where` (the public
 * function called) and `argument`; `subject` (`'a'`, `'images[3] (id)'`) starts its message.
 */
export function hashWords(
  h: PerceptualHash,
  where: string,
  argument: string,
  subject: string,
): [number, number] {
  if (typeof h !== 'string' || !/^[0-9a-f]{16}$/.test(h)) {
    throw new DatasetInputError(
      where,
      argument,
      `${subject}: a perceptual hash is 16 lower-case hex digits, got ${JSON.stringify(h)}`,
    );
  }
  return [Number.parseInt(h.slice(0, 8), 16) | 0, Number.parseInt(h.slice(8), 16) | 0];
}

export function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function toHex(bits: Uint8Array): PerceptualHash {
  let s = '';
  for (let i = 0; i < 64; i += 4)
    s += ((bits[i]! << 3) | (bits[i + 1]! << 2) | (bits[i + 2]! << 1) | bits[i + 3]!).toString(16);
  return s;
}
