/**
 * Training throughput and peak memory of PIR-ITR at the `tiny`, `base` and `paper` sizes of `@pir/models`'
 * configurations: `@pir/train`'s step (AdamW, the model's loss) on wasm against the same configuration in
 * PyTorch on CPU (`pir_training_torch.py`, the reference modules of tools/golden), each in its own process so
 * that peak RSS is the configuration's own. Best against best: wasm with 1 and 2 threads, PyTorch with 1 and 2
 * (`--threads 1`: one thread only). Batch 32 everywhere; wasm runs base as 4 × 8 with gradient caching and the
 * paper size in the low-memory mode (`pir train --gradient-checkpointing`: activation checkpointing, no packed
 * weight copies) as 32 × 1 — the same gradient as one batch — because the 4 GiB wasm heap holds no more. From
 * the paper size's rate the time of one RSITMD epoch (17,175 captions) follows.
 *
 *   npx tsx benchmarks/pir_training.ts [--sizes tiny,base,paper] [--reps 3] [--threads 1,2] [--out name] [--force]
 *     [--no-parallel-gemm]   (every GEMM on XNNPACK: `initBackend({ parallelGemm: false })`)
 *
 * Needs the packages built (`npm run build`) and a quiet machine: refused at load average ≥ 0.5 unless `--force`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, type PirItr, resolveModelConfig } from '@pir/models';
import { initBackend } from '@pir/runtime';
import { AdamW, namedTrainableParameters, paramGroups, pirItrTask, readStep, trainStep } from '@pir/train';
import * as tf from '@tensorflow/tfjs-core';
import { kernelTimes, quietStart, runPython, writeResult } from './lib/report.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};

interface Measured {
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
  samplesPerSecond: number;
  peakRssMiB: number;
  peakTensorMiB?: number;
  trainableParams?: number;
  wasmHeapMiB?: number;
  gradientCheckpointing?: boolean;
  /** With `--profile`: per-kernel time of one more step (tf.profile), largest first. */
  profile?: { kernel: string; ms: number; calls: number }[];
  /** With `--profile`: Transpose and BatchMatMul time by input shapes. */
  profileShapes?: { kernel: string; ms: number; calls: number }[];
}

/** Child: one configuration, one batch (and micro-batch), one thread count, on wasm. */
async function child(): Promise<void> {
  const size = arg('size', 'tiny');
  const batch = Number(arg('batch', '32'));
  const micro = Number(arg('micro', '0'));
  const reps = Number(arg('reps', '3'));
  const ckpt = arg('ckpt', '0') === '1';
  await initBackend({
    backend: 'wasm',
    threads: Number(arg('threads', '1')),
    // the low-memory mode (pir train --gradient-checkpointing): no packed copy of every weight matrix
    ...(ckpt ? { cachePackedWeights: false } : {}),
    // --no-parallel-gemm: every GEMM on XNNPACK (the runtime's parallel GEMM off), for A/B runs
    ...(process.argv.includes('--no-parallel-gemm') ? { parallelGemm: false } : {}),
  });
  const model = createModel(`pir-itr-${size}` as 'pir-itr-tiny', { seed: 1 }) as unknown as PirItr;
  if (ckpt) model.setGradientCheckpointing(true);
  const vision = model.encoders.vision as unknown as { config: { imageSize: number } };
  const text = model.encoders.text as unknown as { config: { maxPositions: number } };
  const s = vision.config.imageSize;
  const L = Math.min(32, text.config.maxPositions);
  const real = Math.round(0.6 * L);
  const ids = tf.tensor2d(
    Array.from({ length: batch }, (_, b) =>
      Array.from({ length: L }, (_, j) => (j < real ? 1 + ((b * 31 + j * 7) % 999) : 0)),
    ),
    [batch, L],
    'int32',
  );
  const data = {
    images: tf.randomUniform([batch, s, s, 3], -1, 1, 'float32', 2) as tf.Tensor4D,
    ids,
    mask: tf.cast(tf.greater(ids, 0), 'float32') as tf.Tensor2D,
    imageIds: Array.from({ length: batch }, (_, i) => i >> 1),
    labels: Array.from({ length: batch }, (_, i) => (i >> 1) % 5),
  };
  const params = namedTrainableParameters(model);
  const optimizer = new AdamW(paramGroups(params), { lr: 1e-4 });
  const task = pirItrTask(model);
  let peak = 0;
  const probe = () => {
    peak = Math.max(peak, tf.memory().numBytes);
  };
  const step = async () => {
    const r = trainStep(task, optimizer, data, micro > 0 ? { microBatch: micro } : {});
    probe();
    await readStep(r);
  };
  await step(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)] as number;
  const out: Measured = {
    medianMs: med,
    minMs: times[0] as number,
    maxMs: times[times.length - 1] as number,
    reps,
    samplesPerSecond: (1000 * batch) / med,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    peakTensorMiB: peak / 2 ** 20,
    trainableParams: params.reduce((n, p) => n + p.variable.size, 0),
    // the wasm heap never shrinks: its size at the end is its peak (the limit is 4,096 MiB)
    wasmHeapMiB: (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length / 2 ** 20,
    gradientCheckpointing: ckpt,
  };
  if (process.argv.includes('--profile')) {
    const prof = await tf.profile(step);
    out.profile = kernelTimes(prof.kernels, 20);
    // the heaviest kernels by input shapes: where their time goes
    out.profileShapes = kernelTimes(prof.kernels, 24, {
      keyOf: (k) =>
        ['Transpose', 'BatchMatMul', 'unnamed scope'].includes(k.name)
          ? `${k.name} ${JSON.stringify(k.inputShapes)}`
          : undefined,
    });
  }
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
}

function runChild(
  size: string,
  batch: number,
  threads: number,
  reps: number,
  micro = 0,
  ckpt = false,
): Measured {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--child',
      '1',
      '--size',
      size,
      '--batch',
      String(batch),
      '--threads',
      String(threads),
      '--reps',
      String(reps),
      '--micro',
      String(micro),
      '--ckpt',
      ckpt ? '1' : '0',
      ...(process.argv.includes('--no-parallel-gemm') ? ['--no-parallel-gemm'] : []),
    ],
    { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
  );
  return JSON.parse(out.trim().split('\n').pop() as string) as Measured;
}

async function parent(): Promise<void> {
  const sizes = arg('sizes', 'tiny,base,paper').split(',');
  const threadCounts = arg('threads', '1,2').split(',').map(Number);
  const reps = Number(arg('reps', '3'));
  const { load0: before, quiet } = quietStart();
  console.log(
    `load average before: ${before.toFixed(2)}${quiet ? '' : ' (not quiet: figures are indicative)'}`,
  );
  const rows: Record<string, unknown>[] = [];
  const failures: Record<string, string> = {};
  for (const size of sizes) {
    const batch = 32;
    const cfgPath = join(tmpdir(), `pir-itr-${size}.resolved.json`);
    writeFileSync(cfgPath, JSON.stringify(resolveModelConfig(`pir-itr-${size}` as 'pir-itr-tiny')));
    const js: Record<string, Measured> = {};
    const py: Record<string, Measured> = {};
    // wasm's heap is one 32-bit address space (4 GiB, and it never shrinks): base at batch 32 in one pass
    // aborts there, so it runs as 4 micro-batches of 8 with gradient caching — the same gradient. The paper
    // size runs in the low-memory mode (activation checkpointing, no packed weight copies) as 32 × 1.
    const micro = size === 'tiny' ? 0 : size === 'paper' ? 1 : 8;
    const ckpt = size === 'paper';
    for (const threads of threadCounts) {
      try {
        js[`${threads}t`] = runChild(size, batch, threads, size === 'paper' ? 1 : reps, micro, ckpt);
        console.log(
          `${size} batch ${batch}${micro ? ` as ${batch / micro}×${micro}` : ''} wasm ${threads}t: ${js[`${threads}t`]?.medianMs.toFixed(0)} ms/step, peak RSS ${js[`${threads}t`]?.peakRssMiB.toFixed(0)} MiB`,
        );
      } catch (e) {
        // e.g. "Aborted()": the wasm heap (4 GiB) is exhausted
        failures[`${size} wasm ${threads}t`] =
          String((e as Error).message)
            .split('\n')[0]
            ?.slice(0, 200) ?? '';
        console.log(`${size} batch ${batch} wasm ${threads}t: failed (the child aborted; see results JSON)`);
      }
      py[`${threads}t`] = runPython(
        join(fileURLToPath(new URL('.', import.meta.url)), 'pir_training_torch.py'),
        [
          '--config',
          cfgPath,
          '--batch',
          String(batch),
          '--threads',
          String(threads),
          '--reps',
          String(size === 'paper' ? 1 : reps),
        ],
        { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
      ) as Measured;
      console.log(
        `${size} batch ${batch} torch ${threads}t: ${py[`${threads}t`]?.medianMs.toFixed(0)} ms/step`,
      );
    }
    if (Object.keys(js).length === 0) {
      rows.push({ size, batch, wasm: null, torch: py, microBatch: micro || null });
      continue;
    }
    const bestJs = Object.values(js).reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
    const bestPy = Object.values(py).reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
    const row: Record<string, unknown> = {
      size,
      batch,
      wasm: js,
      torch: py,
      ratio: bestJs.medianMs / bestPy.medianMs,
    };
    row.microBatch = micro || null;
    if (size === 'paper') {
      // an RSITMD epoch (17,175 training captions) at the measured rate: gradient caching's cost per caption does
      // not depend on the batch it is accumulated into (each micro-batch is embedded, then replayed with grad)
      row.rsitmdEpochHours = 17175 / bestJs.samplesPerSecond / 3600;
      row.rsitmdEpochHoursTorch = 17175 / bestPy.samplesPerSecond / 3600;
      console.log(
        `paper: an RSITMD epoch (17,175 captions) ≈ ${(row.rsitmdEpochHours as number).toFixed(1)} h on wasm, ${(row.rsitmdEpochHoursTorch as number).toFixed(1)} h in PyTorch (CPU)`,
      );
    }
    rows.push(row);
  }
  const after = loadavg()[0] as number;
  console.log(
    '\nsize   batch  wasm best ms  torch best ms  ratio   wasm samples/s  wasm peak RSS MiB  torch peak RSS MiB',
  );
  for (const r of rows) {
    if (r.wasm === null) {
      console.log(
        `${String(r.size).padEnd(7)}${String(r.batch).padStart(5)}  wasm: did not run (see failures)`,
      );
      continue;
    }
    const js = Object.values(r.wasm as Record<string, Measured>).reduce((a, b) =>
      b.medianMs < a.medianMs ? b : a,
    );
    const py = Object.values(r.torch as Record<string, Measured>).reduce((a, b) =>
      b.medianMs < a.medianMs ? b : a,
    );
    console.log(
      `${String(r.size).padEnd(7)}${String(r.batch).padStart(5)}${js.medianMs.toFixed(0).padStart(14)}${py.medianMs.toFixed(0).padStart(15)}${(r.ratio as number).toFixed(2).padStart(7)}${js.samplesPerSecond.toFixed(1).padStart(17)}${js.peakRssMiB.toFixed(0).padStart(19)}${py.peakRssMiB.toFixed(0).padStart(20)}`,
    );
  }
  writeResult(arg('out', 'pir-training'), {
    load: { before, after, quiet },
    threads: threadCounts,
    rows,
    failures,
  });
  process.exit(0);
}

if (process.argv.includes('--child')) await child();
else await parent();
