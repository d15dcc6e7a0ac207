/**
 * Encoder inference throughput on tfjs wasm against PyTorch CPU, same architectures, same run.
 *
 * Models (random weights, `@pir/encoders` source; PyTorch: the golden definitions of
 * `tools/golden/encoders_models.py` through `encoders_throughput_torch.py`):
 *   vit_b32    CLIP ViT-B/32 image tower, batch 8 × 224 px → images/s
 *   resnet50   torchvision ResNet-50, frozen (the PIR instruction encoder): BatchNorm folded into the
 *              convolutions (`foldBatchNorm: true`), batch 8 × 224 px → images/s
 *   clip_text  CLIP text tower, batch 32 × 77 tokens → texts/s
 * wasm: `initBackend({ backend: 'wasm', threads })` (defaults otherwise: SIMD, the runtime's repaired kernels),
 * 2 threads unless `--threads N`. PyTorch: `torch.set_num_threads(n)` with OPENBLAS_NUM_THREADS/OMP_NUM_THREADS
 * = n, n = 1 and 2. Then one `tf.profile` of each wasm model: where the time goes, per kernel.
 *
 * `--no-winograd` turns off the runtime's Winograd 3 × 3 convolutions (`initBackend({ winograd: false })`),
 * `--no-parallel-gemm` its parallel GEMM (`initBackend({ parallelGemm: false })`: XNNPACK for every GEMM);
 * `--models a,b` runs a subset (vit_b32, resnet50, clip_text).
 *
 * Run: npx tsx benchmarks/encoders_throughput.ts [--reps R] [--threads N] [--no-profile] [--no-winograd] [--no-parallel-gemm] [--models …]
 * (writes results/encoders-throughput.json). Needs `@pir/runtime`'s dist to be current (`npm run build`).
 */
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import {
  CLIP_TEXT_B32,
  CLIP_VIT_B32,
  ClipTextTransformer,
  ClipVisionTransformer,
  RESNET50,
  ResNet,
} from '../packages/encoders/src/models/index.js';
import { kernelTimes, quietStart, runPython, time, writeResult } from './lib/report.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REPS = arg('--reps', 3);
const THREADS = arg('--threads', 2);
const PROFILE = !args.includes('--no-profile');
const WINOGRAD = !args.includes('--no-winograd');
const PARALLEL_GEMM = !args.includes('--no-parallel-gemm');
const MODELS = (() => {
  const i = args.indexOf('--models');
  return i >= 0 ? String(args[i + 1]).split(',') : ['vit_b32', 'resnet50', 'clip_text'];
})();

interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
  batch: number;
}

interface Model {
  name: string;
  batch: number;
  run: () => tf.Tensor[];
  dispose: () => void;
}

function models(): Model[] {
  const images = tf.randomNormal([8, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const vit = new ClipVisionTransformer(CLIP_VIT_B32);
  const rn = new ResNet(RESNET50, { foldBatchNorm: true });
  const text = new ClipTextTransformer(CLIP_TEXT_B32);
  const ids = tf.tidy(() => {
    const r = tf.randomUniform([32, 77], 1, 49407, 'int32', 2);
    const eot = tf.oneHot(tf.fill([32], 20, 'int32'), 77, 49407, 0); // end-of-text at position 20
    return tf.maximum(r, eot) as tf.Tensor2D;
  });
  const mask = tf.ones([32, 77]) as tf.Tensor2D;
  return [
    {
      name: 'vit_b32',
      batch: 8,
      run: () => Object.values(vit.encode(images)) as tf.Tensor[],
      dispose: () => vit.dispose(),
    },
    {
      name: 'resnet50',
      batch: 8,
      run: () => Object.values(rn.encode(images)) as tf.Tensor[],
      dispose: () => {
        rn.dispose();
        images.dispose();
      },
    },
    {
      name: 'clip_text',
      batch: 32,
      run: () => Object.values(text.encode(ids, mask)) as tf.Tensor[],
      dispose: () => {
        text.dispose();
        tf.dispose([ids, mask]);
      },
    },
  ];
}

async function runOnce(m: Model): Promise<void> {
  const outs = m.run();
  await Promise.all(outs.map((t) => t.data()));
  tf.dispose(outs);
}

async function profile(m: Model): Promise<{ kernel: string; ms: number; calls: number }[]> {
  const prof = await tf.profile(() => runOnce(m));
  return kernelTimes(prof.kernels, 8);
}

async function main(): Promise<void> {
  const { load0, quiet } = quietStart();
  const info = await initBackend({
    backend: 'wasm',
    threads: THREADS,
    winograd: WINOGRAD,
    parallelGemm: PARALLEL_GEMM,
  });
  console.error(`wasm: ${JSON.stringify(info)}`);
  const wasm: Record<string, Timing> = {};
  const profiles: Record<string, { kernel: string; ms: number; calls: number }[]> = {};
  for (const m of models()) {
    if (!MODELS.includes(m.name)) {
      m.dispose();
      continue;
    }
    console.error(`wasm ${m.name} …`);
    wasm[m.name] = { ...(await time(() => runOnce(m), { warmup: 1, reps: REPS })), batch: m.batch };
    if (PROFILE) profiles[m.name] = await profile(m);
    m.dispose();
  }
  const torch: Record<number, { models: Record<string, Timing>; blas: string; torch: string }> = {};
  for (const n of [1, 2]) {
    console.error(`torch ${n} thread(s) …`);
    torch[n] = runPython(
      join(HERE, 'encoders_throughput_torch.py'),
      ['--threads', String(n), '--reps', String(REPS), '--models', MODELS.join(',')],
      {
        OPENBLAS_NUM_THREADS: String(n),
        OMP_NUM_THREADS: String(n),
      },
    ) as (typeof torch)[number];
  }
  const load1 = os.loadavg()[0] as number;
  const rate = (t: Timing) => (t.batch * 1000) / t.medianMs;
  console.log(
    `\nEncoder inference throughput (items/s, median of ${REPS}); wasm ${info.threads} thread(s), SIMD ${String(info.simd)}, Winograd ${String(WINOGRAD)}; ` +
      `PyTorch ${torch[1]?.torch} (${torch[1]?.blas}); load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${os.availableParallelism()} cores`,
  );
  console.log('model        batch   wasm/s   torch-1t/s   torch-2t/s   wasm time ÷ torch-1t   ÷ torch-2t');
  const ratios: Record<string, { vsTorch1t: number; vsTorch2t: number; vsBestTorch: number }> = {};
  for (const [name, w] of Object.entries(wasm)) {
    const t1 = torch[1]?.models[name] as Timing;
    const t2 = torch[2]?.models[name] as Timing;
    ratios[name] = {
      vsTorch1t: w.medianMs / t1.medianMs,
      vsTorch2t: w.medianMs / t2.medianMs,
      // best configuration against best: PyTorch's faster thread count
      vsBestTorch: w.medianMs / Math.min(t1.medianMs, t2.medianMs),
    };
    console.log(
      `${name.padEnd(12)}${String(w.batch).padStart(6)}${rate(w).toFixed(1).padStart(9)}${rate(t1).toFixed(1).padStart(13)}${rate(
        t2,
      )
        .toFixed(1)
        .padStart(
          13,
        )}${`${ratios[name].vsTorch1t.toFixed(2)}×`.padStart(23)}${`${ratios[name].vsTorch2t.toFixed(2)}×`.padStart(12)}`,
    );
  }
  console.log(
    `best against best (wasm ÷ PyTorch's faster thread count): ${Object.entries(ratios)
      .map(([n, r]) => `${n} ${r.vsBestTorch.toFixed(2)}×`)
      .join(', ')}`,
  );
  if (PROFILE) {
    for (const [name, p] of Object.entries(profiles)) {
      const total = p.reduce((s, k) => s + k.ms, 0);
      console.log(`\n${name}: where one wasm batch goes (tf.profile, top kernels, ms)`);
      for (const k of p)
        console.log(
          `  ${k.kernel.padEnd(22)}${String(k.ms).padStart(8)}  ${((100 * k.ms) / total).toFixed(0).padStart(3)}%  ${k.calls} calls`,
        );
    }
  }
  const path = writeResult('encoders-throughput', {
    wasm: {
      threads: info.threads,
      simd: info.simd,
      winograd: WINOGRAD,
      parallelGemm: PARALLEL_GEMM,
      repairedKernels: info.repairedKernels,
      results: wasm,
      profiles,
    },
    torch,
    ratios,
    loadAverage1mBefore: load0,
    quiet,
    loadAverage1mAfter: load1,
  });
  console.log(`\nwrote ${path}`);
}

await main();
process.exit(0);
