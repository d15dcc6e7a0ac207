/**
 * Conversions of state-dict tensors: to float32, to tfjs tensors, and axis permutation (PyTorch → tfjs
 * layouts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from './errors.js';
import { numel, type StateDict, type StateTensor } from './types.js';

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

/** Options of {@link stateDictToTensors}. */
export interface ToTensorsOptions {
  /** Keep integer dtypes as int32 tensors (default true); otherwise every tensor becomes float32. */
  keepIntegers?: boolean;
}

/**
 * One tfjs tensor per state-dict entry: floating dtypes → float32, integer and bool dtypes → int32
 * (int64 values outside the int32 range throw), or everything float32 with `keepIntegers: false`.
 * The caller owns (and must dispose) the returned tensors.
 * @example
 * ```ts
 * const tensors = stateDictToTensors(sd); // { 'fc.weight': Tensor [out, in], ... }
 * tf.dispose(Object.values(tensors));
 * ```
 */
export function stateDictToTensors(sd: StateDict, options: ToTensorsOptions = {}): Record<string, tf.Tensor> {
  const keepIntegers = options.keepIntegers ?? true;
  const out: Record<string, tf.Tensor> = {};
  try {
    for (const [name, t] of sd) out[name] = stateTensorToTensor(t, keepIntegers, name);
  } catch (e) {
    tf.dispose(Object.values(out));
    throw e;
  }
  return out;
}

function stateTensorToTensor(t: StateTensor, keepIntegers: boolean, name: string): tf.Tensor {
  const isFloat =
    t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16' || t.dtype === 'float64';
  if (isFloat || !keepIntegers) return tf.tensor(toFloat32(t), t.shape, 'float32');
  if (t.dtype === 'int32') return tf.tensor(t.data as Int32Array, t.shape, 'int32');
  const out = new Int32Array(t.data.length);
  if (t.dtype === 'int64') {
    const d = t.data as BigInt64Array;
    for (let i = 0; i < d.length; i++) {
      const v = d[i] as bigint;
      if (v > 2147483647n || v < -2147483648n) {
        throw new WeightsError(
          'stateDictToTensors',
          `int64 tensor '${name}' holds ${v}, outside the int32 range`,
          name,
        );
      }
      out[i] = Number(v);
    }
  } else {
    out.set(t.data as Int16Array);
  }
  return tf.tensor(out, t.shape, 'int32');
}

/**
 * Permutes the axes of a state tensor (new axis i = old axis `perm[i]`), e.g. a PyTorch Linear weight
 * [out, in] → tfjs Dense kernel [in, out] with `[1, 0]`, or a conv weight [O, I, kH, kW] → [kH, kW, I, O]
 * with `[2, 3, 1, 0]`. Returns a new contiguous tensor of the same dtype.
 */
export function permute(t: StateTensor, perm: readonly number[]): StateTensor {
  const rank = t.shape.length;
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new WeightsError(
      'permute',
      `perm [${perm}] is not a permutation of the ${rank} axes of [${t.shape}]`,
    );
  }
  const shape = perm.map((p) => t.shape[p] as number);
  const inStrides = contiguousStrides(t.shape);
  const strides = perm.map((p) => inStrides[p] as number);
  const data = gatherStrided(t.data, shape, strides, 0);
  return { dtype: t.dtype, shape, data };
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i] as number;
  }
  return s;
}

/**
 * Copies the elements of a strided view (`shape`, element `strides`, element `offset`) of `src` into a new
 * contiguous array of the same type.
 */
export function gatherStrided<T extends StateTensor['data']>(
  src: T,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): T {
  const n = numel(shape);
  const Ctor = src.constructor as new (n: number) => T;
  const out = new Ctor(n);
  if (n === 0) return out;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let pos = offset;
  const s = src as unknown as ArrayLike<number | bigint>;
  const o = out as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    o[i] = s[pos] as number | bigint;
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      pos += strides[ax] as number;
      if ((idx[ax] as number) < (shape[ax] as number)) break;
      pos -= (strides[ax] as number) * (shape[ax] as number);
      idx[ax] = 0;
    }
  }
  return out;
}
