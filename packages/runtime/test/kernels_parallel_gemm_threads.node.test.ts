/**
 * The parallel GEMM (`parallel_gemm.ts`) on the threaded wasm backend, in a child process (the backend
 * initialises once per process): its worker starts and takes part; every 2-D product and its gradients match
 * `cpu` across the edges of the 4 × 8 blocking, the cache blocks and the panel split (M mod 4, N mod 8, one panel,
 * odd panel counts, M > 128 and K > 256 with remainders, transposed operands, a batch folded into rows); its output is bitwise the single-threaded kernel's, and the same when B is packed one panel at a time;
 * a worker that fails makes that call throw and leaves the kernel single-threaded and still correct; and a
 * process that used it exits by itself (the sleeping worker does not keep it alive).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededValues as data, expectAllClose } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { runTsxChild, TSX } from './node_child.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** [aShape, bShape, transposeA, transposeB] — shapes as stored. */
const CASES: [number[], number[], boolean, boolean][] = [
  [[67, 33], [33, 29], false, false], // M mod 4 = 3, N mod 8 = 5, 4 panels
  [[130, 64], [64, 8], false, false], // one panel: the calling thread alone
  [[9, 17], [17, 16], false, false], // two panels, M < 4
  [[64, 40], [100, 40], false, true], // B stored transposed, 13 panels
  [[40, 70], [40, 44], true, false], // A stored transposed
  [[31, 45], [24, 31], true, true],
  [[3, 21, 35], [35, 57], false, false], // batch folded into rows
  [[150, 300], [300, 45], false, false], // past the cache blocks: M > 128 (22 left), K > 256 (44 left)
  [[300, 150], [45, 300], true, true],
];

const SETUP = `
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { setupWasm } = await import('./packages/runtime/src/wasm/setup.ts');
  const { repairWasmKernels } = await import('./packages/runtime/src/kernels/index.ts');
  const { _setParallelGemmMin } = await import('./packages/runtime/src/kernels/batch_mat_mul.ts');
  const { parallelGemmFor, _setParallelGemmPackBytes } = await import('./packages/runtime/src/kernels/parallel_gemm.ts');
  const state = await setupWasm({ threads: 2, simd: true });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not initialise');
  repairWasmKernels();
`;

const CHILD = `
(async () => {
  ${SETUP}
  const { batchedGemmFor } = await import('./packages/runtime/src/kernels/batched_gemm.ts');
  const { seededValues } = await import('./tools/test-utils/src/index.ts');
  _setParallelGemmMin({ rows: 1, flops: 0 });
  const backend = tf.backend();
  const par = parallelGemmFor(backend);
  tf.dispose(tf.matMul(tf.ones([8, 8]), tf.ones([8, 16]))); // starts the worker
  const t0 = Date.now();
  while (par.threads() < 2 && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 10));
  const threads = par.threads();
  const cases = ${JSON.stringify(CASES)};
  const results = [];
  for (const [as, bs, ta, tb] of cases) {
    const a = tf.tensor(seededValues(as.reduce((x, y) => x * y), 1), as);
    const b = tf.tensor(seededValues(bs.reduce((x, y) => x * y), 2), bs);
    const y = tf.matMul(a, b, ta, tb);
    const w = tf.tensor(seededValues(y.size, 3), y.shape);
    const g = tf.grads((p, q) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([a, b]);
    results.push([y, ...g].map((t) => Array.from(t.dataSync())));
    tf.dispose([a, b, y, w, ...g]);
  }
  // the same products packing one panel at a time (bounded scratch): bitwise the same values
  const prevPack = _setParallelGemmPackBytes(1);
  let packedAlike = true;
  for (const [i, [as, bs, ta, tb]] of cases.entries()) {
    const y = tf.tidy(() => tf.matMul(tf.tensor(seededValues(as.reduce((x, y) => x * y), 1), as), tf.tensor(seededValues(bs.reduce((x, y) => x * y), 2), bs), ta, tb));
    const v = y.dataSync();
    for (let j = 0; j < v.length; j++) if (Object.is(v[j], results[i][0][j]) === false) packedAlike = false;
    y.dispose();
  }
  _setParallelGemmPackBytes(prevPack);
  // bitwise: both threads vs the one-thread kernel on the same heap operands
  const m = 203, k = 301, n = 157;
  const heap = backend.wasm;
  const aOff = heap._malloc(m * k * 4), bOff = heap._malloc(k * n * 4), c1 = heap._malloc(m * n * 4), c2 = heap._malloc(m * n * 4);
  heap.HEAPF32.set(seededValues(m * k, 4), aOff / 4);
  heap.HEAPF32.set(seededValues(k * n, 5), bOff / 4);
  par.gemm(aOff, k, 1, bOff, n, 1, c1, m, k, n);
  batchedGemmFor(backend).gemm(aOff, k, 1, bOff, n, 1, c2, m, k, n);
  const x = new Uint32Array(heap.HEAPF32.buffer, c1, m * n), z = new Uint32Array(heap.HEAPF32.buffer, c2, m * n);
  let bitwise = true;
  for (let i = 0; i < m * n; i++) if (x[i] !== z[i]) bitwise = false;
  // a call whose operands lie outside the heap: both threads trap
  let failure = '';
  try {
    par.gemm(aOff, k, 1, bOff, n, 1, heap.HEAPF32.buffer.byteLength - 64, m, k, n);
  } catch (e) {
    failure = String(e.message);
  }
  const threadsAfter = par.threads();
  const again = tf.tidy(() => Array.from(tf.matMul(tf.tensor(seededValues(67 * 33, 1), [67, 33]), tf.tensor(seededValues(33 * 29, 2), [33, 29])).dataSync()));
  process.stdout.write(JSON.stringify({ state, threads, results, packedAlike, bitwise, failure, threadsAfter, again }) + '\\n', () => process.exit(0));
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** No process.exit: the child must end by itself once its work is done. */
const EXITS = `
(async () => {
  ${SETUP}
  const par = parallelGemmFor(tf.backend());
  const a = tf.ones([256, 256]);
  tf.dispose(tf.matMul(a, a));
  const t0 = Date.now();
  while (par.threads() < 2 && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 10));
  const y = tf.matMul(a, a);
  console.log(JSON.stringify({ threads: par.threads(), y: y.dataSync()[0] }));
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;

type ChildResult = {
  state: { simd: boolean; threads: number };
  threads: number;
  results: number[][][];
  packedAlike: boolean;
  bitwise: boolean;
  failure: string;
  threadsAfter: number;
  again: number[];
};

describe('parallel GEMM on the threaded wasm backend (child process)', () => {
  it.skipIf(!existsSync(TSX))(
    'both threads take part, match cpu (values and gradients), bitwise equal to one thread, and survive a failing call',
    async () => {
      const child = await runTsxChild<ChildResult>(CHILD);
      expect(child.state).toEqual({ simd: true, threads: 2 });
      expect(child.threads).toBe(2);
      expect(child.bitwise).toBe(true);
      expect(child.packedAlike).toBe(true);
      expect(child.failure).toMatch(/worker thread failed|out of bounds/i);
      expect(child.threadsAfter).toBe(1);
      const previous = tf.getBackend();
      await tf.setBackend('cpu');
      try {
        for (const [i, [as, bs, ta, tb]] of CASES.entries()) {
          const [want, ...grads] = tf.tidy(() => {
            const a = tf.tensor(data(tf.util.sizeFromShape(as), 1), as);
            const b = tf.tensor(data(tf.util.sizeFromShape(bs), 2), bs);
            const y = tf.matMul(a, b, ta, tb);
            const w = tf.tensor(data(y.size, 3), y.shape);
            const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([
              a,
              b,
            ]);
            return [y, ...g];
          });
          const got = child.results[i]!;
          const what = `a [${as}] b [${bs}] ta=${ta} tb=${tb}`;
          await expectAllClose(got[0]!, want!, { atol: 2e-4, rtol: 2e-4 }, `${what}: value`);
          await expectAllClose(got[1]!, grads[0]!, { atol: 2e-4, rtol: 2e-4 }, `${what}: da`);
          await expectAllClose(got[2]!, grads[1]!, { atol: 2e-4, rtol: 2e-4 }, `${what}: db`);
          tf.dispose([want!, ...grads]);
        }
        const again = tf.tidy(() =>
          tf.matMul(tf.tensor(data(67 * 33, 1), [67, 33]), tf.tensor(data(33 * 29, 2), [33, 29])),
        );
        await expectAllClose(child.again, again, { atol: 2e-4, rtol: 2e-4 }, 'after the failure, one thread');
        again.dispose();
      } finally {
        if (previous !== undefined) await tf.setBackend(previous);
      }
    },
    120_000,
  );

  it.skipIf(!existsSync(TSX))(
    'a process that used the workers exits by itself',
    async () => {
      const started = Date.now();
      const out = await new Promise<string>((ok, fail) => {
        execFile(TSX, ['--eval', EXITS], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
          if (err) fail(new Error(`child did not exit cleanly: ${err.message}\n${stderr}`));
          else ok(stdout);
        });
      });
      const last = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { threads: number; y: number };
      expect(last).toEqual({ threads: 2, y: 256 });
      expect(Date.now() - started).toBeLessThan(60_000);
    },
    90_000,
  );
});
