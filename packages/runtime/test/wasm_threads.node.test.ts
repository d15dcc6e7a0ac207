/**
 * wasm with 2 threads in Node. Node-only (it spawns a child process: the wasm backend can be initialised
 * once per process, and the shared test process — `isolate: false` — already runs it single-threaded).
 * The child initialises wasm with `setupWasm({ threads: 2 })`, registers the repairs and computes matMul
 * (plain, transposed, batched) and conv2d, which are compared with `cpu` here.
 */
import { existsSync } from 'node:fs';
import { expectAllClose } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { runTsxChild, TSX } from './node_child.js';

/** Deterministic inputs, the same formula in the child (kept as source text). */
const DATA_SRC = `(size, seed) => { const out = new Float32Array(size); let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1; } return out; }`;
const data = new Function(`return ${DATA_SRC}`)() as (size: number, seed: number) => Float32Array;

type Case = { name: string; run: (t: typeof tf) => tf.Tensor };
const CASES: Case[] = [
  {
    name: 'matMul 200×300·300×150',
    run: (t) => t.matMul(t.tensor(data(200 * 300, 1), [200, 300]), t.tensor(data(300 * 150, 2), [300, 150])),
  },
  {
    name: 'matMul transposeA/B 300×200ᵀ·150×300ᵀ',
    run: (t) =>
      t.matMul(
        t.tensor(data(300 * 200, 3), [300, 200]),
        t.tensor(data(150 * 300, 4), [150, 300]),
        true,
        true,
      ),
  },
  {
    name: 'batched matMul 16×50×64·(16×50×64)ᵀ',
    run: (t) =>
      t.matMul(
        t.tensor(data(16 * 50 * 64, 5), [16, 50, 64]),
        t.tensor(data(16 * 50 * 64, 6), [16, 50, 64]),
        false,
        true,
      ),
  },
  {
    name: 'conv2d 4×32×32×16 * 3×3×16×32',
    run: (t) =>
      t.conv2d(
        t.tensor(data(4 * 32 * 32 * 16, 7), [4, 32, 32, 16]) as tf.Tensor4D,
        t.tensor(data(3 * 3 * 16 * 32, 8), [3, 3, 16, 32]) as tf.Tensor4D,
        1,
        'same',
      ),
  },
];

const CHILD = `
(async () => {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { setupWasm } = await import('./packages/runtime/src/wasm/setup.ts');
  const { repairWasmKernels } = await import('./packages/runtime/src/kernels/index.ts');
  const state = await setupWasm({ threads: 2, simd: true });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not initialise');
  repairWasmKernels();
  const data = ${DATA_SRC};
  const cases = [${CASES.map((c) => c.run.toString()).join(',\n')}];
  const results = cases.map((run) => { const y = run(tf); const v = Array.from(y.dataSync()); y.dispose(); return v; });
  // exit only once the pipe has taken everything (process.exit would truncate it)
  process.stdout.write(JSON.stringify({ state, backend: tf.getBackend(), results }) + '\\n', () => process.exit(0));
})().catch((e) => { console.error(e); process.exit(1); });
`;

type ChildResult = {
  state: { simd: boolean; threads: number };
  backend: string;
  results: number[][];
};

describe('wasm threads in Node (child process)', () => {
  it.skipIf(!existsSync(TSX))('initialises with 2 threads and matches cpu on matMul and conv2d', async () => {
    const child = await runTsxChild<ChildResult>(CHILD);
    expect(child.backend).toBe('wasm');
    expect(child.state).toEqual({ simd: true, threads: 2 });
    const previous = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      for (let i = 0; i < CASES.length; i++) {
        const want = tf.tidy(() => CASES[i]!.run(tf));
        await expectAllClose(child.results[i]!, want, { atol: 5e-4, rtol: 5e-4 }, CASES[i]!.name);
        want.dispose();
      }
    } finally {
      if (previous !== undefined) await tf.setBackend(previous);
    }
  });
});
