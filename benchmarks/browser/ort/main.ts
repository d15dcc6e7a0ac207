/**
 * The same three encoders (CLIP ViT-B/32, ResNet-50 with batch norm folded, as inference runs it; the CLIP text
 * tower), random weights, in one cross-origin-isolated page: onnxruntime-web's wasm engine (the
 * engine behind transformers.js, loaded from its own files as its docs advise for bundlers) on PyTorch's ONNX export, and `@pir/encoders` on `@pir/runtime`'s wasm
 * backend — both SIMD, the same number of threads. `window.bench(engine, model, reps)` answers the median and
 * min of `reps` timed runs after one warm-up, in ms.
 */
import '@tensorflow/tfjs-backend-wasm';
import {
  CLIP_TEXT_B32,
  CLIP_VIT_B32,
  ClipTextTransformer,
  ClipVisionTransformer,
  RESNET50,
  ResNet,
} from '@pir/encoders/models';
import { initBackend } from '@pir/runtime';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs-core';
import type * as Ort from 'onnxruntime-web/wasm';

type Engine = 'ort' | 'tfjs';
type ModelName = 'vit_b32' | 'resnet50' | 'clip_text';

const threads = Number(new URLSearchParams(location.search).get('threads') ?? '2');
/** `?parallelGemm=0`: every GEMM on XNNPACK (`initBackend({ parallelGemm: false })`), for A/B runs. */
const parallelGemm = new URLSearchParams(location.search).get('parallelGemm') !== '0';

async function timed(run: () => Promise<void>, reps: number): Promise<{ medianMs: number; minMs: number }> {
  await run(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { medianMs: t[Math.floor(t.length / 2)] as number, minMs: t[0] as number };
}

function ids(): Int32Array {
  // 32 × 77 token ids, end-of-text (the largest id) at position 20, as the PyTorch side
  const x = new Int32Array(32 * 77);
  for (let i = 0; i < x.length; i++) x[i] = 1 + ((i * 7919) % 49406);
  for (let b = 0; b < 32; b++) x[b * 77 + 20] = 49407;
  return x;
}

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

async function benchTfjs(model: ModelName, reps: number) {
  await initBackend({
    backend: 'wasm',
    threads,
    parallelGemm,
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
  });
  if (model !== 'clip_text') {
    const vit =
      model === 'vit_b32'
        ? new ClipVisionTransformer(CLIP_VIT_B32)
        : new ResNet(RESNET50, { foldBatchNorm: true });
    const x = tf.randomNormal([8, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const r = await timed(async () => {
      const outs = Object.values(vit.encode(x)) as tf.Tensor[];
      await Promise.all(outs.map((t) => t.data()));
      tf.dispose(outs);
    }, reps);
    vit.dispose();
    x.dispose();
    return r;
  }
  const text = new ClipTextTransformer(CLIP_TEXT_B32);
  const t = tf.tensor2d(ids(), [32, 77], 'int32');
  const mask = tf.ones([32, 77]) as tf.Tensor2D;
  const r = await timed(async () => {
    const outs = Object.values(text.encode(t, mask)) as tf.Tensor[];
    await Promise.all(outs.map((o) => o.data()));
    tf.dispose(outs);
  }, reps);
  text.dispose();
  tf.dispose([t, mask]);
  return r;
}

(window as unknown as { bench: unknown }).bench = (engine: Engine, model: ModelName, reps: number) =>
  engine === 'ort' ? benchOrt(model, reps) : benchTfjs(model, reps);
(window as unknown as { crossOriginIsolatedReady: boolean }).crossOriginIsolatedReady = crossOriginIsolated;
