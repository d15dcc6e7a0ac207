/**
 * Element-type conversions of state-dict tensors: IEEE half and bfloat16 bit patterns, and any dtype to
 * float32 (what tfjs variables hold).
 */
import type { StateTensor } from './types.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half (raw 16 bits) → number. Exact (every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal / zero
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 (raw 16 bits) → number: the upper half of a float32. Exact. */
export function bfloat16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0] as number;
}

/** number → IEEE half bits, round-to-nearest-even (as PyTorch's `.half()`). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0] as number;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/**
 * The values of a state tensor as a `Float32Array` (copy; the same array when already float32).
 * float16/bfloat16 are decoded exactly; float64 and int64 are rounded to the nearest float32.
 * @example
 * ```ts
 * toFloat32({ dtype: 'float16', shape: [1], data: new Uint16Array([0x3c00]) }); // Float32Array [1]
 * ```
 */
export function toFloat32(t: StateTensor): Float32Array {
  const { data } = t;
  if (t.dtype === 'float32') return data as Float32Array;
  const out = new Float32Array(data.length);
  if (t.dtype === 'float16') {
    const d = data as Uint16Array;
    for (let i = 0; i < d.length; i++) out[i] = halfToFloat(d[i] as number);
  } else if (t.dtype === 'bfloat16') {
    new Uint32Array(out.buffer).set(Uint32Array.from(data as Uint16Array, (h) => h << 16));
  } else if (t.dtype === 'int64') {
    const d = data as BigInt64Array;
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  } else {
    out.set(data as Exclude<typeof data, BigInt64Array>);
  }
  return out;
}
