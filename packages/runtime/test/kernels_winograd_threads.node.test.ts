/**
 * The Winograd F(4×4, 3×3) convolution on the threaded wasm backend (Node, child process: the backend
 * initialises once per process): its C transforms must instantiate on the shared `WebAssembly.Memory`, and
 * the PyTorch golden cases (a) and (c) of `tools/golden/winograd_conv.py` must come out right with the GEMMs
 * on two threads — in one chunk and in several.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expectAllClose } from '@pir/test-utils';
import { describe, expect, it } from 'vitest';
import { runTsxChild, TSX } from './node_child.js';
import { decodeWinogradCases } from './winograd_fixture.js';

const FIXTURE = 'packages/runtime/test/fixtures/winograd-conv.json';
const NAMES = ['a', 'c'];

const CHILD = `
(async () => {
  const { readFileSync } = await import('node:fs');
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { setupWasm } = await import('./packages/runtime/src/wasm/setup.ts');
  const { repairWasmKernels } = await import('./packages/runtime/src/kernels/index.ts');
  const wino = await import('./packages/runtime/src/kernels/conv_winograd.ts');
  const { decodeWinogradCases } = await import('./packages/runtime/test/winograd_fixture.ts');
  const state = await setupWasm({ threads: 2, simd: true });
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not initialise');
  repairWasmKernels();
  const w = tf.backend().wasm;
  const shared = typeof SharedArrayBuffer !== 'undefined' && w.HEAPF32.buffer instanceof SharedArrayBuffer;
  const cases = decodeWinogradCases(JSON.parse(readFileSync('${FIXTURE}', 'utf8')))
    .filter((c) => ${JSON.stringify(NAMES)}.includes(c.name));
  const results = [];
  for (const c of cases) {
    const x = tf.tensor4d(c.x.values, c.x.shape);
    const filter = tf.tensor4d(c.filter.values, c.filter.shape);
    const bias = c.bias ? tf.tensor1d(c.bias.values) : undefined;
    const planned = wino.winogradPlan(x, filter, { strides: 1, pad: c.pad, dataFormat: 'NHWC' }) !== undefined;
    const run = () => {
      const y = tf.fused.conv2d({ x, filter, strides: 1, pad: c.pad, bias, activation: c.activation });
      const v = Array.from(y.dataSync());
      y.dispose();
      return v;
    };
    const before = wino._winogradCachedFilters(tf.backend()) ?? 0;
    const whole = run();
    const cached = wino._winogradCachedFilters(tf.backend());
    // several chunks (3 tiles each, not dividing the tile count), spread over the two threads' GEMMs
    const prev = wino._setWinogradChunkBytes(3 * 36 * 4 * (c.filter.shape[2] + c.filter.shape[3]));
    const chunked = run();
    wino._setWinogradChunkBytes(prev);
    tf.dispose([x, filter, bias].filter((t) => t !== undefined));
    const after = wino._winogradCachedFilters(tf.backend());
    results.push({ name: c.name, planned, before, cached, after, whole, chunked });
  }
  process.stdout.write(JSON.stringify({ state, shared, results }) + '\\n', () => process.exit(0));
})().catch((e) => { console.error(e); process.exit(1); });
`;

type ChildResult = {
  state: { simd: boolean; threads: number };
  shared: boolean;
  results: {
    name: string;
    planned: boolean;
    before: number;
    cached: number | undefined;
    after: number | undefined;
    whole: number[];
    chunked: number[];
  }[];
};

describe('wasm Winograd convolution with threads (shared memory, child process)', () => {
  it.skipIf(!existsSync(TSX))(
    'loads on the shared heap and matches PyTorch for golden cases (a) and (c), in one chunk and in several',
    async () => {
      const child = await runTsxChild<ChildResult>(CHILD);
      expect(child.state).toEqual({ simd: true, threads: 2 });
      expect(child.shared).toBe(true);
      const cases = decodeWinogradCases(
        JSON.parse(readFileSync(new URL('./fixtures/winograd-conv.json', import.meta.url), 'utf8')),
      ).filter((c) => NAMES.includes(c.name));
      expect(child.results.map((r) => r.name)).toEqual(NAMES);
      for (const [i, c] of cases.entries()) {
        const r = child.results[i]!;
        expect(r.planned, `${c.name}: takes the Winograd path`).toBe(true);
        // the kernels loaded on the shared memory and cached this filter (freed again with it)
        expect(r.cached, `${c.name}: transformed filters cached`).toBeTypeOf('number');
        expect(r.cached).toBe(r.before + 1);
        expect(r.cached).toBeGreaterThan(0);
        expect(r.after).toBe(r.before);
        // same tolerance as kernels_winograd.test.ts (Winograd rounding ≈ 1e-6..1e-5 of the scale)
        const tol = { atol: 1e-4 * c.scale, rtol: 1e-4 };
        await expectAllClose(r.whole, c.y.values, tol, `threads ${c.name}`);
        await expectAllClose(r.chunked, c.y.values, tol, `threads ${c.name}, chunks of 3 tiles`);
      }
    },
  );
});
