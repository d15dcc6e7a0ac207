/**
 * `initBackend`: choose, prepare and report a TensorFlow.js backend.
 *
 * | environment | backends (in `'auto'` preference order)              | default |
 * |-------------|------------------------------------------------------|---------|
 * | Node        | `tensorflow` (if tfjs-node[-gpu] is installed), `webgpu` (npm `webgpu`/Dawn, if an adapter exists), `wasm`, `cpu` | `wasm` |
 * | browser     | `webgpu` (if an adapter exists), `wasm`, `webgl`, `cpu` | `wasm` |
 *
 * An explicit choice that cannot be honoured throws a {@link BackendUnavailableError} that says why — it never
 * falls back silently. `'auto'` tries the list in order and records why each skipped backend was skipped.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { detectEnvironment, type Environment, importOptional, logicalCores } from './environment.js';
import { PirError } from './errors.js';
import { setCachePackedWeights, setParallelGemm } from './kernels/batch_mat_mul.js';
import { setWinogradConv } from './kernels/conv_winograd.js';
import { repairWasmKernels } from './kernels/index.js';
import { setGlobalSeed } from './rng.js';
import { setupWasm } from './wasm/setup.js';

/** Backends `initBackend` knows. `tensorflow` is the native binding of `@tensorflow/tfjs-node(-gpu)`. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'webgl' | 'cpu';

export interface InitBackendOptions {
  /** Which backend; `'auto'` picks the best available (see the table above). Default `'wasm'`. */
  backend?: BackendName | 'auto';
  /**
   * wasm worker threads. Default: all logical cores in Node; in the browser all cores when the page is
   * cross-origin isolated (COOP/COEP headers), else 1. `1` disables threading.
   */
  threads?: number;
  /** Use wasm SIMD (default `true`; every current engine has it). */
  simd?: boolean;
  /** Where the wasm binaries are served from (browser bundles): a URL prefix or a file → URL map. */
  wasmPaths?: string | Record<string, string>;
  /** Register the `@pir/runtime` kernel repairs on wasm (fast transposed/batched matMul, missing kernels). Default `true`. */
  repairKernels?: boolean;
  /**
   * wasm: run 3 × 3 stride-1 convolutions with Winograd F(4×4, 3×3) (4× fewer multiply-adds, float32 rounding
   * ≈ 1e-6 relative; see `kernels/conv_winograd.ts`). Needs `repairKernels`. Default `true`.
   */
  winograd?: boolean;
  /**
   * wasm: run products of ≥ 64 rows (linear layers, Winograd's GEMMs, matMul gradients) on `@pir/runtime`'s
   * SIMD GEMM split over the backend's threads instead of XNNPACK (≈ 1.1–2× faster; results bitwise the same
   * for any thread count; see `kernels/parallel_gemm.ts`). Needs `repairKernels`. Default `true`; `false` keeps
   * XNNPACK for every GEMM.
   */
  parallelGemm?: boolean;
  /**
   * wasm: keep XNNPACK's packed copy of each GEMM weight matrix between calls (default `true`: fastest
   * inference and training of models that fit twice in the heap). `false` packs the weights for each call
   * and drops them after it: no second copy of every weight matrix in the 4 GiB wasm heap, at the cost of one
   * packing per GEMM — set it to train large models (the paper-size PIR-ITR). Needs `repairKernels`.
   */
  cachePackedWeights?: boolean;
  /** Prefer the GPU for tfjs-node: `'tensorflow'` loads `@tensorflow/tfjs-node-gpu` first. Default `true`. */
  preferGpu?: boolean;
  /** WebGPU adapter request options (power preference) and, in Node, Dawn toggles passed to `webgpu.create`. */
  webgpu?: { powerPreference?: 'low-power' | 'high-performance'; dawnOptions?: string[] };
  /** Seed for the process-wide {@link Rng} (`getGlobalRng()`); left unchanged when omitted. */
  seed?: number | string;
}

/** What `initBackend` chose. */
export interface BackendInfo {
  /** The active backend. */
  name: BackendName;
  environment: Environment;
  /** wasm: whether the SIMD binary runs. */
  simd?: boolean;
  /** wasm: worker threads in use (1 = single-threaded). */
  threads?: number;
  /** webgpu: adapter description (vendor, architecture, device, description), as far as the adapter tells. */
  adapter?: { vendor: string; architecture: string; device: string; description: string };
  /** tensorflow: which binding was loaded. */
  binding?: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
  /** Kernels `@pir/runtime` registered for this backend. */
  repairedKernels: string[];
  /** With `'auto'`: the backends tried before this one and why each was unavailable. */
  skipped: { name: BackendName; reason: string }[];
}

/** An explicitly requested backend could not be used. `reason` says why and what to do. */
export class BackendUnavailableError extends PirError {
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
  ) {
    super('initBackend', 'backend', `initBackend: backend '${backend}' is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

const NODE_ORDER: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
const BROWSER_ORDER: BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

let current: BackendInfo | undefined;

/** The info of the last successful {@link initBackend}, or undefined before it ran. */
export function backendInfo(): BackendInfo | undefined {
  return current !== undefined && tf.getBackend() === current.name ? current : undefined;
}

/**
 * Choose and initialise a backend; resolves once `tf.ready()` has.
 *
 * @example
 * ```ts
 * const info = await initBackend();              // wasm, SIMD, threads = cores (Node)
 * // { name: 'wasm', environment: 'node', simd: true, threads: 2, repairedKernels: ['BatchMatMul', …], skipped: [] }
 * await initBackend({ backend: 'auto' });       // tensorflow → webgpu → wasm → cpu
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const environment = detectEnvironment();
  const requested = options.backend ?? 'wasm';
  if (options.seed !== undefined) {
    try {
      setGlobalSeed(options.seed);
    } catch (e) {
      throw new PirError(
        'initBackend',
        'seed',
        `initBackend: seed must be a finite integer or a string, got ${String(options.seed)}`,
        { cause: e },
      );
    }
  }

  const order = environment === 'node' ? NODE_ORDER : BROWSER_ORDER;
  if (requested !== 'auto' && !order.includes(requested)) {
    const known = [...NODE_ORDER, ...BROWSER_ORDER];
    const reason = known.includes(requested)
      ? `it does not run in ${environment === 'node' ? 'Node' : 'the browser'}; choose one of ${order.join(', ')}`
      : `unknown backend name; choose one of ${order.join(', ')} or 'auto'`;
    throw new BackendUnavailableError(requested, reason);
  }

  const candidates = requested === 'auto' ? order : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of candidates) {
    try {
      const info = await prepare(name, environment, options, requested === 'auto');
      info.skipped = skipped;
      current = info;
      return info;
    } catch (err) {
      const reason =
        err instanceof BackendUnavailableError ? err.reason : String((err as Error)?.message ?? err);
      if (requested !== 'auto') {
        throw err instanceof BackendUnavailableError ? err : new BackendUnavailableError(name, reason);
      }
      skipped.push({ name, reason });
    }
  }
  throw new BackendUnavailableError(
    'cpu',
    `no backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

async function prepare(
  name: BackendName,
  env: Environment,
  opts: InitBackendOptions,
  auto: boolean,
): Promise<BackendInfo> {
  const info: BackendInfo = { name, environment: env, repairedKernels: [], skipped: [] };
  switch (name) {
    case 'cpu': {
      await activate('cpu');
      // The cpu backend greets Node users with "install tfjs-node to speed things up" on first use; the choice
      // of backend is made (and reported) here, so the banner is noise.
      const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
      if (cpu !== null) cpu.firstUse = false;
      return info;
    }
    case 'wasm': {
      const cores = await logicalCores();
      const isolated =
        env === 'node' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
      const threads = opts.threads ?? (isolated ? cores : 1);
      if (!Number.isInteger(threads) || threads < 1) {
        throw new BackendUnavailableError('wasm', `threads must be a positive integer, got ${opts.threads}`);
      }
      if (threads > 1 && !isolated) {
        throw new BackendUnavailableError(
          'wasm',
          `threads=${threads} needs a cross-origin isolated page (serve it with "Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"), or pass threads: 1`,
        );
      }
      // Look at the engine's registry directly: tf.findBackend('wasm') would start initialising wasm with
      // default flags before setupWasm could set threads and SIMD.
      const engine = tf.engine() as unknown as {
        registry: Record<string, unknown>;
        backendName: string | null;
      };
      const active = engine.registry.wasm !== undefined && engine.backendName === 'wasm';
      const setup = await setupWasm({
        threads,
        simd: opts.simd ?? true,
        ...(opts.wasmPaths !== undefined ? { wasmPaths: opts.wasmPaths } : {}),
      });
      if (!active) await activate('wasm');
      info.simd = setup.simd;
      info.threads = setup.threads;
      setWinogradConv(opts.winograd !== false);
      setCachePackedWeights(opts.cachePackedWeights !== false);
      setParallelGemm(opts.parallelGemm !== false);
      info.repairedKernels = opts.repairKernels === false ? [] : repairWasmKernels();
      return info;
    }
    case 'webgl':
      await ensureBackendModule('webgl', '@tensorflow/tfjs-backend-webgl');
      await activate('webgl');
      return info;
    case 'webgpu': {
      const gpu = await findWebGpu(env, opts);
      const adapter = await gpu.requestAdapter(
        opts.webgpu?.powerPreference ? { powerPreference: opts.webgpu.powerPreference } : undefined,
      );
      if (adapter === null || adapter === undefined) {
        throw new BackendUnavailableError(
          'webgpu',
          env === 'node'
            ? 'Dawn found no GPU adapter (Linux: install libvulkan1 and a Vulkan driver; for software rendering set VK_ICD_FILENAMES to SwiftShader’s vk_swiftshader_icd.json)'
            : 'navigator.gpu.requestAdapter() returned null (WebGPU disabled or no supported GPU)',
        );
      }
      const a = (adapter as { info?: Record<string, string> }).info ?? {};
      info.adapter = {
        vendor: a.vendor ?? '',
        architecture: a.architecture ?? '',
        device: a.device ?? '',
        description: a.description ?? '',
      };
      // A software adapter (SwiftShader, a fallback adapter) is far slower than wasm: 'auto' passes it over;
      // asking for 'webgpu' by name still gets it (useful for correctness tests without a GPU).
      if (auto && isSoftwareAdapter(adapter, info.adapter)) {
        throw new BackendUnavailableError(
          'webgpu',
          `only a software adapter is available (${info.adapter.architecture || info.adapter.description || 'fallback'}), slower than wasm`,
        );
      }
      await ensureBackendModule('webgpu', '@tensorflow/tfjs-backend-webgpu');
      await activate('webgpu');
      return info;
    }
    case 'tensorflow': {
      if (env !== 'node') throw new BackendUnavailableError('tensorflow', 'tfjs-node needs Node.js');
      const bindings =
        opts.preferGpu === false
          ? (['@tensorflow/tfjs-node'] as const)
          : (['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const);
      const errors: string[] = [];
      for (const b of bindings) {
        try {
          await importOptional(b);
          info.binding = b;
          break;
        } catch (e) {
          errors.push(`${b}: ${firstLine((e as Error).message)}`);
        }
      }
      if (info.binding === undefined) {
        throw new BackendUnavailableError(
          'tensorflow',
          `neither binding could be loaded (${errors.join('; ')}). Install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu (their install downloads libtensorflow), or choose 'wasm'`,
        );
      }
      await activate('tensorflow');
      return info;
    }
  }
}

/**
 * Make sure the tfjs backend package is loaded. A backend the app already imported (the usual way in a
 * browser bundle: `import '@tensorflow/tfjs-backend-webgpu'`) is used as is; otherwise it is imported by name,
 * which works in Node and wherever bare specifiers resolve (import maps).
 */
async function ensureBackendModule(name: BackendName, pkg: string): Promise<void> {
  if (tf.findBackendFactory(name) !== null) return;
  try {
    await importOptional(pkg);
  } catch (e) {
    throw new BackendUnavailableError(
      name,
      `${pkg} is not loaded: install it (npm i ${pkg}) and import it once in your app (import '${pkg}') before initBackend — ${firstLine((e as Error).message)}`,
    );
  }
  if (tf.findBackendFactory(name) === null) {
    throw new BackendUnavailableError(
      name,
      `${pkg} was imported but registered no '${name}' backend (version mismatch with @tensorflow/tfjs-core?)`,
    );
  }
}

function isSoftwareAdapter(adapter: unknown, a: NonNullable<BackendInfo['adapter']>): boolean {
  if ((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true) return true;
  if ((adapter as { info?: { isFallbackAdapter?: boolean } }).info?.isFallbackAdapter === true) return true;
  return /swiftshader|llvmpipe|lavapipe|software/i.test(`${a.architecture} ${a.device} ${a.description}`);
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<unknown>;
}

async function findWebGpu(env: Environment, opts: InitBackendOptions): Promise<GpuLike> {
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  if (g.navigator?.gpu !== undefined) return g.navigator.gpu;
  if (env === 'browser') {
    throw new BackendUnavailableError(
      'webgpu',
      'navigator.gpu is undefined: this browser has no WebGPU (Chromium: enable it or serve over https/localhost)',
    );
  }
  let dawn: { create: (o: string[]) => GpuLike; globals: Record<string, unknown> };
  try {
    dawn = await importOptional('webgpu');
  } catch (e) {
    throw new BackendUnavailableError(
      'webgpu',
      `WebGPU in Node needs the optional package 'webgpu' (Dawn): npm i webgpu (${firstLine((e as Error).message)})`,
    );
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(opts.webgpu?.dawnOptions ?? []);
  // tfjs-backend-webgpu looks the GPU up on navigator.gpu
  const nav = (g.navigator ?? {}) as { gpu?: GpuLike };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  }
  try {
    nav.gpu = gpu;
  } catch {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  }
  return gpu;
}

async function activate(name: BackendName): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new BackendUnavailableError(name, `initialisation failed: ${firstLine((e as Error).message)}`);
  }
  if (!ok) {
    throw new BackendUnavailableError(
      name,
      'initialisation failed (tf.setBackend returned false; see the warning above)',
    );
  }
  await tf.ready();
}

function firstLine(s: string): string {
  return String(s).split('\n')[0] ?? '';
}
