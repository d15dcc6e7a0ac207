/**
 * Preparing the wasm backend before `tf.setBackend('wasm')`: binary paths, SIMD and threads.
 *
 * Threads in Node (tfjs-backend-wasm 4.22): tfjs sets `WASM_HAS_MULTITHREAD_SUPPORT` to false under Node, and
 * when forced on, Emscripten's pthread pool fails to start because tfjs hands it a `blob:` URL for the worker
 * script (`ERR_WORKER_PATH`: Node workers take a file path) and a `Blob` for the main script (which the
 * worker's `importScripts` cannot read either). {@link setupWasm} writes both scripts once to a cache folder
 * under the OS temp dir and installs a `Worker` (read by Emscripten from `globalThis.Worker`) that swaps the
 * blobs for those paths. Results match the single-threaded backend and `cpu`.
 *
 * In the browser, threads need a cross-origin-isolated page (`SharedArrayBuffer`); `initBackend` refuses
 * `threads > 1` elsewhere. tfjs caps threads at half the logical cores unless told: the count asked for is
 * passed to `setThreadsCount`.
 */
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { detectEnvironment, importOptional } from '../environment.js';
import { PirError } from '../errors.js';

export interface WasmSetupOptions {
  /** Worker threads for XNNPACK; 1 disables threading. */
  threads: number;
  /** Use the SIMD binary when the engine supports it. */
  simd: boolean;
  /** Where the `.wasm` binaries are served from (browser bundles); a prefix or a map per file. */
  wasmPaths?: string | Record<string, string>;
}

export interface WasmSetupResult {
  /** Whether the SIMD binary runs. */
  simd: boolean;
  /** XNNPACK threads the backend really uses (1 = single-threaded). */
  threads: number;
}

/** What this module configured for the (single) wasm backend initialisation of this realm. */
let configured: { simd: boolean; threaded: boolean } | undefined;

/**
 * Configure flags and paths for the wasm backend and initialise it (so that the state returned is the real
 * one); in Node with `threads > 1`, make its pthread workers start. `initBackend` then only activates it.
 * If the backend was already initialised and used earlier in the process, nothing changes and the state
 * it actually has is returned. Throws if the backend cannot be initialised at all.
 *
 * @returns `{ simd, threads }` of the initialised backend (`threads` as reported by XNNPACK's threadpool).
 */
export async function setupWasm(opts: WasmSetupOptions): Promise<WasmSetupResult> {
  if (!Number.isInteger(opts.threads) || opts.threads < 1) {
    throw new PirError(
      'setupWasm',
      'threads',
      `setupWasm: threads must be a positive integer, got ${opts.threads}`,
    );
  }
  const simd = opts.simd && (await engineHasSimd());
  let threaded = opts.threads > 1 && simd; // tfjs only ships a threaded build with SIMD
  if (threaded && detectEnvironment() === 'node') {
    threaded = await prepareNodeThreads();
  }
  const wantThreads = threaded ? opts.threads : 1;

  // `tf.findBackend('wasm')` *starts* initialising the backend with whatever flags are set (initBackend's
  // "already active?" probe does that), so the state is read from the engine's registries, after any
  // pending initialisation has settled.
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.registry.wasm === undefined && engine.pendingBackendInit != null) {
    await engine.pendingBackendInit.catch(() => false);
  }
  const entry = engine.registryFactory.wasm;
  if (entry === undefined) {
    throw new PirError(
      'setupWasm',
      '',
      'setupWasm: no wasm backend registered (import @tensorflow/tfjs-backend-wasm first)',
    );
  }
  const live = engine.registry.wasm as { numDataIds?: () => number } | undefined;
  if (live !== undefined) {
    const inUse = engine.backendName === 'wasm' || (live.numDataIds?.() ?? 0) > 0;
    const actual = actualState();
    if (inUse || (actual.threads === wantThreads && actual.simd === simd)) return actual;
    // Initialised with other flags but never used (e.g. by such a probe): start over so the flags count.
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', entry.factory, entry.priority);
  }

  if (opts.wasmPaths !== undefined) {
    // tfjs types only the string form; the map form is accepted at runtime.
    setWasmPaths(opts.wasmPaths as string);
  }
  let ok = await initialise(engine, simd, threaded, wantThreads);
  if (!ok && threaded) {
    console.warn(`@pir/runtime: the threaded wasm backend failed to initialise; retrying with 1 thread`);
    threaded = false;
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', entry.factory, entry.priority);
    ok = await initialise(engine, simd, false, 1);
  }
  if (!ok) {
    throw new PirError(
      'setupWasm',
      opts.wasmPaths === undefined ? '' : 'wasmPaths',
      `setupWasm: the wasm backend failed to initialise (simd=${simd}); check that its .wasm binaries are reachable${opts.wasmPaths === undefined ? ' (bundles need wasmPaths)' : ''}`,
    );
  }
  return actualState();
}

/**
 * Set the flags and initialise the registered (not yet initialised) wasm backend. XNNPACK caps its pool at
 * half the logical cores that Emscripten reports (Node: `os.cpus()`, browser: `hardwareConcurrency`) even
 * when told more with `setThreadsCount`; the report is raised to `2 × threads` while the module starts.
 */
async function initialise(
  engine: EngineInternals,
  simd: boolean,
  threaded: boolean,
  threads: number,
): Promise<boolean> {
  tf.env().set('WASM_HAS_SIMD_SUPPORT', simd);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
  setThreadsCount(threads);
  configured = { simd, threaded };
  const restore = threaded ? await reportCores(2 * threads) : () => {};
  try {
    tf.findBackend('wasm'); // starts the initialisation
    if (engine.pendingBackendInit != null) await engine.pendingBackendInit.catch(() => false);
  } finally {
    restore();
  }
  if (threaded) releasePool();
  return engine.registry.wasm !== undefined;
}

/** Make Emscripten's logical-core query return `n` until the returned function is called. */
async function reportCores(n: number): Promise<() => void> {
  if (detectEnvironment() === 'node') {
    const os = await importOptional<{ default?: { cpus: () => unknown[] } }>('node:os');
    const mod = os.default;
    if (mod === undefined) return () => {};
    const original = mod.cpus;
    const real = original.call(mod);
    if (real.length >= n) return () => {};
    mod.cpus = () => Array.from({ length: n }, (_, i) => real[i % real.length]);
    return () => {
      mod.cpus = original;
    };
  }
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav === undefined) return () => {};
  const real = (nav as { hardwareConcurrency?: number }).hardwareConcurrency ?? 1;
  if (real >= n) return () => {};
  Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => n });
  return () => {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}

/** The parts of tfjs's `Engine` read here (public fields, untyped in the .d.ts). */
interface EngineInternals {
  registry: Record<string, unknown>;
  registryFactory: Record<
    string,
    { factory: () => tf.KernelBackend | Promise<tf.KernelBackend>; priority: number }
  >;
  pendingBackendInit: Promise<boolean> | null;
  backendName: string | null;
}

/** SIMD/thread state of an initialised wasm backend. */
function actualState(): WasmSetupResult {
  let threads = 1;
  try {
    threads = getThreadsCount();
  } catch {
    // not initialised through tfjs's constructor (should not happen): keep 1
  }
  const simd = configured?.simd ?? tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  return { simd, threads: Math.max(1, threads) };
}

async function engineHasSimd(): Promise<boolean> {
  try {
    return (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  } catch {
    return false;
  }
}

// --- Node pthreads ----------------------------------------------------------------------------------------

type NodeWorkerCtor = new (
  file: string | URL,
  options?: Record<string, unknown>,
) => {
  postMessage(msg: unknown, transfer?: unknown): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  unref?(): void;
};

let nodeThreadsReady: Promise<boolean> | undefined;
/** pthread workers created through the installed `Worker`. */
const poolWorkers: { unref?(): void }[] = [];
let poolStarted = false;

/**
 * Let idle pool workers stop keeping the process alive (Emscripten never unrefs them, so a script that
 * initialised threaded wasm would never exit). Only after the module has started: until then the pending
 * 'loaded' messages are all that keeps the event loop, and the initialisation, going.
 */
function releasePool(): void {
  poolStarted = true;
  for (const w of poolWorkers) w.unref?.();
}

/**
 * Write the worker and main scripts of the threaded build to `<tmp>/pir-tfjs-wasm-<version>/` (once; atomic
 * renames, so concurrent processes are safe) and install the path-swapping `Worker`. Resolves false (and
 * warns) if anything is missing, so that the caller falls back to one thread instead of failing.
 */
function prepareNodeThreads(): Promise<boolean> {
  nodeThreadsReady ??= (async () => {
    try {
      const fs = await importOptional<typeof import('node:fs')>('node:fs');
      const os = await importOptional<typeof import('node:os')>('node:os');
      const path = await importOptional<typeof import('node:path')>('node:path');
      const wt = await importOptional<typeof import('node:worker_threads')>('node:worker_threads');
      const workerMod = await importOptional<{
        wasmWorkerContents?: string;
        default?: { wasmWorkerContents?: string };
      }>('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
      const mainMod = await importOptional<{ default?: unknown }>(
        '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
      );
      const workerSrc = workerMod.wasmWorkerContents ?? workerMod.default?.wasmWorkerContents;
      const factory = mainMod.default;
      if (typeof workerSrc !== 'string' || typeof factory !== 'function') {
        throw new Error('tfjs-backend-wasm/wasm-out no longer exports the threaded worker/factory');
      }
      const { version_wasm: version } = await import('@tensorflow/tfjs-backend-wasm');
      const dir = path.join(os.tmpdir(), `pir-tfjs-wasm-${version}`);
      fs.mkdirSync(dir, { recursive: true });
      const write = (name: string, text: string): string => {
        const file = path.join(dir, name);
        const exists = fs.existsSync(file) && fs.statSync(file).size === Buffer.byteLength(text);
        if (!exists) {
          const tmp = `${file}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, text);
          fs.renameSync(tmp, file);
        }
        return file;
      };
      // tfjs escapes newlines the same way before making its Blob (string literals in the worker source).
      const workerPath = write('threaded-simd.worker.js', workerSrc.replace(/\n/g, '\\n'));
      const mainPath = write(
        'threaded-simd.main.js',
        `var WasmBackendModuleThreadedSimd = ${(factory as () => unknown).toString()}`,
      );
      installWorker(wt.Worker as unknown as NodeWorkerCtor, workerPath, mainPath);
      return true;
    } catch (e) {
      console.warn(
        `@pir/runtime: wasm threads unavailable in Node, using 1 thread (${(e as Error)?.message ?? String(e)})`,
      );
      return false;
    }
  })();
  return nodeThreadsReady;
}

/**
 * Emscripten assigns `global.Worker = require('worker_threads').Worker` when its module starts; the accessor
 * keeps ours in place, which swaps tfjs's `blob:` worker URL and main-script `Blob` for the file paths.
 */
function installWorker(Base: NodeWorkerCtor, workerPath: string, mainPath: string): void {
  class PathWorker extends Base {
    constructor(file: string | URL, options?: Record<string, unknown>) {
      const f = typeof file === 'string' && file.startsWith('blob:') ? workerPath : file;
      super(f, options);
      poolWorkers.push(this);
    }
    override postMessage(msg: unknown, transfer?: unknown): void {
      const m = msg as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m !== null && typeof m === 'object' && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') {
        super.postMessage({ ...m, urlOrBlob: mainPath }, transfer);
        return;
      }
      super.postMessage(msg, transfer);
    }
    // Each listener Emscripten adds re-refs the worker's port: keep it unref'd once the pool has started.
    override on(event: string, listener: (...args: unknown[]) => void): unknown {
      const r = super.on(event, listener);
      if (poolStarted) this.unref?.();
      return r;
    }
  }
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => PathWorker,
    set: () => {
      // ignore Emscripten's `global.Worker = nodeWorkerThreads.Worker`
    },
  });
}
