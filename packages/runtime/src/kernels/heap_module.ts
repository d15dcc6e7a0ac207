/**
 * Instantiate one of the hand-written kernel modules of `tools/wasm-kernels` on tfjs-backend-wasm's own heap:
 * each module imports the Emscripten module's `WebAssembly.Memory` as `env.memory`, so it reads operands and
 * writes results in place, with no copies and no per-call setup.
 *
 * The memory is found as `asm.memory` (single-threaded build, exported) or `wasmMemory` (threaded build,
 * shared and imported by the Emscripten module); the matching variant (plain / `shared` import) is chosen by
 * the buffer type. When neither is found, or compiling or instantiating fails (e.g. a browser that refuses
 * synchronous compilation of the module on its main thread), {@link heapInstance} returns `undefined` and the
 * caller keeps its stock path.
 */
import type { WasmBackend } from './wasm_internals.js';

/** A kernel module: its base64 builds for plain and shared memory. */
export interface HeapModuleSource {
  /** Name for caching (one compiled module per name and memory kind). */
  name: string;
  plain: string;
  shared: string;
}

interface EmscriptenMemoryHolder {
  wasmMemory?: unknown;
  asm?: { memory?: unknown };
}

const compiled = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<object, Map<string, HeapKernel | null>>();

function decode(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob !== 'function') {
    throw new Error('wasm kernels: no base64 decoder (atob) in this JavaScript engine');
  }
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
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

/** A kernel module instantiated on a tfjs heap, with what another thread needs to instantiate it too. */
export interface HeapKernel {
  instance: WebAssembly.Instance;
  /** The compiled module (the `shared` variant when `memory` is shared). */
  module: WebAssembly.Module;
  /** tfjs's heap. */
  memory: WebAssembly.Memory;
}

function instantiate(backend: WasmBackend, src: HeapModuleSource): HeapKernel | null {
  const memory = memoryOf(backend);
  if (memory === undefined) return null;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const key = `${src.name}:${shared ? 'shared' : 'plain'}`;
  try {
    let mod = compiled.get(key);
    if (mod === undefined) {
      mod = new WebAssembly.Module(decode(shared ? src.shared : src.plain));
      compiled.set(key, mod);
    }
    return { instance: new WebAssembly.Instance(mod, { env: { memory } }), module: mod, memory };
  } catch {
    return null;
  }
}

/** The module `src` instantiated on `backend`'s heap (cached per Emscripten module), or `undefined`. */
export function heapInstance(backend: WasmBackend, src: HeapModuleSource): WebAssembly.Instance | undefined {
  return heapKernel(backend, src)?.instance;
}

/** {@link heapInstance} with its compiled module and the heap's memory (for worker threads), or `undefined`. */
export function heapKernel(backend: WasmBackend, src: HeapModuleSource): HeapKernel | undefined {
  let perModule = instances.get(backend.wasm);
  if (perModule === undefined) {
    perModule = new Map();
    instances.set(backend.wasm, perModule);
  }
  let inst = perModule.get(src.name);
  if (inst === undefined) {
    inst = instantiate(backend, src);
    perModule.set(src.name, inst);
  }
  return inst ?? undefined;
}

/**
 * A growable scratch block on the wasm heap, owned by one kernel binding: `ensure(bytes)` returns a 16-byte
 * aligned byte offset with at least `bytes` bytes (the previous block is freed when it grows).
 */
export function heapScratch(backend: WasmBackend, what: string): { ensure(bytes: number): number } {
  let ptr = 0;
  let size = 0;
  return {
    ensure(bytes) {
      if (bytes > size) {
        if (ptr !== 0) backend.wasm._free(ptr);
        size = Math.max(bytes, 2 * size, 1 << 12);
        ptr = backend.wasm._malloc(size);
        if (ptr === 0) {
          size = 0;
          throw new Error(`${what}: could not allocate ${bytes} bytes of scratch on the wasm heap`);
        }
      }
      return ptr;
    },
  };
}
