/**
 * The one state-dict type of the `@pir/*` packages: what the weight readers return (`readSafetensors`,
 * `readTorch` of `@pir/encoders/weights`), what `stateDict(model)` exports, what the writers take, and what
 * every `loadStateDict` accepts.
 *
 * A state dict is an ordered `Map` from a PyTorch parameter name (`'layer1.0.conv1.weight'`) to a
 * {@link StateTensor}: its dtype, its **PyTorch** shape, and its values in **contiguous row-major order**
 * (readers materialise strided/offset PyTorch views, so `data.length === numel(shape)` always holds). A `Map`
 * rather than a plain object: it keeps the file's order and a key such as `__proto__` from an untrusted file
 * is just a key.
 */

/** Element types a state dict can hold (PyTorch / safetensors names, lower-case). */
export type StateDType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/**
 * The typed array of each dtype:
 * - `float16` and `bfloat16` keep their raw 16-bit patterns in a `Uint16Array` (exact; convert with
 *   {@link toFloat32});
 * - `int64` is a `BigInt64Array` (exact; {@link toFloat32} / `stateDictToTensors` narrow it);
 * - `bool` is a `Uint8Array` of 0/1.
 */
export interface StateDataOf {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** Any typed array a {@link StateTensor} may carry. */
export type StateData = StateDataOf[StateDType];

/**
 * One tensor of a state dict.
 * @example
 * ```ts
 * const t: StateTensor = { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) };
 * ```
 */
export interface StateTensor {
  dtype: StateDType;
  /** Dimensions, outermost first (PyTorch order: a Linear weight is [out, in], a conv weight [O, I, kH, kW]). */
  shape: number[];
  /** Values, contiguous row-major; `data.length` equals the product of `shape` (1 for a scalar `[]`). */
  data: StateData;
}

/** Parameter name → tensor, in file order. */
export type StateDict = Map<string, StateTensor>;

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<StateDType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
