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
 * The memory is found as `asm.memory` (single-threaded build, exported) or `wasmMemory` (threaded build,
 * shared and imported by the Emscripten module); the matching variant (plain / `shared` import) is chosen by
 * the buffer type. When neither is found or instantiation fails, {@link batchedGemmFor} returns `undefined`
 * and callers keep the XNNPACK path.
 */
import { PLAIN_WASM, SHARED_WASM } from './batched-gemm-wasm.js';
import type { WasmBackend } from './wasm-internals.js';

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

interface EmscriptenMemoryHolder {
  wasmMemory?: unknown;
  asm?: { memory?: unknown };
}

const bound = new WeakMap<object, BatchedGemm | null>();
const compiled: { plain?: WebAssembly.Module; shared?: WebAssembly.Module } = {};
let disabled = false;

/** Test hook: turn the SIMD kernel off (`true`) to force the XNNPACK path; returns the previous setting. */
export function _disableBatchedGemm(off: boolean): boolean {
  const prev = disabled;
  disabled = off;
  return prev;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  throw new Error('batched GEMM: no base64 decoder (atob) in this JavaScript engine');
}

/** The tfjs heap as a `WebAssembly.Memory`, or `undefined` if the Emscripten module does not expose it. */
function memoryOf(backend: WasmBackend): WebAssembly.Memory | undefined {
  const w = backend.wasm as unknown as EmscriptenMemoryHolder;
  const heap = backend.wasm.HEAPF32.buffer;
  for (const m of [w.wasmMemory, w.asm?.memory]) {
    if (m instanceof WebAssembly.Memory && m.buffer === heap) return m;
  }
  return undefined;
}

function instantiate(backend: WasmBackend): BatchedGemm | null {
  const memory = memoryOf(backend);
  if (memory === undefined) return null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  try {
    // < 4 KiB each: synchronous compilation is allowed on a browser's main thread.
    const key = shared ? 'shared' : 'plain';
    let mod = compiled[key];
    if (mod === undefined) {
      mod = new WebAssembly.Module(decode(shared ? SHARED_WASM : PLAIN_WASM));
      compiled[key] = mod;
    }
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    const raw = inst.exports.gemm as GemmExport;
    let pack = 0;
    let packBytes = 0;
    return {
      gemm(a, ras, cas, b, rbs, cbs, c, m, k, n) {
        const need = k * (((n + 7) >> 3) << 3) * 4;
        if (need > packBytes) {
          if (pack !== 0) backend.wasm._free(pack);
          packBytes = Math.max(need, 2 * packBytes, 1 << 16);
          pack = backend.wasm._malloc(packBytes);
          if (pack === 0) {
            packBytes = 0;
            throw new Error(
              `batched GEMM: could not allocate ${need} bytes of packing scratch on the wasm heap`,
            );
          }
        }
        raw(a, ras, cas, b, rbs, cbs, c, m, k, n, pack);
      },
    };
  } catch {
    return null;
  }
}

/** The SIMD kernel on `backend`'s heap, or `undefined` when it cannot run there (callers fall back). */
export function batchedGemmFor(backend: WasmBackend): BatchedGemm | undefined {
  if (disabled) return undefined;
  let g = bound.get(backend.wasm);
  if (g === undefined) {
    g = instantiate(backend);
    bound.set(backend.wasm, g);
  }
  return g ?? undefined;
}
