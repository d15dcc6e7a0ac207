/**
 * A small hand-written wasm SIMD GEMM (`tools/wasm-kernels/batched_gemm.c`, embedded as base64) that runs on
 * tfjs-backend-wasm's own heap: the module imports the Emscripten module's `WebAssembly.Memory`, so it reads
 * operands and writes results in place, with strides for transposed operands and no per-call setup.
 *
 * Why: XNNPACK's fully-connected operator creates an operator and packs the weights on every call, and with
 * threads synchronises its pool each time; for the attention products (`[B·H, L, dh] × [B·H, dh, L]`, L ≈ 50)
 * that overhead is most of the work. This kernel is single-threaded, register-blocked 4 × 8 with f32x4, and
 * copies `B` into 8-column panels (one pass over `K·N`) before each product.
 *
 * Instantiated by `heap_module.ts`; when that is not possible {@link batchedGemmFor} returns `undefined` and
 * callers keep the XNNPACK path.
 */
import { PLAIN_WASM, SHARED_WASM } from './batched_gemm_wasm.js';
import { type HeapModuleSource, heapInstance, heapScratch } from './heap_module.js';
import type { WasmBackend } from './wasm_internals.js';

/** `gemm(a, ras, cas, b, rbs, cbs, c, m, k, n, pack)`; pointers are heap byte offsets. */
type GemmExport = (
  a: number,
  ras: number,
  cas: number,
  b: number,
  rbs: number,
  cbs: number,
  c: number,
  m: number,
  k: number,
  n: number,
  pack: number,
) => void;

/** The kernel bound to one Emscripten module, with a packing scratch buffer on its heap. */
export interface BatchedGemm {
  /**
   * `C[M, N] = op(A) · op(B)`: `A(i, k) = heap[a + 4·(i·ras + k·cas)]`, `B(k, j) = heap[b + 4·(k·rbs + j·cbs)]`,
   * `C` row-major at byte offset `c`. Offsets in bytes, strides in floats.
   */
  gemm(
    a: number,
    ras: number,
    cas: number,
    b: number,
    rbs: number,
    cbs: number,
    c: number,
    m: number,
    k: number,
    n: number,
  ): void;
}

const bound = new WeakMap<object, BatchedGemm | null>();
let disabled = false;

const SOURCE: HeapModuleSource = { name: 'batched_gemm', plain: PLAIN_WASM, shared: SHARED_WASM };

/** Test hook: turn the SIMD kernel off (`true`) to force the XNNPACK path; returns the previous setting. */
export function _disableBatchedGemm(off: boolean): boolean {
  const prev = disabled;
  disabled = off;
  return prev;
}

function bind(backend: WasmBackend): BatchedGemm | null {
  const inst = heapInstance(backend, SOURCE);
  if (inst === undefined) return null;
  const raw = inst.exports.gemm as GemmExport;
  const pack = heapScratch(backend, 'batched GEMM packing');
  return {
    gemm(a, ras, cas, b, rbs, cbs, c, m, k, n) {
      raw(a, ras, cas, b, rbs, cbs, c, m, k, n, pack.ensure(k * (((n + 7) >> 3) << 3) * 4));
    },
  };
}

/** The SIMD kernel on `backend`'s heap, or `undefined` when it cannot run there (callers fall back). */
export function batchedGemmFor(backend: WasmBackend): BatchedGemm | undefined {
  if (disabled) return undefined;
  let g = bound.get(backend.wasm);
  if (g === undefined) {
    g = bind(backend);
    bound.set(backend.wasm, g);
  }
  return g ?? undefined;
}
