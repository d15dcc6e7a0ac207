/**
 * The wasm repairs on a second wasm backend instance (a new wasm module: what `setupWasm` does when it
 * re-initialises wasm with other flags), in a child process (the shared test process keeps its instance):
 * the repairs stay registered, `repairWasmKernels()` again builds on the same stock configs, and every
 * result — repaired paths and the paths handed back to the stock kernels, which tfjs sets up again for the
 * new instance through the repair configs — is bit-for-bit the first instance's.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTsxChild, TSX } from './node_child.js';

const CHILD = `
(async () => {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { setupWasm } = await import('./packages/runtime/src/wasm/setup.ts');
  const { repairWasmKernels } = await import('./packages/runtime/src/kernels/index.ts');
  const { isRepairConfig, stockOf } = await import('./packages/runtime/src/kernels/repair_config.ts');
  const data = (size, seed) => { const out = new Float32Array(size); let s = (seed * 2654435761) >>> 0;
    for (let i = 0; i < size; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1; }
    return out; };
  const t = (shape, seed) => tf.tensor(data(shape.reduce((a, b) => a * b, 1), seed), shape);
  const cases = {
    matMul: () => tf.matMul(t([37, 50], 1), t([50, 29], 2)),
    matMulTT: () => tf.matMul(t([50, 37], 1), t([29, 50], 2), true, true),
    attention: () => tf.matMul(t([4, 17, 20], 3), t([4, 19, 20], 4), false, true),
    broadcast: () => tf.matMul(t([20, 6], 3), t([4, 20, 7], 4), true, false),
    slice: () => tf.slice(t([7, 9, 5], 5), [1, 2, 0], [3, 4, 5]),
    split: () => tf.split(t([30, 12], 6), 3, 1),
    winograd: () => tf.conv2d(t([2, 12, 12, 16], 7), t([3, 3, 16, 32], 8), 1, 'same'),
    fused: () => tf.fused.conv2d({ x: t([1, 10, 10, 16], 9), filter: t([3, 3, 16, 16], 10), strides: 1,
      pad: 'same', bias: t([16], 11), activation: 'relu' }),
    stockConv5x5: () => tf.conv2d(t([1, 9, 9, 4], 12), t([5, 5, 4, 8], 13), 1, 'valid'),
    stockStringSlice: () => tf.slice(tf.tensor(['a', 'b', 'c', 'd']), [1], [2]),
    stockInt32MatMul: () => tf.matMul(tf.tensor([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor([[5, 6], [7, 8]], undefined, 'int32')),
    einsum: () => tf.einsum('bij,bjk->bik', t([2, 3, 4], 14), t([2, 4, 5], 15)),
    gradConv: () => tf.grads((x, f) => tf.sum(tf.conv2d(x, f, 1, 'same')))([t([1, 6, 6, 4], 16), t([3, 3, 4, 8], 17)]),
  };
  const run = () => {
    const out = {};
    for (const [name, f] of Object.entries(cases)) {
      try {
        const r = f();
        out[name] = (Array.isArray(r) ? r : [r]).map((x) => {
          const v = x.dataSync();
          x.dispose();
          return typeof v[0] === 'string' || v.length === 0 ? Array.from(v) : Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
        });
      } catch (e) {
        out[name] = 'error: ' + e.message;
      }
    }
    return out;
  };
  const names = ['BatchMatMul', 'Slice', 'Conv2D', 'FusedConv2D'];
  const stock0 = names.map((n) => tf.getKernel(n, 'wasm'));
  await setupWasm({ threads: 1, simd: true });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not initialise');
  repairWasmKernels();
  const module1 = tf.backend().wasm;
  const first = run();

  // a second backend instance: same factory, new wasm module
  const factory = tf.findBackendFactory('wasm');
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
  if (!(await tf.setBackend('wasm'))) throw new Error('second wasm instance did not initialise');
  const module2 = tf.backend().wasm;
  const stillRepaired = names.every((n) => isRepairConfig(tf.getKernel(n, 'wasm')));
  const second = run();
  repairWasmKernels();
  const third = run();
  const sameStock = names.every((n, i) => stockOf(tf.getKernel(n, 'wasm')) === stock0[i]);
  process.stdout.write(JSON.stringify({ newModule: module1 !== module2, stillRepaired, sameStock, first, second, third }) + '\\n',
    () => process.exit(0));
})().catch((e) => { console.error(e); process.exit(1); });
`;

type Results = Record<string, number[][] | string[][] | string>;
type ChildResult = {
  newModule: boolean;
  stillRepaired: boolean;
  sameStock: boolean;
  first: Results;
  second: Results;
  third: Results;
};

describe('wasm repairs on a second backend instance (child process)', () => {
  it.skipIf(!existsSync(TSX))(
    'stay registered, re-register on the same stock kernels, and give bit-identical results',
    async () => {
      const r = await runTsxChild<ChildResult>(CHILD);
      expect(r.newModule).toBe(true);
      expect(r.stillRepaired).toBe(true);
      expect(r.sameStock).toBe(true);
      expect(r.first.stockInt32MatMul).toBe(
        'error: BatchMatMul for non non-float32 tensors not yet supported.',
      );
      expect(r.first.stockStringSlice).toEqual([['b', 'c']]);
      for (const [name, v] of Object.entries(r.first)) {
        if (typeof v !== 'string') expect(v.length, name).toBeGreaterThan(0);
      }
      expect(r.second).toEqual(r.first);
      expect(r.third).toEqual(r.first);
    },
  );
});
