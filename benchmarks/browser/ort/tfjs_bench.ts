/**
 * The `@pir/*` side of `benchmarks/ort_web.ts`: the three encoders on `@pir/runtime`'s wasm backend, random
 * weights, timed after one warm-up. Runs on the page (`main.ts`) or in a module Worker (`worker.ts`): a model
 * on a browser's main thread gets XNNPACK's GEMMs, in a Worker the runtime's parallel GEMM (a Worker may block
 * in `Atomics.wait`; see `@pir/runtime`'s README).
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

export type ModelName = 'vit_b32' | 'resnet50' | 'clip_text';

/** Median and min of `reps` timed runs after one warm-up (ms). */
export async function timed(
  run: () => Promise<void>,
  reps: number,
): Promise<{ medianMs: number; minMs: number }> {
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

/** 32 × 77 token ids, end-of-text (the largest id) at position 20, as the PyTorch side. */
export function ids(): Int32Array {
  const x = new Int32Array(32 * 77);
  for (let i = 0; i < x.length; i++) x[i] = 1 + ((i * 7919) % 49406);
  for (let b = 0; b < 32; b++) x[b * 77 + 20] = 49407;
  return x;
}

export async function benchTfjs(model: ModelName, reps: number, threads: number, parallelGemm: boolean) {
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
