/**
 * `UnsortedSegmentSum` for the wasm backend (stock tfjs-backend-wasm 4.22 has none, so `tf.grad` through
 * `gather` — embeddings — fails there). Plain JS over the wasm heap: one pass over `x`, memory-bound.
 */

import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { repairConfig, type StockLookup } from './repair_config.js';
import { asWasmBackend, dataOf } from './wasm_internals.js';

const WHERE = 'UnsortedSegmentSum (wasm, @pir/runtime)';

/**
 * `out[s, ...] = Σ_{i: segmentIds[i] = s} x[i, ...]`.
 * Inputs: `x` `[...idsShape, ...inner]` (float32 or int32), `segmentIds` `idsShape` (int32);
 * attr `numSegments`. Output `[numSegments, ...inner]`, dtype of `x`; ids outside `[0, numSegments)` are
 * dropped (as TensorFlow does).
 */
export function unsortedSegmentSumWasm(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: unknown;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const backend = asWasmBackend(args.backend, WHERE);
  const { x, segmentIds } = args.inputs;
  const numSegments = args.attrs.numSegments;
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`${WHERE}: numSegments must be a non-negative integer, got ${numSegments}`);
  }
  const idsRank = segmentIds.shape.length;
  if (x.shape.slice(0, idsRank).join() !== segmentIds.shape.join()) {
    throw new Error(
      `${WHERE}: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
    );
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`${WHERE}: x must be float32 or int32, got ${x.dtype}`);
  }
  const inner = tf.util.sizeFromShape(x.shape.slice(idsRank));
  const n = tf.util.sizeFromShape(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idsRank)], x.dtype);
  // Views after the allocation (the heap may have grown).
  const heap = backend.wasm.HEAPF32.buffer;
  const view = (off: number, len: number): Float32Array | Int32Array =>
    x.dtype === 'float32' ? new Float32Array(heap, off, len) : new Int32Array(heap, off, len);
  const o = view(dataOf(backend, out, WHERE).memoryOffset, numSegments * inner);
  const xv = view(dataOf(backend, x, WHERE).memoryOffset, n * inner);
  const idsData = dataOf(backend, segmentIds, WHERE);
  const ids =
    segmentIds.dtype === 'int32'
      ? new Int32Array(heap, idsData.memoryOffset, n)
      : new Float32Array(heap, idsData.memoryOffset, n);
  o.fill(0);
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xv[src + j];
  }
  return out;
}

/** Kernel config adding wasm `UnsortedSegmentSum` (tfjs-backend-wasm 4.22 has none). */
export function makeUnsortedSegmentSumConfig(stock: StockLookup): KernelConfig {
  return repairConfig(
    tf.UnsortedSegmentSum,
    unsortedSegmentSumWasm as unknown as KernelFunc,
    stock(tf.UnsortedSegmentSum),
  );
}
