/**
 * Batched attention products on tfjs wasm — one XNNPACK call per slice (before) vs `@pir/runtime`'s SIMD
 * batched-GEMM kernel (after) — against PyTorch CPU (`torch.bmm`), 1 and 2 threads, in one run.
 *
 * Products, `[B·H, L, dh]` operands: `Q·Kᵀ` = matMul(q, k, false, true) and `P·V` = matMul(p, v); plus one
 * attention forward+backward `[32, 8, 50, 64]` (softmax(Q·Kᵀ/8)·V, gradients of q, k, v) and a few larger
 * slices that show where XNNPACK overtakes the kernel (the kernel's size threshold).
 *
 * Each wasm thread count runs in its own child process (the backend initialises once per process); inside
 * it the two paths alternate via test hooks of the kernel modules (imported from source).
 *
 * Run: npx tsx benchmarks/attention_matmul.ts [--reps N]   (writes results/attention-matmul.json)
 */
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@tensorflow/tfjs-core';
import { quietStart, runPython, runSelfChild, time, writeResult } from './lib/report.js';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Case {
  name: string;
  bh: number;
  l: number;
  dh: number;
}
/** Attention sizes of PIR's encoders (B·H, L, dh). */
const CASES: Case[] = [
  { name: 'ViT-B/32 b8 (8×12, 50, 64)', bh: 96, l: 50, dh: 64 },
  { name: 'ViT-B/32 b32 (32×12, 50, 64)', bh: 384, l: 50, dh: 64 },
  { name: 'CLIP text b32 (32×8, 77, 64)', bh: 256, l: 77, dh: 64 },
  { name: 'step (32×8, 50, 64)', bh: 256, l: 50, dh: 64 },
  { name: 'small (32, 32, 32)', bh: 32, l: 32, dh: 32 },
  // larger slices: where XNNPACK (threads, better blocking) may overtake the single-threaded kernel
  { name: 'large (16, 128, 64)', bh: 16, l: 128, dh: 64 },
  { name: 'large (8, 256, 64)', bh: 8, l: 256, dh: 64 },
];
const ATTN = [32, 8, 50, 64];

interface Row {
  name: string;
  op: string;
  flops: number;
  medianMs: number;
  minMs: number;
}

// ------------------------------------------------------------------------------------------------ child

async function child(threads: number, reps: number): Promise<Record<string, unknown>> {
  await import('@tensorflow/tfjs'); // registers every gradient; shares tfjs-core
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { setupWasm } = await import('../packages/runtime/src/wasm/setup.js');
  const { repairWasmKernels } = await import('../packages/runtime/src/kernels/index.js');
  const { _disableBatchedGemm, batchedGemmFor } = await import(
    '../packages/runtime/src/kernels/batched_gemm.js'
  );
  const state = await setupWasm({ threads, simd: true });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
  repairWasmKernels();
  const kernelLoaded = batchedGemmFor(tf.backend() as never) !== undefined;
  if (!kernelLoaded) throw new Error('the SIMD batched GEMM kernel did not load on this backend');

  const rows: Record<string, Row[]> = { xnnpack: [], simd: [] };
  const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
  const measure = async (
    path: 'xnnpack' | 'simd',
    name: string,
    op: string,
    flops: number,
    fn: () => Tensor[],
  ) => {
    _disableBatchedGemm(path === 'xnnpack');
    const t = await time(
      async () => {
        const ys = fn();
        await ys[0]!.data();
        tf.dispose(ys);
      },
      { warmup: 2, reps },
    );
    rows[path]!.push({ name, op, flops, medianMs: t.medianMs, minMs: t.minMs });
  };
  for (const c of CASES) {
    const q = rnd([c.bh, c.l, c.dh], 1);
    const k = rnd([c.bh, c.l, c.dh], 2);
    const p = rnd([c.bh, c.l, c.l], 3);
    const v = rnd([c.bh, c.l, c.dh], 4);
    const flops = 2 * c.bh * c.l * c.l * c.dh;
    for (const path of ['xnnpack', 'simd'] as const) {
      await measure(path, c.name, 'QK^T', flops, () => [tf.matMul(q, k, false, true)]);
      await measure(path, c.name, 'PV', flops, () => [tf.matMul(p, v)]);
    }
    tf.dispose([q, k, p, v]);
  }
  // attention forward + backward: 2 products forward, 4 backward
  const [b, h, l, dh] = ATTN as [number, number, number, number];
  const q = rnd(ATTN, 5);
  const k = rnd(ATTN, 6);
  const v = rnd(ATTN, 7);
  const w = rnd(ATTN, 8);
  const g = tf.grads((x: Tensor, y: Tensor, z: Tensor) => {
    const s = tf.div(tf.matMul(x, y, false, true), Math.sqrt(dh));
    return tf.sum(tf.mul(tf.matMul(tf.softmax(s), z), w));
  });
  for (const path of ['xnnpack', 'simd'] as const) {
    await measure(path, `attention [${ATTN}]`, 'fwd+bwd', 6 * 2 * b * h * l * l * dh, () => g([q, k, v]));
  }
  _disableBatchedGemm(false);
  return { threads: state.threads, simd: state.simd, rows };
}

// ----------------------------------------------------------------------------------------------- parent

function runChild(threads: number, reps: number): { threads: number; rows: Record<string, Row[]> } {
  return runSelfChild(import.meta.url, ['--child', String(threads), '--reps', String(reps)]);
}

function torch(threads: number, reps: number): Row[] {
  const r = runPython(
    join(HERE, 'attention_matmul_torch.py'),
    ['--threads', String(threads), '--reps', String(reps), '--cases', JSON.stringify(CASES)],
    { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
  ) as { rows: Omit<Row, 'flops'>[] };
  return r.rows.map((x) => ({ ...x, flops: 0 }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reps = Number(args[args.indexOf('--reps') + 1] ?? 0) || 9;
  if (args[0] === '--child') {
    const r = await child(Number(args[1]), reps);
    process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
    return;
  }
  const { quiet } = quietStart();
  const loadBefore = os.loadavg();
  const wasm: Record<number, Record<string, Row[]>> = {};
  const torchRows: Record<number, Row[]> = {};
  for (const n of [1, 2]) {
    console.error(`wasm ${n} thread(s) …`);
    wasm[n] = runChild(n, reps).rows;
    console.error(`torch ${n} thread(s) …`);
    torchRows[n] = torch(n, reps);
  }
  const loadAfter = os.loadavg();
  const gf = (r: Row) => (r.flops / r.medianMs / 1e6).toFixed(1);
  const table: Record<string, unknown>[] = [];
  console.log(
    `\nBatched attention products, median ms (GFLOP/s); load average ${loadBefore[0]!.toFixed(1)} → ${loadAfter[0]!.toFixed(1)}`,
  );
  console.log(
    'case                              op        thr   xnnpack ms (GF/s)   simd ms (GF/s)   speed-up   torch ms   simd ÷ torch',
  );
  for (const n of [1, 2]) {
    const xs = wasm[n]!.xnnpack!;
    const ss = wasm[n]!.simd!;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const s = ss[i]!;
      const t = torchRows[n]!.find((r) => r.name === x.name && r.op === x.op)!;
      table.push({
        name: x.name,
        op: x.op,
        threads: n,
        gflop: x.flops / 1e9,
        xnnpackMs: x.medianMs,
        simdMs: s.medianMs,
        torchMs: t.medianMs,
        xnnpackGflops: x.flops / x.medianMs / 1e6,
        simdGflops: s.flops / s.medianMs / 1e6,
        torchGflops: x.flops / t.medianMs / 1e6,
        speedup: x.medianMs / s.medianMs,
        simdVsTorch: s.medianMs / t.medianMs,
        xnnpackVsTorch: x.medianMs / t.medianMs,
      });
      console.log(
        `${x.name.padEnd(34)}${x.op.padEnd(10)}${String(n).padStart(3)}${`${x.medianMs.toFixed(2)} (${gf(x)})`.padStart(20)}${`${s.medianMs.toFixed(2)} (${gf(s)})`.padStart(17)}${`${(x.medianMs / s.medianMs).toFixed(1)}×`.padStart(11)}${t.medianMs.toFixed(2).padStart(11)}${`${(s.medianMs / t.medianMs).toFixed(2)}×`.padStart(15)}`,
      );
    }
  }
  const path = writeResult('attention-matmul', {
    quiet,
    reps,
    loadAverage: { before: loadBefore, after: loadAfter },
    rows: table,
  });
  console.log(`\nwrote ${path}`);
  process.exit(0);
}

await main();
