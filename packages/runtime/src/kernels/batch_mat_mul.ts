/**
 * `BatchMatMul` for the wasm backend that always reaches XNNPACK's fast GEMM.
 *
 * The stock kernel (tfjs-backend-wasm 4.22) calls XNNPACK's fully-connected operator only when
 * `transposeA = transposeB = false` and both batch sizes are 1; everything else — every matMul gradient and
 * every attention product — runs a scalar triple loop at ~2 GFLOP/s. This kernel reduces each case to
 * calls of that fast path (`_BatchMatMul` on `[1, M, K] × [1, K, N]`):
 *
 * | case                                  | how                                                          |
 * |---------------------------------------|--------------------------------------------------------------|
 * | 2-D, or `b` shared (batch 1)          | transpose the flagged operand(s) with the wasm `Transpose`, fold the batch of `a` into rows, one GEMM; `aᵀ·bᵀ` runs as `(b·a)ᵀ` when that moves less data |
 * | `a` shared, `b` batched               | `Cᵦᵀ = Bᵦᵀ·Aᵀ`: fold the batch of `bᵀ` into rows, one GEMM, one transpose |
 * | both batched, slice ≤ 2·256³ flops     | the SIMD batched-GEMM kernel (`batched_gemm.ts`) on every slice in place: strides instead of transposes, no XNNPACK operator |
 * | both batched, larger slices (or no SIMD kernel) | one GEMM per output matrix on zero-copy aliases of the slices |
 *
 * XNNPACK caches the packed weights of each operator under the C++ tensor id of `b` (`(b_id, bias, act)`,
 * not the shape). Ids are never reused for other contents, but a `reshape` shares the id, so the same id can
 * come back as `[K', N']`: {@link weightsId} detects that and evicts the stale operator first. Slice and
 * temporary ids are released right after their GEMM, which drops their operators.
 */

import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { batchedGemmFor } from './batched_gemm.js';
import { parallelGemmFor } from './parallel_gemm.js';
import { repairConfig } from './repair_config.js';
import {
  asWasmBackend,
  dataOf,
  makeAlias,
  releaseAlias,
  transposeLast2,
  type WasmBackend,
  type WasmTensorData,
} from './wasm_internals.js';

const WHERE = 'BatchMatMul (wasm, @pir/runtime)';

/** Scratch for the two `[1, rows, cols]` shape arguments, per wasm module. */
const shapeScratch = new WeakMap<object, number>();

function scratch(backend: WasmBackend): number {
  let p = shapeScratch.get(backend.wasm);
  if (p === undefined) {
    p = backend.wasm._malloc(24);
    shapeScratch.set(backend.wasm, p);
  }
  return p;
}

/**
 * `out[M, N] = a[M, K] · b[K, N]` through XNNPACK. `aOff`/`outOff` are heap byte offsets (aliased, no copy);
 * `bId` is a registered C++ tensor id whose whole data is `b` (its packed weights may be cached by XNNPACK).
 */
export function gemm(
  backend: WasmBackend,
  aOff: number,
  bId: number,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  const aId = makeAlias(backend, aOff, m * k);
  const outId = makeAlias(backend, outOff, m * n);
  const p = scratch(backend);
  const h = backend.wasm.HEAP32;
  const i = p >> 2;
  h[i] = 1;
  h[i + 1] = m;
  h[i + 2] = k;
  h[i + 3] = 1;
  h[i + 4] = k;
  h[i + 5] = n;
  try {
    backend.wasm._BatchMatMul(aId, p, 3, bId, p + 12, 3, 0, 0, outId);
  } finally {
    releaseAlias(backend, aId);
    releaseAlias(backend, outId);
  }
}

/**
 * `out[M, N] = a[M, K] · b[K, N]` for weights `b` that have both a heap byte offset and a registered C++ id:
 * the parallel kernel when the product is large enough for it, else XNNPACK on the id (packed copy cached).
 */
export function gemmWeights(
  backend: WasmBackend,
  aOff: number,
  bOff: number,
  bId: number,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  const par = parallelFor(backend, m, k, n);
  if (par !== undefined) par.gemm(aOff, k, 1, bOff, n, 1, outOff, m, k, n);
  else gemm(backend, aOff, bId, outOff, m, k, n);
}

/**
 * `out[M, N] = a[M, K] · b[K, N]` through XNNPACK, all three given by heap byte offsets (aliased, no copy;
 * `b` is released after the call, so no operator stays cached on it).
 */
export function gemmOffsets(
  backend: WasmBackend,
  aOff: number,
  bOff: number,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  const par = parallelFor(backend, m, k, n);
  if (par !== undefined) {
    par.gemm(aOff, k, 1, bOff, n, 1, outOff, m, k, n);
    return;
  }
  const bId = makeAlias(backend, bOff, k * n);
  try {
    gemm(backend, aOff, bId, outOff, m, k, n);
  } finally {
    releaseAlias(backend, bId);
  }
}

// --- stale-operator guard -------------------------------------------------------------------------------

interface Seen {
  k: number;
  ref: WeakRef<object>;
}
/**
 * Per backend instance (keyed by its wasm module, whose C++ ids these are): C++ id → the K it was last used
 * with as GEMM weights, for ids of tensors owned by the caller.
 */
const seenWeightsByModule = new WeakMap<object, Map<number, Seen>>();

function seenWeightsOf(backend: WasmBackend): Map<number, Seen> {
  let seen = seenWeightsByModule.get(backend.wasm);
  if (seen === undefined) {
    seen = new Map();
    seenWeightsByModule.set(backend.wasm, seen);
  }
  return seen;
}
let SEEN_LIMIT = 8192;

/** Test hook: set how many weight ids the stale-operator guard remembers; returns the previous limit. */
export function _setSeenWeightsLimit(n: number): number {
  const prev = SEEN_LIMIT;
  SEEN_LIMIT = n;
  return prev;
}

/** Drop every XNNPACK operator cached under `d.id` (dispose + re-register the id: same data, no copy). */
function evictOperators(backend: WasmBackend, d: WasmTensorData): void {
  backend.wasm.tfjs.disposeData(d.id);
  backend.wasm.tfjs.registerTensor(d.id, tf.util.sizeFromShape(d.shape), d.memoryOffset);
}

/**
 * The C++ id of the whole tensor `t` used as GEMM weights of shape `[k, size/k]`, after evicting operators
 * cached for the same id under another shape (possible through `reshape`, which shares the id).
 */
function weightsId(backend: WasmBackend, t: TensorInfo, k: number): number {
  const d = dataOf(backend, t, WHERE);
  const seenWeights = seenWeightsOf(backend);
  const seen = seenWeights.get(d.id);
  if (seen !== undefined && seen.k !== k) evictOperators(backend, d);
  if (seen === undefined || seen.k !== k) {
    seenWeights.delete(d.id);
    seenWeights.set(d.id, { k, ref: new WeakRef(t.dataId) });
  }
  if (seenWeights.size > SEEN_LIMIT) {
    // Forget the oldest half. A forgotten id that is still alive gets its operators evicted, so that a later
    // use under another shape cannot meet a stale operator.
    let drop = seenWeights.size - Math.floor(SEEN_LIMIT / 2);
    for (const [id, s] of seenWeights) {
      if (drop-- <= 0) break;
      seenWeights.delete(id);
      const dataId = s.ref.deref();
      // `has` first: `get` of a disposed id asks the engine to move the data and throws
      const live =
        dataId !== undefined && backend.dataIdMap.has(dataId) ? backend.dataIdMap.get(dataId) : undefined;
      if (live !== undefined && live.id === id) evictOperators(backend, live);
    }
  }
  return d.id;
}

/**
 * Whether XNNPACK keeps the packed copy of a GEMM's weights operand between calls (per C++ id). On (the
 * default), a model's weight matrices are packed once and reused by every forward pass — fastest, but every
 * weight matrix then lives twice in the wasm heap (the variable and its packed copy). Off, the operand is
 * packed for the call and dropped after it: one packing per call (O(K·N) next to the GEMM's O(M·K·N)), no
 * second copy — what lets the paper-size PIR-ITR (161 M parameters) train inside the 4 GiB wasm heap.
 */
let CACHE_PACKED_WEIGHTS = true;

/**
 * Keep (`true`, default) or drop (`false`) XNNPACK's packed copy of GEMM weights between calls on wasm (see
 * `initBackend({ cachePackedWeights })`). @returns the previous setting
 */
export function setCachePackedWeights(on: boolean): boolean {
  const prev = CACHE_PACKED_WEIGHTS;
  CACHE_PACKED_WEIGHTS = on;
  return prev;
}

/**
 * The C++ id to pass as GEMM weights for the whole tensor `t` viewed as `[k, size/k]`: its own id (packed
 * copy cached) or, with the cache off, a temporary alias pushed to `aliases` (released after the GEMM, which
 * drops the operator packed for it).
 */
function weightsOperand(backend: WasmBackend, t: TensorInfo, k: number, aliases: number[]): number {
  if (CACHE_PACKED_WEIGHTS) return weightsId(backend, t, k);
  const id = makeAlias(backend, offsetOf(backend, t), tf.util.sizeFromShape(t.shape));
  aliases.push(id);
  return id;
}

// --- the kernel -------------------------------------------------------------------------------------------

function freeAll(backend: WasmBackend, temps: TensorInfo[]): void {
  for (const t of temps) backend.disposeData(t.dataId);
}

/**
 * `out[..., M, N] = op(a)[..., M, K] · op(b)[..., K, N]` with `op` = transpose when the flag is set and
 * numpy broadcasting of the leading (batch) dims. Inputs: `a` rank ≥ 2, `b` rank ≥ 2, float32; other dtypes
 * go to `stock` (the stock wasm kernel), and throw without one.
 */
export function batchMatMulWasm(
  args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: unknown;
    attrs: BatchMatMulAttrs;
  },
  stock?: KernelFunc,
): TensorInfo {
  const backend = asWasmBackend(args.backend, WHERE);
  const { a, b } = args.inputs;
  const ta = args.attrs.transposeA === true;
  const tb = args.attrs.transposeB === true;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    if (stock === undefined) throw new Error(`${WHERE}: only float32 is supported`);
    return stock(args as never) as TensorInfo;
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) {
    throw new Error(`${WHERE}: inputs must have rank ≥ 2, got a [${a.shape}] and b [${b.shape}]`);
  }
  const m = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = tb ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) {
    throw new Error(
      `${WHERE}: inner dimensions differ: a [${a.shape}] (transposeA=${ta}) has ${k}, b [${b.shape}] (transposeB=${tb}) has ${kb}`,
    );
  }
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outerOut = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const outShape = [...outerOut, m, n];
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  const batchOut = tf.util.sizeFromShape(outerOut);

  if (m * n * batchOut === 0 || k === 0) {
    const out = backend.makeOutput(outShape, 'float32');
    const size = m * n * batchOut;
    if (size > 0)
      new Float32Array(backend.wasm.HEAPF32.buffer, dataOf(backend, out, WHERE).memoryOffset, size).fill(0);
    return out;
  }

  const temps: TensorInfo[] = [];
  const aliases: number[] = [];
  try {
    // ---- b shared (or nothing batched): fold a's batch into rows, one GEMM.
    if (batchB === 1) {
      const rows = batchA * m;
      if (ta && tb && batchA === 1 && m * n < m * k + n * k) {
        // aᵀ·bᵀ = (b·a)ᵀ: GEMM b[N,K]·a[K,M] → [N,M], then one transpose.
        const tmp = backend.makeOutput([n, m], 'float32');
        temps.push(tmp);
        gemm(
          backend,
          dataOf(backend, b, WHERE).memoryOffset,
          weightsOperand(backend, a, k, aliases),
          offsetOf(backend, tmp),
          n,
          k,
          m,
        );
        const out = transposeLast2(backend, tmp, 1, n, m);
        out.shape = outShape;
        return out;
      }
      let aRows = a;
      if (ta) {
        aRows = transposeLast2(backend, a, batchA, k, m);
        temps.push(aRows);
      }
      const par = parallelFor(backend, rows, k, n);
      if (par !== undefined) {
        // B read in place through strides (packed panel by panel): no transpose, no cached copy.
        const out = backend.makeOutput(outShape, 'float32');
        par.gemm(
          offsetOf(backend, aRows),
          k,
          1,
          offsetOf(backend, b),
          tb ? 1 : n,
          tb ? k : 1,
          offsetOf(backend, out),
          rows,
          k,
          n,
        );
        return out;
      }
      let bId: number;
      if (tb) {
        const bt = transposeLast2(backend, b, 1, n, k);
        temps.push(bt);
        bId = dataOf(backend, bt, WHERE).id;
      } else {
        bId = weightsOperand(backend, b, k, aliases);
      }
      const out = backend.makeOutput(outShape, 'float32');
      gemm(backend, offsetOf(backend, aRows), bId, offsetOf(backend, out), rows, k, n);
      return out;
    }

    // ---- a shared, b batched: Cᵦᵀ = Bᵦᵀ·Aᵀ with Bᵦᵀ stacked into rows, then transpose back.
    if (batchA === 1) {
      let bT = b; // [batchB, N, K]
      if (!tb) {
        bT = transposeLast2(backend, b, batchB, k, n);
        temps.push(bT);
      }
      let aId: number; // weights [K, M]
      if (ta) {
        aId = weightsOperand(backend, a, k, aliases);
      } else {
        const at = transposeLast2(backend, a, 1, m, k);
        temps.push(at);
        aId = dataOf(backend, at, WHERE).id;
      }
      const tmp = backend.makeOutput([batchB, n, m], 'float32');
      temps.push(tmp);
      gemm(backend, offsetOf(backend, bT), aId, offsetOf(backend, tmp), batchB * n, k, m);
      const out = transposeLast2(backend, tmp, batchB, n, m);
      out.shape = outShape;
      return out;
    }

    const ia = broadcastIndex(outerOut, outerA);
    const ib = broadcastIndex(outerOut, outerB);

    // ---- both batched, small matrices: the SIMD kernel on every slice in place (strides, no transposes).
    const simd = useSimdKernel(m, k, n) ? batchedGemmFor(backend) : undefined;
    if (simd !== undefined) {
      const out = backend.makeOutput(outShape, 'float32');
      const aOff = offsetOf(backend, a);
      const bOff = offsetOf(backend, b);
      const oOff = offsetOf(backend, out);
      // A(i, k): [M, K] row-major, or stored [K, M] when transposed; likewise B.
      const ras = ta ? 1 : k;
      const cas = ta ? m : 1;
      const rbs = tb ? 1 : n;
      const cbs = tb ? k : 1;
      for (let i = 0; i < batchOut; i++) {
        simd.gemm(
          aOff + ia[i]! * m * k * 4,
          ras,
          cas,
          bOff + ib[i]! * k * n * 4,
          rbs,
          cbs,
          oOff + i * m * n * 4,
          m,
          k,
          n,
        );
      }
      return out;
    }

    // ---- both batched: one GEMM per output matrix on aliases of the slices.
    let aw = a; // [batchA, M, K]
    if (ta) {
      aw = transposeLast2(backend, a, batchA, k, m);
      temps.push(aw);
    }
    let bw = b; // [batchB, K, N]
    if (tb) {
      bw = transposeLast2(backend, b, batchB, n, k);
      temps.push(bw);
    }
    const out = backend.makeOutput(outShape, 'float32');
    const aOff = offsetOf(backend, aw);
    const bOff = offsetOf(backend, bw);
    const oOff = offsetOf(backend, out);
    for (let i = 0; i < batchOut; i++) {
      gemmOffsets(
        backend,
        aOff + ia[i]! * m * k * 4,
        bOff + ib[i]! * k * n * 4,
        oOff + i * m * n * 4,
        m,
        k,
        n,
      );
    }
    return out;
  } finally {
    for (const id of aliases) releaseAlias(backend, id);
    freeAll(backend, temps);
  }
}

/**
 * Whether one `[M, K] × [K, N]` slice of a batched product goes to the SIMD kernel rather than its own
 * XNNPACK call: below this size XNNPACK's per-call operator creation, weight packing and thread-pool
 * synchronisation cost more than the kernel's missing threads (measured: `benchmarks/attention_matmul.ts`).
 */
let SIMD_MAX_FLOPS = 2 * 256 * 256 * 256;

/** Test/benchmark hook: set the largest slice (2·M·K·N flops) run by the SIMD kernel; returns the previous. */
export function _setSimdMaxFlops(flops: number): number {
  const prev = SIMD_MAX_FLOPS;
  SIMD_MAX_FLOPS = flops;
  return prev;
}

function useSimdKernel(m: number, k: number, n: number): boolean {
  return 2 * m * k * n <= SIMD_MAX_FLOPS;
}

/**
 * The smallest GEMM (rows of A, and 2·M·K·N flops) run by the parallel kernel (`parallel_gemm.ts`) instead of
 * XNNPACK. The kernel packs B on every call (O(K·N)) where XNNPACK reuses a cached packed copy of weights, so
 * it pays from a few dozen rows on (measured: `benchmarks/gemm_sizes.ts`).
 */
let PARALLEL_MIN = { rows: 64, flops: 2 * 64 * 256 * 256, threadedFlops: 2 * 256 * 512 * 512 };

/**
 * Test/benchmark hook: set the smallest GEMM run by the parallel kernel (`Infinity` turns it off);
 * `threadedFlops`: the smallest when the backend has threads. Below that XNNPACK's own pool wins: waking the
 * kernel's workers for medium products cost more than they gave (PIR-ITR tiny training step, 2 threads, with
 * the single-threaded threshold: 741–800 ms against XNNPACK's 572–697).
 */
export function _setParallelGemmMin(min: { rows: number; flops: number; threadedFlops?: number }): {
  rows: number;
  flops: number;
  threadedFlops: number;
} {
  const prev = PARALLEL_MIN;
  PARALLEL_MIN = { ...min, threadedFlops: min.threadedFlops ?? min.flops };
  return prev;
}

let PARALLEL_ON = true;

/**
 * Run large GEMMs on the parallel kernel (`true`, default) or keep XNNPACK for all (`false`; see
 * `initBackend({ parallelGemm })`). @returns the previous setting
 */
export function setParallelGemm(on: boolean): boolean {
  const prev = PARALLEL_ON;
  PARALLEL_ON = on;
  return prev;
}

/** The parallel kernel when `[M, K] × [K, N]` is large enough for it and it can run here, else `undefined`. */
function parallelFor(backend: WasmBackend, m: number, k: number, n: number) {
  if (!PARALLEL_ON || m < PARALLEL_MIN.rows || 2 * m * k * n < PARALLEL_MIN.flops) return undefined;
  const par = parallelGemmFor(backend);
  if (par !== undefined && par.configured > 1 && 2 * m * k * n < PARALLEL_MIN.threadedFlops) return undefined;
  return par;
}

function offsetOf(backend: WasmBackend, t: TensorInfo): number {
  return dataOf(backend, t, WHERE).memoryOffset;
}

/** For each flat index over `outer`, the flat index into `inner` (broadcast: size-1 / missing dims repeat). */
function broadcastIndex(outer: number[], inner: number[]): Int32Array {
  const total = tf.util.sizeFromShape(outer);
  const idx = new Int32Array(total);
  const pad = outer.length - inner.length;
  const innerStrides: number[] = new Array(outer.length).fill(0);
  let s = 1;
  for (let d = outer.length - 1; d >= 0; d--) {
    const dim = d - pad >= 0 ? inner[d - pad]! : 1;
    innerStrides[d] = dim === 1 ? 0 : s;
    s *= dim;
  }
  for (let i = 0; i < total; i++) {
    let rem = i;
    let j = 0;
    for (let d = outer.length - 1; d >= 0; d--) {
      const dim = outer[d]!;
      j += (rem % dim) * innerStrides[d]!;
      rem = Math.floor(rem / dim);
    }
    idx[i] = j;
  }
  return idx;
}

/**
 * Kernel config replacing wasm `BatchMatMul`; `stock` is the stock config it stands in for (its kernel runs the
 * non-float32 cases; see `repair_config.ts`).
 */
export function makeBatchMatMulConfig(stock: KernelConfig | undefined): KernelConfig {
  const stockFunc = stock?.kernelFunc;
  const kernelFunc = (args: Parameters<typeof batchMatMulWasm>[0]) => batchMatMulWasm(args, stockFunc);
  return repairConfig(tf.BatchMatMul, kernelFunc as unknown as KernelFunc, stock);
}

/** Test hook: ids remembered by the stale-operator guard for `backend` (default: the active one). */
export function _seenWeightsSize(backend: unknown = tf.backend()): number {
  const wasm = (backend as Partial<WasmBackend> | null)?.wasm;
  return wasm == null ? 0 : (seenWeightsByModule.get(wasm)?.size ?? 0);
}
