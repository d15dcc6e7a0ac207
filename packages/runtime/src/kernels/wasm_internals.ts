/**
 * Typed access to the internals of `@tensorflow/tfjs-backend-wasm` 4.22 that the kernel repairs use: the
 * Emscripten module (heap, `malloc`, raw kernel exports), the data-id → heap-offset map, and the stock
 * kernels. Nothing here is public tfjs API; every access is checked so that a tfjs upgrade that moves
 * things fails loudly with a message naming what is missing.
 */

import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { stockConfig } from './repair_config.js';

/** The Emscripten module of the wasm backend (only the members used here). */
export interface WasmModule {
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  /** `BatchMatMul(aId, aShapePtr, aRank, bId, bShapePtr, bRank, transposeA, transposeB, outId)`. */
  _BatchMatMul(
    aId: number,
    aShapePtr: number,
    aRank: number,
    bId: number,
    bShapePtr: number,
    bRank: number,
    transposeA: number,
    transposeB: number,
    outId: number,
  ): void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
    getThreadsCount(): number;
  };
}

/** What the wasm backend stores per tensor. */
export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

/** The `BackendWasm` instance (only the members used here). */
export interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): WasmTensorData | undefined; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Cast the backend handed to a kernel, checking it really is tfjs's wasm backend. */
export function asWasmBackend(backend: unknown, where: string): WasmBackend {
  const b = backend as Partial<WasmBackend> | null;
  if (
    b === null ||
    typeof b !== 'object' ||
    b.wasm === undefined ||
    typeof b.wasm._malloc !== 'function' ||
    typeof b.wasm._BatchMatMul !== 'function' ||
    b.dataIdMap === undefined ||
    typeof b.dataIdNextNumber !== 'number'
  ) {
    throw new Error(
      `${where}: the backend is not @tensorflow/tfjs-backend-wasm 4.x (missing wasm module, _BatchMatMul export or dataIdMap)`,
    );
  }
  return b as WasmBackend;
}

/** Heap record of a tensor; throws naming `where` if the tensor is not (or no longer) on this backend. */
export function dataOf(backend: WasmBackend, t: TensorInfo, where: string): WasmTensorData {
  const d = backend.dataIdMap.get(t.dataId);
  if (d === undefined) {
    throw new Error(`${where}: tensor of shape [${t.shape}] is not on the wasm backend (disposed?)`);
  }
  return d;
}

/** Float32 view of a tensor's heap data (re-derive after any allocation: the heap may grow). */
export function f32View(backend: WasmBackend, t: TensorInfo, where: string): Float32Array {
  const d = dataOf(backend, t, where);
  return new Float32Array(backend.wasm.HEAPF32.buffer, d.memoryOffset, tf.util.sizeFromShape(t.shape));
}

/** Int32 view of a tensor's heap data. */
export function i32View(backend: WasmBackend, t: TensorInfo, where: string): Int32Array {
  const d = dataOf(backend, t, where);
  return new Int32Array(backend.wasm.HEAP32.buffer, d.memoryOffset, tf.util.sizeFromShape(t.shape));
}

/**
 * Register a temporary C++ tensor id that aliases `size` floats at byte offset `memoryOffset` of the heap
 * (no copy). Release it with {@link releaseAlias}, which also drops any XNNPACK operator cached on it.
 */
export function makeAlias(backend: WasmBackend, memoryOffset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, memoryOffset);
  return id;
}

/** Unregister an alias made by {@link makeAlias} (runs its disposal callbacks; frees no heap memory). */
export function releaseAlias(backend: WasmBackend, id: number): void {
  backend.wasm.tfjs.disposeData(id);
}

/** A stock wasm kernel, looked up in tfjs's registry at each call (through a repair registered over it). */
export function stockKernel(name: string): KernelFunc {
  const k = stockConfig(name);
  if (k === undefined) {
    throw new Error(`wasm kernel repair: the stock wasm backend has no '${name}' kernel to build on`);
  }
  return k.kernelFunc;
}

/** Run a stock wasm kernel on TensorInfos; the result must be disposed with `backend.disposeData`. */
export function runStock(
  backend: WasmBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const out = stockKernel(name)({ inputs, backend: backend as never, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel repair: '${name}' returned several outputs`);
  return out;
}

/** A TensorInfo that views `t`'s data with another shape of the same size (no refcount, do not dispose). */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** Transpose the last two axes of `t` viewed as `[batch, rows, cols]`; returns `[batch, cols, rows]`. */
export function transposeLast2(
  backend: WasmBackend,
  t: TensorInfo,
  batch: number,
  rows: number,
  cols: number,
) {
  if (batch === 1) return runStock(backend, 'Transpose', { x: view(t, [rows, cols]) }, { perm: [1, 0] });
  return runStock(backend, 'Transpose', { x: view(t, [batch, rows, cols]) }, { perm: [0, 2, 1] });
}
