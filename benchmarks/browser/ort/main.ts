/**
 * The same three encoders (CLIP ViT-B/32, ResNet-50 with batch norm folded, as inference runs it; the CLIP text
 * tower), random weights, in one cross-origin-isolated page: onnxruntime-web's wasm engine (the
 * engine behind transformers.js, loaded from its own files as its docs advise for bundlers) on PyTorch's ONNX export, and `@pir/encoders` on `@pir/runtime`'s wasm
 * backend — both SIMD, the same number of threads; `@pir/*` on the page's main thread (`tfjs`) and in a module
 * Worker (`tfjs-worker`, as an app keeps a model off its UI thread). `window.bench(engine, model, reps)` answers
 * the median and min of `reps` timed runs after one warm-up, in ms.
 */
import type * as Ort from 'onnxruntime-web/wasm';
import { benchTfjs, ids, type ModelName, timed } from './tfjs_bench.js';

/** `tfjs`: `@pir/*` on the page's main thread; `tfjs-worker`: the same in a module Worker. */
type Engine = 'ort' | 'tfjs' | 'tfjs-worker';

const threads = Number(new URLSearchParams(location.search).get('threads') ?? '2');
/** `?parallelGemm=0`: every GEMM on XNNPACK (`initBackend({ parallelGemm: false })`), for A/B runs. */
const parallelGemm = new URLSearchParams(location.search).get('parallelGemm') !== '0';

async function benchOrt(model: ModelName, reps: number) {
  // onnxruntime-web as its own files (copied by the driver), not bundled: its thread workers load the module
  // they came from, which must not be this page's bundle
  const ort = (await import(
    /* @vite-ignore */ new URL('./ort/ort.wasm.min.mjs', location.href).href
  )) as typeof Ort;
  ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(`./models/${model}.onnx`, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const feeds =
    model !== 'clip_text'
      ? {
          pixels: new ort.Tensor(
            'float32',
            Float32Array.from({ length: 8 * 3 * 224 * 224 }, (_, i) => Math.sin(i)),
            [8, 3, 224, 224],
          ),
        }
      : {
          ids: new ort.Tensor(
            'int64',
            BigInt64Array.from(ids(), (v) => BigInt(v)),
            [32, 77],
          ),
        };
  const r = await timed(async () => {
    const out = await session.run(feeds);
    for (const t of Object.values(out)) t.dispose();
  }, reps);
  await session.release();
  return r;
}

/** `benchTfjs` in a fresh module Worker (one per call, like a fresh page). */
function inWorker(model: ModelName, reps: number): Promise<{ medianMs: number; minMs: number }> {
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise((ok, fail) => {
    w.onmessage = (e: MessageEvent<{ result?: { medianMs: number; minMs: number }; error?: string }>) => {
      w.terminate();
      if (e.data.result !== undefined) ok(e.data.result);
      else fail(new Error(e.data.error ?? 'worker failed'));
    };
    w.onerror = (e) => {
      w.terminate();
      fail(new Error(e.message));
    };
    w.postMessage({ model, reps, threads, parallelGemm });
  });
}

(window as unknown as { bench: unknown }).bench = (engine: Engine, model: ModelName, reps: number) =>
  engine === 'ort'
    ? benchOrt(model, reps)
    : engine === 'tfjs'
      ? benchTfjs(model, reps, threads, parallelGemm)
      : inWorker(model, reps);
(window as unknown as { crossOriginIsolatedReady: boolean }).crossOriginIsolatedReady = crossOriginIsolated;
