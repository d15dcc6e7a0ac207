/**
 * The SIMD batched-GEMM kernel on the threaded wasm backend (Node, child process: the backend initialises
 * once per process): it must import the shared `WebAssembly.Memory` and match `cpu` for every transpose
 * combination of a batched product.
 */
import { existsSync } from 'node:fs';
import { seededValues as data, expectAllClose } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { runTsxChild, TSX } from './node_child.js';

// [batch, M, K] × [batch, K, N] before transposition
const B = 3;
const M = 13;
const K = 10;
const N = 11;

const CHILD = `
(async () => {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { setupWasm } = await import('./packages/runtime/src/wasm/setup.ts');
  const { repairWasmKernels } = await import('./packages/runtime/src/kernels/index.ts');
  const { batchedGemmFor } = await import('./packages/runtime/src/kernels/batched_gemm.ts');
  const { seededValues } = await import('./tools/test-utils/src/index.ts');
  const state = await setupWasm({ threads: 2, simd: true });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not initialise');
  repairWasmKernels();
  const w = tf.backend().wasm;
  const shared = typeof SharedArrayBuffer !== 'undefined' && w.HEAPF32.buffer instanceof SharedArrayBuffer;
  const loaded = batchedGemmFor(tf.backend()) !== undefined;
  const results = [];
  for (const ta of [false, true]) for (const tb of [false, true]) {
    const a = tf.tensor(seededValues(${B * M * K}, 1), ta ? [${B}, ${K}, ${M}] : [${B}, ${M}, ${K}]);
    const b = tf.tensor(seededValues(${B * K * N}, 2), tb ? [${B}, ${N}, ${K}] : [${B}, ${K}, ${N}]);
    const y = tf.matMul(a, b, ta, tb);
    results.push(Array.from(y.dataSync()));
    tf.dispose([a, b, y]);
  }
  process.stdout.write(JSON.stringify({ state, shared, loaded, results }) + '\\n', () => process.exit(0));
})().catch((e) => { console.error(e); process.exit(1); });
`;

type ChildResult = {
  state: { simd: boolean; threads: number };
  shared: boolean;
  loaded: boolean;
  results: number[][];
};

describe('wasm batched GEMM kernel with threads (shared memory, child process)', () => {
  it.skipIf(!existsSync(TSX))(
    'imports the shared heap and matches cpu for every transpose combination',
    async () => {
      const child = await runTsxChild<ChildResult>(CHILD);
      expect(child.state).toEqual({ simd: true, threads: 2 });
      expect(child.shared).toBe(true);
      expect(child.loaded).toBe(true);
      const previous = tf.getBackend();
      await tf.setBackend('cpu');
      try {
        let i = 0;
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const want = tf.tidy(() =>
              tf.matMul(
                tf.tensor(data(B * M * K, 1), ta ? [B, K, M] : [B, M, K]),
                tf.tensor(data(B * K * N, 2), tb ? [B, N, K] : [B, K, N]),
                ta,
                tb,
              ),
            );
            await expectAllClose(
              child.results[i++]!,
              want,
              { atol: 2e-4, rtol: 2e-4 },
              `threads ta=${ta} tb=${tb}`,
            );
            want.dispose();
          }
        }
      } finally {
        if (previous !== undefined) await tf.setBackend(previous);
      }
    },
  );
});
