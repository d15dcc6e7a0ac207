/**
 * 2-D GEMMs of PIR's encoders on tfjs wasm — XNNPACK's fully-connected operator (packed weights cached)
 * against `@pir/runtime`'s parallel GEMM (`parallel_gemm.ts`: the 4 × 8 SIMD kernel split by column panels
 * over the backend's threads, B packed on every call) — and PyTorch CPU (`torch.matmul`), 1 and 2 threads,
 * in one run. The sizes: the CLIP text tower's linear layers at batch 32 (2464 rows) and for one caption
 * (77 rows), ViT-B/32's at batch 8 (400 rows), the transformer-step benchmark's (1600 × 256 · 256 × 1024),
 * their backward products (transposed operands), and small ones around the kernel's size threshold.
 *
 * Each wasm thread count runs in its own child process (the backend initialises once per process); inside it
 * the two paths alternate through the threshold hook of `batch_mat_mul.ts` (imported from source).
 *
 * Run: npx tsx benchmarks/gemm_sizes.ts [--reps N] [--force]   (writes results/gemm-sizes.json)
 */
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietStart, runPython, runSelfChild, time, writeResult } from './lib/report.js';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Case {
  name: string;
  m: number;
  k: number;
  n: number;
  ta: boolean;
  tb: boolean;
}
const c = (name: string, m: number, k: number, n: number, ta = false, tb = false): Case => ({
  name,
  m,
  k,
  n,
  ta,
  tb,
});
const CASES: Case[] = [
  c('CLIP text b32 MLP up', 2464, 512, 2048),
  c('CLIP text b32 MLP down', 2464, 2048, 512),
  c('CLIP text b32 qkv', 2464, 512, 1536),
  c('CLIP text b32 out proj', 2464, 512, 512),
  c('ViT-B/32 b8 MLP up', 400, 768, 3072),
  c('ViT-B/32 b8 MLP down', 400, 3072, 768),
  c('ViT-B/32 b8 qkv', 400, 768, 2304),
  c('step D=256 MLP up', 1600, 256, 1024),
  c('step dX = dY·Wᵀ', 1600, 1024, 256, false, true),
  c('step dW = Xᵀ·dY', 256, 1600, 1024, true, false),
  c('one caption MLP up', 77, 512, 2048),
  c('one caption out proj', 77, 512, 512),
  c('small 256³', 256, 256, 256),
  c('small 128 × 512²', 128, 512, 512),
  c('small 64 × 512²', 64, 512, 512),
  c('small 32 × 512 × 2048', 32, 512, 2048),
];

interface Row {
  name: string;
  medianMs: number;
  minMs: number;
}

async function child(threads: number, reps: number): Promise<Record<string, unknown>> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { setupWasm } = await import('../packages/runtime/src/wasm/setup.js');
  const { repairWasmKernels } = await import('../packages/runtime/src/kernels/index.js');
  const { _setParallelGemmMin } = await import('../packages/runtime/src/kernels/batch_mat_mul.js');
  const { parallelGemmFor } = await import('../packages/runtime/src/kernels/parallel_gemm.js');
  const state = await setupWasm({ threads, simd: true });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
  repairWasmKernels();
  const par = parallelGemmFor(tf.backend() as never);
  if (par === undefined) throw new Error('the parallel GEMM did not load on this backend');
  _setParallelGemmMin({ rows: 1, flops: 0 });
  tf.dispose(tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
  const t0 = Date.now();
  while (par.threads() < state.threads && Date.now() - t0 < 20_000)
    await new Promise((r) => setTimeout(r, 10));
  const rows: Record<string, Row[]> = { xnnpack: [], parallel: [] };
  for (const cs of CASES) {
    const a = tf.randomNormal(cs.ta ? [cs.k, cs.m] : [cs.m, cs.k], 0, 1, 'float32', 1);
    const b = tf.randomNormal(cs.tb ? [cs.n, cs.k] : [cs.k, cs.n], 0, 1, 'float32', 2);
    for (const path of ['xnnpack', 'parallel'] as const) {
      _setParallelGemmMin(
        path === 'xnnpack' ? { rows: Number.POSITIVE_INFINITY, flops: 0 } : { rows: 1, flops: 0 },
      );
      const t = await time(
        async () => {
          const y = tf.matMul(a, b, cs.ta, cs.tb);
          await y.data();
          y.dispose();
        },
        { warmup: 2, reps },
      );
      rows[path]!.push({ name: cs.name, medianMs: t.medianMs, minMs: t.minMs });
    }
    tf.dispose([a, b]);
  }
  return { threads: state.threads, workers: par.threads(), rows };
}

function runChild(
  threads: number,
  reps: number,
): { threads: number; workers: number; rows: Record<string, Row[]> } {
  return runSelfChild(import.meta.url, ['--child', String(threads), '--reps', String(reps)]);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reps = Number(args[args.indexOf('--reps') + 1] ?? 0) || 7;
  if (args[0] === '--child') {
    const r = await child(Number(args[1]), reps);
    process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
    return;
  }
  const { quiet } = quietStart();
  const loadBefore = os.loadavg();
  const wasm: Record<number, Record<string, Row[]>> = {};
  const torch: Record<number, Row[]> = {};
  for (const n of [1, 2]) {
    console.error(`wasm ${n} thread(s) …`);
    const r = runChild(n, reps);
    if (r.workers !== n) throw new Error(`the parallel GEMM ran on ${r.workers} thread(s), not ${n}`);
    wasm[n] = r.rows;
    console.error(`torch ${n} thread(s) …`);
    torch[n] = (
      runPython(
        join(HERE, 'gemm_sizes_torch.py'),
        ['--threads', String(n), '--reps', String(reps), '--cases', JSON.stringify(CASES)],
        { OPENBLAS_NUM_THREADS: String(n), OMP_NUM_THREADS: String(n) },
      ) as { rows: Row[] }
    ).rows;
  }
  const loadAfter = os.loadavg();
  const table: Record<string, unknown>[] = [];
  console.log(
    `\n2-D GEMMs, median ms (GFLOP/s); load average ${loadBefore[0]!.toFixed(2)} → ${loadAfter[0]!.toFixed(2)}`,
  );
  console.log(
    'case                          M × K × N          thr   xnnpack ms (GF/s)   parallel ms (GF/s)   speed-up   torch ms (GF/s)   parallel ÷ best torch',
  );
  for (const n of [1, 2]) {
    for (const [i, cs] of CASES.entries()) {
      const flops = 2 * cs.m * cs.k * cs.n;
      const x = wasm[n]!.xnnpack![i]!;
      const p = wasm[n]!.parallel![i]!;
      const t = torch[n]![i]!;
      const best = Math.min(torch[1]![i]!.medianMs, torch[2]![i]!.medianMs);
      const gf = (ms: number) => (flops / ms / 1e6).toFixed(1);
      table.push({
        ...cs,
        threads: n,
        xnnpackMs: x.medianMs,
        parallelMs: p.medianMs,
        torchMs: t.medianMs,
        bestTorchMs: best,
        speedup: x.medianMs / p.medianMs,
        parallelVsBestTorch: p.medianMs / best,
      });
      const shape = `${cs.m} × ${cs.k} × ${cs.n}${cs.ta ? ' ta' : ''}${cs.tb ? ' tb' : ''}`;
      console.log(
        `${cs.name.padEnd(30)}${shape.padEnd(19)}${String(n).padStart(3)}${`${x.medianMs.toFixed(2)} (${gf(x.medianMs)})`.padStart(20)}${`${p.medianMs.toFixed(2)} (${gf(p.medianMs)})`.padStart(21)}${`${(x.medianMs / p.medianMs).toFixed(2)}×`.padStart(11)}${`${t.medianMs.toFixed(2)} (${gf(t.medianMs)})`.padStart(18)}${`${(p.medianMs / best).toFixed(2)}×`.padStart(24)}`,
      );
    }
  }
  const path = writeResult('gemm-sizes', {
    quiet,
    reps,
    loadAverage: { before: loadBefore, after: loadAfter },
    rows: table,
  });
  console.log(`\nwrote ${path}`);
  process.exit(0);
}

await main();
