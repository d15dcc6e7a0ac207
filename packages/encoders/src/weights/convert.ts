/**
 * Conversions of state-dict tensors: to tfjs tensors, and axis permutation (PyTorch → tfjs layouts). The
 * element-type conversions (`toFloat32`, half / bfloat16) live with the state-dict type in `@pir/nn`.
 */
import { numel, type StateDict, type StateTensor, toFloat32 } from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from './errors.js';

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
