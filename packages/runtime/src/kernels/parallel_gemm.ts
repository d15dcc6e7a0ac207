/**
 * The large GEMMs of the wasm backend on our own SIMD kernel, split by column panels over threads that share
 * tfjs-backend-wasm's heap (Node; one thread in browsers).
 *
 * Why: XNNPACK's f32 GEMM in tfjs-backend-wasm 4.22 runs at ~27–37 GFLOP/s per thread on this project's machines
 * (2-core AMD EPYC; `benchmarks/gemm_sizes.ts`); the 4 × 8 register-blocked, cache-blocked kernel of
 * `batched_gemm.c` (a 256-deep slice of an 8-column panel of B stays in L1 while a 128-row block of A in L2 streams
 * past it) runs the same products at ~45–47, near the ceiling of 128-bit wasm SIMD. This module runs it on
 * every thread the backend was given: the calling thread takes the first range of panels, worker threads (the same
 * wasm module instantiated on the same shared memory) take the others, and each packs only its own panels of B, a
 * bounded number at a time into its own area — no barrier, no copy, bytes written by one thread are never touched by
 * another. Every output element is computed by the same code whatever the thread count, so results do not depend on
 * it.
 *
 * Threads (Node): as many as the wasm backend's XNNPACK pool (`getThreadsCount()`), the caller included. The
 * `threads − 1` workers (`node:worker_threads`) are started the first time a GEMM is large enough; until they report
 * ready, GEMMs run on the calling thread alone. They sleep in `Atomics.wait` between calls, and so does the calling
 * thread while it waits for them; they never keep the process alive. A worker that cannot start leaves the kernel
 * single-threaded; a worker whose call throws makes that GEMM throw and turns the workers off. Browsers: with
 * threads every GEMM stays on XNNPACK (the kernel with a Blob worker measured slower there, see `bind`); a
 * single-threaded backend (no shared memory: a page that is not cross-origin isolated) runs the kernel on the
 * calling thread.
 */
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BatchedGemm } from './batched_gemm.js';
import { PLAIN_WASM, SHARED_WASM } from './batched_gemm_wasm.js';
import { type HeapKernel, type HeapModuleSource, heapKernel, heapScratch } from './heap_module.js';
import type { WasmBackend } from './wasm_internals.js';

/** `gemm_panels(a, ras, cas, b, rbs, cbs, c, m, k, n, pack, p0, p1, np)`; pointers are heap byte offsets. */
type PanelsExport = (
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
  p0: number,
  p1: number,
  np: number,
) => void;

/**
 * The parallel kernel bound to one Emscripten module: `gemm` as {@link BatchedGemm}'s (`C[M, N] = op(A) · op(B)`,
 * heap byte offsets, strides in floats), split over the threads.
 */
export interface ParallelGemm extends BatchedGemm {
  /** Threads a call uses now: 1 + the workers that are ready. */
  threads(): number;
  /** Threads it is configured for: the backend's count (in browsers the kernel exists only with 1). */
  readonly configured: number;
}

const SOURCE: HeapModuleSource = { name: 'batched_gemm', plain: PLAIN_WASM, shared: SHARED_WASM };

// Control block (Int32 slots of a SharedArrayBuffer): generation, pending workers, error flag, the call's 10
// shared arguments and the panels packed at a time, then per worker: ready flag, p0, p1, the generation its
// range is for, and its own pack area. A worker acts on a
// generation only when its slot names it: main stores arguments and ranges, then the slot's generation
// (atomic), then bumps GEN — a worker that sees the generation sees the arguments written before it.
const GEN = 0;
const PENDING = 1;
const ERROR = 2;
const ARGS = 3;
const WORKER = 16;
const SLOT = 5;

/**
 * The worker's whole program (a Node `eval` worker, CommonJS). It
 * instantiates the kernel on the shared heap, marks itself ready, and runs its panel range on every
 * generation in which it was given one.
 */
const WORKER_SOURCE = `"use strict";
function start(d) {
  const ctl = new Int32Array(d.ctl);
  const f = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports.gemm_panels;
  const s = ${WORKER} + ${SLOT} * d.index;
  let gen = Atomics.load(ctl, ${GEN});
  Atomics.store(ctl, s, 1);
  for (;;) {
    Atomics.wait(ctl, ${GEN}, gen);
    const g = Atomics.load(ctl, ${GEN});
    if (g === gen) continue;
    gen = g;
    if (Atomics.load(ctl, s + 3) !== g) continue;
    const p0 = ctl[s + 1], p1 = ctl[s + 2];
    try {
      const a = ${ARGS};
      f(ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[a + 7], ctl[a + 8],
        ctl[a + 9], ctl[s + 4], p0, p1, ctl[a + 10]);
    } catch (e) {
      Atomics.store(ctl, ${ERROR}, 1);
    }
    if (Atomics.sub(ctl, ${PENDING}, 1) === 1) Atomics.notify(ctl, ${PENDING});
  }
}
start(require("node:worker_threads").workerData);
`;

/**
 * Bytes of packed B per thread at a time (panels are packed and used this many at a time): bounded scratch,
 * whatever the size of B — the paper-size model trains with the 4 GiB wasm heap nearly full.
 */
let PACK_BYTES = 2 * 1024 * 1024;

/** Test hook: set the bytes of packed B per thread at a time (1 → one panel at a time); returns the previous. */
export function _setParallelGemmPackBytes(bytes: number): number {
  const prev = PACK_BYTES;
  PACK_BYTES = bytes;
  return prev;
}

/** How long the calling thread waits for workers after its own share before giving up on them. */
const WORKER_TIMEOUT_MS = 120_000;

interface Pool {
  ctl: Int32Array;
  size: number;
  dead: boolean;
}

interface NodeWorker {
  unref(): void;
  on(event: string, cb: (e: unknown) => void): void;
}
interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node !== undefined ? p : undefined;
}

/** Start `size` workers on `kernel`'s module and memory; `undefined` when this engine cannot. */
function startPool(kernel: HeapKernel, size: number): Pool | undefined {
  if (size < 1 || typeof SharedArrayBuffer === 'undefined') return undefined;
  if (!(kernel.memory.buffer instanceof SharedArrayBuffer)) return undefined;
  const ctl = new Int32Array(new SharedArrayBuffer(4 * (WORKER + SLOT * size)));
  const pool: Pool = { ctl, size, dead: false };
  const data = (index: number) => ({ ctl: ctl.buffer, module: kernel.module, memory: kernel.memory, index });
  const wt = nodeProcess()?.getBuiltinModule?.('node:worker_threads') as
    | { Worker: new (src: string, o: object) => NodeWorker }
    | undefined;
  if (wt === undefined) return undefined; // a browser, or Node < 20.16: no synchronous way to reach worker_threads
  try {
    for (let i = 0; i < size; i++) {
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data(i) });
      w.on('error', () => {
        pool.dead = true;
      });
      w.unref(); // a sleeping worker must not keep the process alive
    }
    return pool;
  } catch {
    return undefined;
  }
}

/** The thread count for a heap's workers: the backend's (what `initBackend({ threads })` gave XNNPACK). */
function threadCount(): number {
  try {
    return Math.max(1, getThreadsCount());
  } catch {
    return 1;
  }
}

const bound = new WeakMap<object, ParallelGemm | null>();
let CALLS = 0;

/** Test hook: how many GEMMs the parallel kernel has run in this process. */
export function _parallelGemmCalls(): number {
  return CALLS;
}

function bind(backend: WasmBackend): ParallelGemm | null {
  // Browsers: measured in Chromium 150 (CLIP text tower, 2 threads), the kernel with a Blob worker took 6.4 s on
  // a page's main thread (which cannot block; it spins) and 4.3 s in a module Worker, where XNNPACK's own thread
  // pool took 3.1–3.3 s; in a probe of back-to-back products the worker did not help at all (cause not found).
  // So in a browser with threads XNNPACK runs every GEMM; single-threaded (a page that is not cross-origin
  // isolated) the kernel runs on the calling thread, faster than XNNPACK there (4.2 vs 5.3 s).
  if (nodeProcess() === undefined && threadCount() > 1) return null;
  const kernel = heapKernel(backend, SOURCE);
  if (kernel === undefined) return null;
  const run = kernel.instance.exports.gemm_panels as PanelsExport;
  const pack = heapScratch(backend, 'parallel GEMM packing');
  let pool: Pool | undefined;
  let tried = false;

  function readyWorkers(): number[] {
    if (!tried) {
      tried = true;
      const threads = threadCount();
      if (threads > 1) pool = startPool(kernel!, threads - 1);
    }
    if (pool === undefined || pool.dead) return [];
    const out: number[] = [];
    for (let i = 0; i < pool.size; i++) if (Atomics.load(pool.ctl, WORKER + SLOT * i) === 1) out.push(i);
    return out;
  }

  function waitFor(p: Pool): void {
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    let spins = 0;
    for (;;) {
      const left = Atomics.load(p.ctl, PENDING);
      if (left === 0) return;
      if (Date.now() > deadline) {
        p.dead = true;
        throw new Error(
          `parallel GEMM (wasm, @pir/runtime): ${left} worker thread(s) did not finish within ${WORKER_TIMEOUT_MS / 1000} s; workers turned off (initBackend({ threads: 1 }) avoids them)`,
        );
      }
      if (++spins > 2000) Atomics.wait(p.ctl, PENDING, left, 50);
    }
  }

  return {
    configured: threadCount(),
    threads: () => 1 + readyWorkers().length,
    gemm(a, ras, cas, b, rbs, cbs, c, m, k, n) {
      CALLS++;
      const panels = (n + 7) >> 3;
      const workers = panels >= 2 ? readyWorkers() : [];
      const used = Math.min(workers.length, panels - 1);
      const share = panels / (used + 1);
      // panels packed at a time per thread, and each thread's pack area
      const np = Math.max(1, Math.min(Math.ceil(share), Math.floor(PACK_BYTES / (k * 32))));
      const area = k * np * 32;
      const packOff = pack.ensure(area * (used + 1));
      if (used === 0 || pool === undefined) {
        run(a, ras, cas, b, rbs, cbs, c, m, k, n, packOff, 0, panels, np);
        return;
      }
      const p = pool;
      const ctl = p.ctl;
      const args = [a, ras, cas, b, rbs, cbs, c, m, k, n, np];
      for (let i = 0; i < args.length; i++) ctl[ARGS + i] = args[i]!;
      for (let w = 0; w < used; w++) {
        const s = WORKER + SLOT * workers[w]!;
        ctl[s + 1] = Math.round(share * (w + 1));
        ctl[s + 2] = Math.round(share * (w + 2));
        ctl[s + 4] = packOff + area * (w + 1);
      }
      Atomics.store(ctl, ERROR, 0);
      Atomics.store(ctl, PENDING, used);
      const gen = (Atomics.load(ctl, GEN) + 1) | 0;
      for (let w = 0; w < used; w++) Atomics.store(ctl, WORKER + SLOT * workers[w]! + 3, gen);
      Atomics.store(ctl, GEN, gen);
      Atomics.notify(ctl, GEN);
      let mine: unknown;
      try {
        run(a, ras, cas, b, rbs, cbs, c, m, k, n, packOff, 0, Math.round(share), np);
      } catch (e) {
        mine = e;
      }
      waitFor(p); // even when our share threw: the workers are still writing into the heap
      if (Atomics.load(ctl, ERROR) !== 0) {
        p.dead = true;
        if (mine === undefined) {
          throw new Error(
            'parallel GEMM (wasm, @pir/runtime): a worker thread failed (out-of-bounds heap access?); workers turned off',
          );
        }
      }
      if (mine !== undefined) throw mine;
    },
  };
}

/** The parallel kernel on `backend`'s heap, or `undefined` when the kernel module cannot run there. */
export function parallelGemmFor(backend: WasmBackend): ParallelGemm | undefined {
  let g = bound.get(backend.wasm);
  if (g === undefined) {
    g = bind(backend);
    bound.set(backend.wasm, g);
  }
  return g ?? undefined;
}
