/**
 * The SIMD batched-GEMM kernel behind the wasm `BatchMatMul` ("both operands batched" case) against `cpu`:
 * values and gradients for every transpose combination at sizes that hit every edge of its 4 × 8 blocking
 * (M mod 4, N mod 8, N < 4, K = 1), broadcasting, attention shapes; the XNNPACK path it replaces (still used
 * above the size threshold or when the kernel cannot load) against the same references; leaks.
 */
import { seededValues as data, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { _setSimdMaxFlops } from '../src/kernels/batch_mat_mul.js';
import { _disableBatchedGemm, batchedGemmFor } from '../src/kernels/batched_gemm.js';

const TOL = { atol: 2e-4, rtol: 2e-4 };

/** Value and gradients (of a weighted sum) of `matMul(a, b, ta, tb)` on `backend`, same-batch operands. */
async function valueAndGrads(
  backend: 'wasm' | 'cpu',
  aShape: number[],
  bShape: number[],
  ta: boolean,
  tb: boolean,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const a = tf.tensor(data(tf.util.sizeFromShape(aShape), 1), aShape);
  const b = tf.tensor(data(tf.util.sizeFromShape(bShape), 2), bShape);
  const y = tf.matMul(a, b, ta, tb);
  const w = tf.tensor(data(y.size, 3), y.shape);
  const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([a, b]);
  const out = await Promise.all([y, ...g].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([a, b, y, w, ...g]);
  return out;
}

/** `[batch…, M, K]`, `[batch…, K, N]` before transposition; both operands batched (the kernel's case). */
const SHAPES: { name: string; m: number; k: number; n: number; batch: number[] }[] = [
  { name: 'tiny 1×1×1', m: 1, k: 1, n: 1, batch: [3] },
  { name: 'K = 1', m: 5, k: 1, n: 9, batch: [2] },
  { name: 'N < 4 (3), M mod 4 = 3', m: 7, k: 5, n: 3, batch: [3] },
  { name: 'N in 4..7 (6)', m: 4, k: 6, n: 6, batch: [2] },
  { name: 'N = 8, M = 8', m: 8, k: 3, n: 8, batch: [2] },
  { name: 'N = 13, M = 9', m: 9, k: 11, n: 13, batch: [2, 2] },
  { name: 'attention-like 50×64×50', m: 50, k: 64, n: 50, batch: [2, 3] },
  { name: 'attention-like 77×77×64', m: 77, k: 77, n: 64, batch: [2] },
];

function shapes(s: (typeof SHAPES)[number], ta: boolean, tb: boolean): [number[], number[]] {
  return [
    [...s.batch, ...(ta ? [s.k, s.m] : [s.m, s.k])],
    [...s.batch, ...(tb ? [s.n, s.k] : [s.k, s.n])],
  ];
}

describe('wasm batched GEMM kernel (SIMD)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });
  afterEach(() => {
    _disableBatchedGemm(false);
  });

  it('loads on the wasm heap (imports tfjs-backend-wasm’s memory)', async () => {
    await tf.setBackend('wasm');
    expect(batchedGemmFor(tf.backend() as never)).toBeDefined();
  });

  for (const s of SHAPES) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`${s.name} [${s.batch}]: transposeA=${ta} transposeB=${tb} matches cpu (values, gradients)`, async () => {
          const [as, bs] = shapes(s, ta, tb);
          const got = await valueAndGrads('wasm', as, bs, ta, tb);
          const want = await valueAndGrads('cpu', as, bs, ta, tb);
          await tf.setBackend('wasm');
          const names = ['value', 'd/da', 'd/db'];
          for (let i = 0; i < 3; i++)
            await expectAllClose(got[i]!, want[i]!, TOL, `${names[i]} of ${s.name}`);
        });
      }
    }
  }

  it('broadcasts batch dims ([2,1]×[1,3], [2,3]×[3], [1]×[4]) like an explicit broadcast on cpu', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[2, 1, 6, 5], [1, 3, 5, 9], false, false],
      [[2, 1, 5, 6], [1, 3, 9, 5], true, true],
      [[2, 3, 6, 5], [3, 5, 9], false, false],
      [[2, 3, 6, 5], [3, 9, 5], false, true],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      await tf.setBackend('wasm');
      const a = tf.tensor(data(tf.util.sizeFromShape(sa), 4), sa);
      const b = tf.tensor(data(tf.util.sizeFromShape(sb), 5), sb);
      const got = tf.matMul(a, b, ta, tb);
      const gotV = await got.data();
      const outer = got.shape.slice(0, -2);
      const shape = got.shape;
      tf.dispose([a, b, got]);
      await tf.setBackend('cpu');
      const ac = tf.tensor(data(tf.util.sizeFromShape(sa), 4), sa);
      const bc = tf.tensor(data(tf.util.sizeFromShape(sb), 5), sb);
      const want = tf.matMul(
        tf.broadcastTo(ac, [...outer, ...sa.slice(-2)]),
        tf.broadcastTo(bc, [...outer, ...sb.slice(-2)]),
        ta,
        tb,
      );
      expect(shape).toEqual(want.shape);
      await expectAllClose(gotV, want, TOL, `broadcast [${sa}]×[${sb}] ${ta} ${tb}`);
      tf.dispose([ac, bc, want]);
    }
    await tf.setBackend('wasm');
  });

  it('agrees with the XNNPACK per-slice path (kernel disabled, and above the size threshold)', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor(data(2 * 3 * 50 * 64, 6), [2, 3, 50, 64]);
    const b = tf.tensor(data(2 * 3 * 50 * 64, 7), [2, 3, 50, 64]);
    const simd = tf.matMul(a, b, false, true);
    _disableBatchedGemm(true);
    const off = tf.matMul(a, b, false, true);
    _disableBatchedGemm(false);
    const prev = _setSimdMaxFlops(0);
    let above: tf.Tensor;
    try {
      above = tf.matMul(a, b, false, true);
    } finally {
      _setSimdMaxFlops(prev);
    }
    await expectAllClose(simd, off, TOL, 'SIMD kernel vs XNNPACK (disabled)');
    await expectAllClose(simd, above, TOL, 'SIMD kernel vs XNNPACK (threshold)');
    tf.dispose([a, b, simd, off, above]);
  });

  it('keeps the XNNPACK path correct for every transpose combination when the kernel is off', async () => {
    const s = SHAPES[5]!;
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const [as, bs] = shapes(s, ta, tb);
        _disableBatchedGemm(true);
        const got = await valueAndGrads('wasm', as, bs, ta, tb);
        _disableBatchedGemm(false);
        const want = await valueAndGrads('cpu', as, bs, ta, tb);
        for (let i = 0; i < 3; i++) await expectAllClose(got[i]!, want[i]!, TOL, `XNNPACK ${ta} ${tb} #${i}`);
      }
    }
    await tf.setBackend('wasm');
  });

  it('attention forward+backward [2,3,50,16] matches cpu', async () => {
    const shape = [2, 3, 50, 16];
    const run = async (backend: 'wasm' | 'cpu') => {
      await tf.setBackend(backend);
      const [q, k, v, w] = [1, 2, 3, 4].map((s) => tf.tensor(data(2 * 3 * 50 * 16, 10 + s), shape));
      const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.mul(tf.matMul(tf.softmax(tf.div(tf.matMul(x, y, false, true), 4)), z), w!));
      const g = tf.grads(f)([q!, k!, v!]);
      const out = await Promise.all(g.map(async (t) => (await t.data()) as Float32Array));
      tf.dispose([q!, k!, v!, w!, ...g]);
      return out;
    };
    const got = await run('wasm');
    const want = await run('cpu');
    await tf.setBackend('wasm');
    for (let i = 0; i < 3; i++)
      await expectAllClose(got[i]!, want[i]!, { atol: 5e-4, rtol: 5e-4 }, `grad ${i}`);
  });

  it('leaks no tensor (values and gradients)', async () => {
    await tf.setBackend('wasm');
    const a = tf.ones([3, 7, 5]);
    const b = tf.ones([3, 5, 9]);
    // warm up: the kernel's packing scratch is allocated once per module (not a tensor)
    tf.matMul(a, b).dispose();
    await expectNoLeak(() => tf.matMul(a, b).dispose(), 'batched matMul');
    await expectNoLeak(
      () => tf.dispose(tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q)))([a, b])),
      'batched matMul gradients',
    );
    tf.dispose([a, b]);
  });
});
