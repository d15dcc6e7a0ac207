/**
 * The repaired wasm `BatchMatMul` against the `cpu` backend: values and gradients for every transpose
 * combination, rank 2/3/4, batch 1 and > 1, broadcast batch dims; leaks; the stale-XNNPACK-operator hazard.
 */
import { seededValues as data, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import {
  _seenWeightsSize,
  _setParallelGemmMin,
  _setSeenWeightsLimit,
  setCachePackedWeights,
} from '../src/kernels/batch_mat_mul.js';
import { _parallelGemmCalls } from '../src/kernels/parallel_gemm.js';

const TOL = { atol: 2e-4, rtol: 2e-4 };

/** Run `fn` on `backend` with fresh tensors built from `inputs`; returns the outputs' values. */
async function run(
  backend: 'wasm' | 'cpu',
  inputs: { shape: number[]; values: Float32Array }[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<{ shape: number[]; values: Float32Array }[]> {
  await tf.setBackend(backend);
  const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
  const ys = fn(...xs);
  const out = await Promise.all(
    ys.map(async (y) => ({ shape: y.shape, values: (await y.data()) as Float32Array })),
  );
  tf.dispose([...xs, ...ys]);
  return out;
}

/** matMul values and both gradients (of a weighted sum) on wasm and on cpu. */
async function compare(aShape: number[], bShape: number[], ta: boolean, tb: boolean): Promise<void> {
  const a = { shape: aShape, values: data(tf.util.sizeFromShape(aShape), 1) };
  const b = { shape: bShape, values: data(tf.util.sizeFromShape(bShape), 2) };
  const outShape = [
    ...tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2)),
    ta ? aShape[aShape.length - 1]! : aShape[aShape.length - 2]!,
    tb ? bShape[bShape.length - 2]! : bShape[bShape.length - 1]!,
  ];
  const w = { shape: outShape, values: data(tf.util.sizeFromShape(outShape), 3) };
  const batchOut = outShape.slice(0, -2);
  const needsBroadcast =
    aShape.slice(0, -2).join() !== batchOut.join() || bShape.slice(0, -2).join() !== batchOut.join();
  // tfjs 4.22 has two broadcasting bugs around BatchMatMul: the cpu kernel mishandles mutual broadcasting
  // ([2,1,…]×[1,3,…]), and the registered gradient never sums over broadcast batch dims (it throws "gradient
  // of input 'b' has shape …"). So the cpu value, and the gradients on both backends, broadcast explicitly
  // first (the gradient of broadcastTo sums back); the wasm value runs the broadcasting kernel directly.
  const full = (p: tf.Tensor) => tf.broadcastTo(p, [...batchOut, ...p.shape.slice(-2)]);
  const body =
    (broadcastValue: boolean) =>
    (x: tf.Tensor, y: tf.Tensor, wt: tf.Tensor): tf.Tensor[] => {
      const y0 = broadcastValue ? tf.matMul(full(x), full(y), ta, tb) : tf.matMul(x, y, ta, tb);
      const f = (p: tf.Tensor, q: tf.Tensor) =>
        needsBroadcast ? tf.matMul(full(p), full(q), ta, tb) : tf.matMul(p, q, ta, tb);
      const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(f(p, q), wt)))([x, y]);
      return [y0, ...g];
    };
  const got = await run('wasm', [a, b, w], body(false));
  const want = await run('cpu', [a, b, w], body(needsBroadcast));
  await tf.setBackend('wasm');
  const names = ['value', 'd/da', 'd/db'];
  for (let i = 0; i < 3; i++) {
    expect(got[i]!.shape, names[i]).toEqual(want[i]!.shape);
    await expectAllClose(
      got[i]!.values,
      want[i]!.values,
      TOL,
      `${names[i]} of [${aShape}]×[${bShape}] ta=${ta} tb=${tb}`,
    );
  }
}

/** Shapes `[batchA…, M, K]`, `[batchB…, K, N]` before transposition. */
const SHAPES: { name: string; a: number[]; b: number[] }[] = [
  { name: 'rank 2', a: [7, 5], b: [5, 9] },
  { name: 'rank 2, 1×1 inner', a: [3, 1], b: [1, 4] },
  { name: 'rank 3, batch 1', a: [1, 6, 5], b: [1, 5, 4] },
  { name: 'rank 3, batch 3', a: [3, 6, 5], b: [3, 5, 4] },
  { name: 'rank 3 × rank 2 (shared b)', a: [3, 6, 5], b: [5, 4] },
  { name: 'rank 2 × rank 3 (shared a)', a: [6, 5], b: [3, 5, 4] },
  { name: 'rank 3, b batch 1 broadcast', a: [3, 6, 5], b: [1, 5, 4] },
  { name: 'rank 4, batch 2×3', a: [2, 3, 6, 5], b: [2, 3, 5, 4] },
  { name: 'rank 4, mutual broadcast 2×1 / 1×3', a: [2, 1, 6, 5], b: [1, 3, 5, 4] },
  { name: 'rank 4 × rank 3 broadcast', a: [2, 3, 6, 5], b: [3, 5, 4] },
  { name: 'rank 4 × rank 2', a: [2, 3, 6, 5], b: [5, 4] },
  { name: 'larger (XNNPACK tiles)', a: [2, 37, 70], b: [2, 70, 33] },
  { name: 'past the cache blocks (M > 128, K > 256)', a: [150, 300], b: [300, 21] },
];

function transposed(shape: number[], t: boolean): number[] {
  if (!t) return shape;
  const s = shape.slice();
  const r = s.length;
  [s[r - 2], s[r - 1]] = [s[r - 1]!, s[r - 2]!];
  return s;
}

describe('wasm BatchMatMul repair', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    expect(info.repairedKernels).toContain('BatchMatMul');
  });

  for (const { name, a, b } of SHAPES) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`${name}: transposeA=${ta} transposeB=${tb} matches cpu (values, gradients)`, async () => {
          await compare(transposed(a, ta), transposed(b, tb), ta, tb);
        });
      }
    }
  }

  it('leaks no tensor in any path', async () => {
    await tf.setBackend('wasm');
    const cases: [number[], number[]][] = [
      [
        [7, 5],
        [5, 9],
      ],
      [
        [3, 7, 5],
        [5, 9],
      ],
      [
        [7, 5],
        [3, 5, 9],
      ],
      [
        [3, 7, 5],
        [3, 5, 9],
      ],
      [
        [2, 1, 7, 5],
        [1, 3, 5, 9],
      ],
    ];
    for (const [sa, sb] of cases) {
      const a = tf.ones(sa);
      const b = tf.ones(sb);
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const x = ta ? tf.ones(transposed(sa, true)) : a;
          const y = tb ? tf.ones(transposed(sb, true)) : b;
          await expectNoLeak(() => tf.matMul(x, y, ta, tb).dispose(), `matMul [${sa}]×[${sb}] ${ta} ${tb}`);
          if (sa.length === sb.length && sa.slice(0, -2).join() === sb.slice(0, -2).join()) {
            await expectNoLeak(
              () =>
                tf.dispose(tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q, ta, tb)))([x, y])),
              `grad matMul [${sa}]×[${sb}] ${ta} ${tb}`,
            );
          }
          if (x !== a) x.dispose();
          if (y !== b) y.dispose();
        }
      }
      tf.dispose([a, b]);
    }
  });

  it('never serves a stale XNNPACK operator when a weight buffer is reused under another shape', async () => {
    await tf.setBackend('wasm');
    const w = tf.tensor(data(24, 5), [4, 6]);
    const first = tf.matMul(tf.ones([2, 4]), w); // operator cached for w as [4, 6]
    const w2 = tf.reshape(w, [6, 4]); // same data id, other shape
    const got = tf.matMul(tf.ones([2, 6]), w2);
    const want = tf.tile(tf.sum(w2, 0, true), [2, 1]);
    await expectAllClose(got, want, TOL, 'matMul with reshaped weights');
    tf.dispose([w, first, w2, got, want]);
  });

  it('forgets remembered weight ids past its limit (dead ones skipped, live ones evicted) and stays correct', async () => {
    await tf.setBackend('wasm');
    const prev = _setSeenWeightsLimit(4);
    try {
      const keep = tf.tensor(data(12, 11), [3, 4]);
      const x = tf.ones([2, 3]);
      for (let i = 0; i < 12; i++) {
        const w = tf.tensor(data(12, 20 + i), [3, 4]); // a fresh weight id each time, disposed at once
        tf.matMul(x, w).dispose();
        w.dispose();
        tf.matMul(x, keep).dispose();
      }
      expect(_seenWeightsSize()).toBeLessThanOrEqual(5);
      const got = tf.matMul(x, tf.reshape(keep, [3, 4]));
      const want = tf.tile(tf.sum(keep, 0, true), [2, 1]);
      await expectAllClose(got, want, TOL, 'matMul after the guard forgot and evicted ids');
      tf.dispose([keep, x, got, want]);
    } finally {
      _setSeenWeightsLimit(prev);
    }
  });

  it('cachePackedWeights off: the same values for every operand layout, and no weights id remembered', async () => {
    await tf.setBackend('wasm');
    const cases: [number[], number[], boolean, boolean][] = [
      [[5, 4], [4, 3], false, false], // weights b
      [[4, 5], [3, 4], true, true], // aᵀ·bᵀ as (b·a)ᵀ: a as weights
      [[4, 5], [4, 3], true, false],
      [[1, 4, 5], [2, 4, 3], true, false], // a shared, b batched: a as weights
    ];
    const results = async (cache: boolean) => {
      const prev = setCachePackedWeights(cache);
      try {
        const out: Float32Array[] = [];
        for (const [sa, sb, ta, tb] of cases) {
          const a = tf.tensor(data(tf.util.sizeFromShape(sa), 31), sa);
          const b = tf.tensor(data(tf.util.sizeFromShape(sb), 32), sb);
          const y = tf.matMul(a, b, ta, tb);
          out.push((await y.data()) as Float32Array);
          tf.dispose([a, b, y]);
        }
        return out;
      } finally {
        setCachePackedWeights(prev);
      }
    };
    const cached = await results(true);
    const seen = _seenWeightsSize();
    await expectNoLeak(async () => {
      const uncached = await results(false);
      expect(_seenWeightsSize()).toBe(seen);
      for (const [i, u] of uncached.entries())
        expect(Array.from(u)).toEqual(Array.from(cached[i] as Float32Array));
    });
  });

  it('stays correct over training steps in which the weights change every step', async () => {
    const steps = 4;
    const trace = async (backend: 'wasm' | 'cpu'): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const x = tf.tensor(data(6 * 5 * 8, 7), [6, 5, 8]);
      const target = tf.tensor(data(6 * 5 * 3, 8), [30, 3]);
      const w1 = tf.variable(tf.tensor(data(8 * 16, 9), [8, 16]));
      const w2 = tf.variable(tf.tensor(data(16 * 3, 10), [16, 3]));
      const opt = tf.train.sgd(0.1);
      const losses: number[] = [];
      for (let s = 0; s < steps; s++) {
        const loss = opt.minimize(() => {
          const h = tf.reshape(tf.relu(tf.matMul(tf.reshape(x, [30, 8]), w1)), [6, 5, 16]);
          const att = tf.softmax(tf.matMul(h, h, false, true));
          const y = tf.matMul(tf.reshape(tf.matMul(att, h), [30, 16]), w2);
          return tf.mean(tf.square(tf.sub(y, target)));
        }, true) as tf.Scalar;
        losses.push((await loss.data())[0]!);
        loss.dispose();
      }
      const out = new Float32Array([...losses, ...((await w1.data()) as Float32Array)]);
      tf.dispose([x, target, w1, w2]);
      opt.dispose();
      return out;
    };
    const got = await trace('wasm');
    const want = await trace('cpu');
    await tf.setBackend('wasm');
    await expectAllClose(got, want, { atol: 1e-3, rtol: 1e-3 }, 'losses and trained weights');
  });
});

describe('wasm BatchMatMul repair, every GEMM on the parallel kernel (one thread here)', () => {
  let prev: { rows: number; flops: number };
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    prev = _setParallelGemmMin({ rows: 1, flops: 0 });
  });
  afterAll(() => {
    _setParallelGemmMin(prev);
  });

  for (const { name, a, b } of SHAPES) {
    it(`${name}: every transpose combination matches cpu (values, gradients)`, async () => {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          await compare(transposed(a, ta), transposed(b, tb), ta, tb);
        }
      }
    });
  }

  it('is the kernel that ran: 2-D products and shared weights reach it, with B read in place when transposed', async () => {
    await tf.setBackend('wasm');
    const before = _parallelGemmCalls();
    tf.tidy(() => {
      tf.matMul(tf.ones([70, 33]), tf.ones([33, 29]));
      tf.matMul(tf.ones([3, 70, 33]), tf.ones([29, 33]), false, true);
    });
    expect(_parallelGemmCalls() - before).toBe(2);
    const off = _setParallelGemmMin({ rows: Number.POSITIVE_INFINITY, flops: 0 });
    try {
      const mid = _parallelGemmCalls();
      tf.tidy(() => tf.matMul(tf.ones([70, 33]), tf.ones([33, 29])));
      expect(_parallelGemmCalls()).toBe(mid); // below the threshold: XNNPACK
    } finally {
      _setParallelGemmMin(off);
    }
    await initBackend({ backend: 'wasm', threads: 1, parallelGemm: false });
    try {
      const mid = _parallelGemmCalls();
      tf.tidy(() => tf.matMul(tf.ones([70, 33]), tf.ones([33, 29])));
      expect(_parallelGemmCalls()).toBe(mid); // initBackend({ parallelGemm: false }): XNNPACK
    } finally {
      await initBackend({ backend: 'wasm', threads: 1 });
    }
    const last = _parallelGemmCalls();
    tf.tidy(() => tf.matMul(tf.ones([70, 33]), tf.ones([33, 29])));
    expect(_parallelGemmCalls()).toBe(last + 1);
  });

  it('leaks no tensor (values and gradients, transposed operands)', async () => {
    await tf.setBackend('wasm');
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const x = tf.ones(ta ? [33, 70] : [70, 33]);
      const y = tf.ones(tb ? [29, 33] : [33, 29]);
      await expectNoLeak(() => tf.matMul(x, y, ta, tb).dispose(), `matMul ${ta} ${tb}`);
      await expectNoLeak(
        () => tf.dispose(tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q, ta, tb)))([x, y])),
        `grad matMul ${ta} ${tb}`,
      );
      tf.dispose([x, y]);
    }
  });
});
