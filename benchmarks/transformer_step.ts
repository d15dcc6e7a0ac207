/**
 * Transformer training step on tfjs wasm — stock kernels vs the `@pir/runtime` repairs — against PyTorch CPU.
 *
 * Model: 2-layer post-LN transformer encoder, D=256, 4 heads, FFN 1024 (ReLU), input [32, 50, 256], MSE loss
 * against a random target, Adam (lr 1e-3); written from matMul/softmax/moments (tfjs has no attention layer),
 * the same way in `transformer_step_torch.py`.
 *
 * Configurations (each wasm one in its own child process: the backend initialises once per process):
 *   wasm-stock-1t     stock tfjs-backend-wasm 4.22 kernels, 1 thread
 *   wasm-repaired-1t  repairWasmKernels(), 1 thread
 *   wasm-repaired-2t  repairWasmKernels(), 2 threads (setupWasm's Node worker fix)
 *   torch-modules-1t / -2t     PyTorch as its users write it: nn.TransformerEncoder (the baseline)
 *   torch-primitives-1t / -2t  PyTorch from the same primitives as the tfjs side (an extra column)
 *   (PyTorch with torch.set_num_threads(n) and OPENBLAS_NUM_THREADS=n)
 * Reported best against best (the fastest repaired wasm vs the fastest PyTorch-modules run), median and min.
 * Refuses to run on a busy machine (1-minute load average ≥ 0.5) unless `--force`, which marks the result.
 *
 * Run: npx tsx benchmarks/transformer_step.ts [--quick] [--skip-stock] [--force]   (→ results/transformer-step.json)
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { kernelTimes, quietStart, runPython, time, writeResult } from './lib/report.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const B = 32;
const S = 50;
const D = 256;
const H = 4;
const FF = 1024;
const LAYERS = 2;

interface StepResult {
  config: string;
  threads: number;
  simd?: boolean;
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
  loss: number;
  /** wasm only: per-kernel time of one step (tf.profile), largest first. */
  profile?: { kernel: string; ms: number; calls: number }[];
}

// ------------------------------------------------------------------------------------------------ child

async function child(config: string, reps: number): Promise<StepResult> {
  // The full tfjs package registers every gradient (tfjs-core alone registers none); it shares tfjs-core.
  await import('@tensorflow/tfjs');
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { setupWasm } = await import('../packages/runtime/src/wasm/setup.js');
  const { repairWasmKernels } = await import('../packages/runtime/src/kernels/index.js');
  const threads = config.endsWith('2t') ? 2 : 1;
  const state = await setupWasm({ threads, simd: true });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
  if (config.includes('repaired')) repairWasmKernels();

  const rnd = (shape: number[], seed: number, scale = 0.02) =>
    tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale);
  const v = (t: Tensor) => tf.variable(t);
  const layers = Array.from({ length: LAYERS }, (_, l) => ({
    wqkv: v(rnd([D, 3 * D], 10 + l)),
    bqkv: v(tf.zeros([3 * D])),
    wo: v(rnd([D, D], 20 + l)),
    bo: v(tf.zeros([D])),
    w1: v(rnd([D, FF], 30 + l)),
    b1: v(tf.zeros([FF])),
    w2: v(rnd([FF, D], 40 + l)),
    b2: v(tf.zeros([D])),
    g1: v(tf.ones([D])),
    be1: v(tf.zeros([D])),
    g2: v(tf.ones([D])),
    be2: v(tf.zeros([D])),
  }));
  const x = tf.randomNormal([B * S, D], 0, 1, 'float32', 1);
  const target = tf.randomNormal([B * S, D], 0, 1, 'float32', 2);
  const opt = tf.train.adam(1e-3);
  const dh = D / H;

  const layerNorm = (t: Tensor, g: Tensor, b: Tensor) => {
    const { mean, variance } = tf.moments(t, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
  };
  const heads = (t: Tensor) => tf.transpose(tf.reshape(t, [B, S, H, dh]), [0, 2, 1, 3]);
  const encoder = (t0: Tensor, p: (typeof layers)[number]) => {
    const qkv = tf.add(tf.matMul(t0, p.wqkv), p.bqkv);
    const [q, k, vv] = tf.split(qkv, 3, 1) as [Tensor, Tensor, Tensor];
    const att = tf.softmax(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(dh)));
    const o = tf.reshape(tf.transpose(tf.matMul(att, heads(vv)), [0, 2, 1, 3]), [B * S, D]);
    const t1 = layerNorm(tf.add(t0, tf.add(tf.matMul(o, p.wo), p.bo)), p.g1, p.be1);
    const h = tf.relu(tf.add(tf.matMul(t1, p.w1), p.b1));
    return layerNorm(tf.add(t1, tf.add(tf.matMul(h, p.w2), p.b2)), p.g2, p.be2);
  };
  const lossFn = () => {
    let y = x;
    for (const p of layers) y = encoder(y, p);
    return tf.mean(tf.square(tf.sub(y, target))) as Scalar;
  };
  let loss = 0;
  const step = async () => {
    const l = opt.minimize(lossFn, true) as Scalar;
    loss = (await l.data())[0] as number;
    l.dispose();
  };
  const stock = config.includes('stock');
  const t = await time(step, { warmup: stock ? 1 : 2, reps: stock ? Math.min(reps, 3) : reps });
  const result: StepResult = { config, threads: state.threads, simd: state.simd, ...t, loss };
  if (!stock) {
    const prof = await tf.profile(step);
    result.profile = kernelTimes(prof.kernels, 12, { digits: 1 });
  }
  return result;
}

// ----------------------------------------------------------------------------------------------- parent

function runChild(config: string, reps: number): StepResult {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child', config, '--reps', String(reps)],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as StepResult;
}

function torch(threads: number, reps: number, impl: 'modules' | 'primitives'): StepResult {
  const r = runPython(
    join(HERE, 'transformer_step_torch.py'),
    ['--threads', String(threads), '--reps', String(reps), '--impl', impl],
    { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
  ) as Omit<StepResult, 'config'> & { torch: string; blas: string };
  return { ...r, config: `torch-${impl === 'modules' ? 'modules' : 'primitives'}-${threads}t` };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reps = Number(args[args.indexOf('--reps') + 1] ?? 0) || (args.includes('--quick') ? 3 : 7);
  if (args[0] === '--child') {
    const r = await child(args[1] as string, reps);
    process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
    return;
  }
  const { load0, quiet } = quietStart(args);
  const rows: StepResult[] = [];
  const wasm = args.includes('--skip-stock')
    ? ['wasm-repaired-1t', 'wasm-repaired-2t']
    : ['wasm-stock-1t', 'wasm-repaired-1t', 'wasm-repaired-2t'];
  for (const cfg of wasm) {
    console.error(`running ${cfg} …`);
    rows.push(runChild(cfg, reps));
  }
  for (const impl of ['modules', 'primitives'] as const)
    for (const n of [1, 2]) {
      console.error(`running torch ${impl} ${n}t …`);
      rows.push(torch(n, Math.max(reps, 10), impl));
    }
  const byName = new Map(rows.map((r) => [r.config, r]));
  // best configuration against best: PyTorch as its users write it (its own modules), 1 or 2 threads
  const torchRows = rows.filter((r) => r.config.startsWith('torch-modules'));
  const bestTorch = torchRows.reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
  const bestTorchMin = Math.min(...torchRows.map((r) => r.minMs));
  const wasmRows = rows.filter((r) => r.config.startsWith('wasm-repaired'));
  const bestWasm = wasmRows.reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
  const bestWasmMin = Math.min(...wasmRows.map((r) => r.minMs));
  console.log('\nTransformer training step (2 layers, D=256, 4 heads, FFN 1024, batch [32, 50, 256], Adam)');
  console.log(
    `config                    threads   median ms    min ms   vs best PyTorch (${bestTorch.config})   loss`,
  );
  for (const r of rows) {
    console.log(
      `${r.config.padEnd(26)}${String(r.threads).padStart(7)}${r.medianMs.toFixed(1).padStart(12)}${r.minMs
        .toFixed(1)
        .padStart(
          10,
        )}${`${(r.medianMs / bestTorch.medianMs).toFixed(2)}×`.padStart(14)}   ${r.loss.toFixed(4)}`,
    );
  }
  const load1 = os.loadavg()[0] as number;
  console.log(
    `\nbest against best: ${bestWasm.config} ${bestWasm.medianMs.toFixed(0)} ms vs ${bestTorch.config} ${bestTorch.medianMs.toFixed(0)} ms = ${(bestWasm.medianMs / bestTorch.medianMs).toFixed(2)}× (median), ${(bestWasmMin / bestTorchMin).toFixed(2)}× (min); load average ${load0.toFixed(2)} → ${load1.toFixed(2)}`,
  );
  const rep1 = byName.get('wasm-repaired-1t');
  if (rep1?.profile !== undefined) {
    console.log('\nwhere a repaired 1-thread step goes (tf.profile, kernel ms per step):');
    for (const p of rep1.profile)
      console.log(`  ${p.kernel.padEnd(24)}${p.ms.toFixed(1).padStart(9)} ms  ${p.calls} calls`);
  }
  const path = writeResult('transformer-step', {
    model: { layers: LAYERS, d: D, heads: H, ffn: FF, input: [B, S, D], loss: 'mse', optimizer: 'adam' },
    loadAverage1mBefore: load0,
    loadAverage1mAfter: load1,
    quiet,
    results: rows,
    bestAgainstBest: {
      wasm: bestWasm.config,
      torch: bestTorch.config,
      medianRatio: bestWasm.medianMs / bestTorch.medianMs,
      minRatio: bestWasmMin / bestTorchMin,
    },
    ratiosVsBestTorch: Object.fromEntries(rows.map((r) => [r.config, r.medianMs / bestTorch.medianMs])),
  });
  console.log(`\nwrote ${path}`);
}

await main();
