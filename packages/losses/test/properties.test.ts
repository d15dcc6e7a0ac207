/**
 * Property tests (fast-check) on the cpu backend: bounds, invariances, equivalences between code paths and
 * monotonicity.
 */
import { Rng } from '@pir/runtime';
import { describeBackends } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { affiliationLoss, clipLoss, multiPositiveInfoNCE, tripletLoss } from '../src/index.js';
import { randomRows } from './data.js';

const RUNS = { numRuns: 40, seed: 4242 };

/** A random batch: unit rows, ids drawn from a few images, labels from a few classes. */
const batchArb = fc
  .record({
    seed: fc.integer(),
    b: fc.integer({ min: 1, max: 7 }),
    d: fc.integer({ min: 2, max: 6 }),
    nIds: fc.integer({ min: 1, max: 7 }),
    nLabels: fc.integer({ min: 1, max: 4 }),
    tau: fc.double({ min: 0.05, max: 1, noNaN: true }),
  })
  .map(({ seed, b, d, nIds, nLabels, tau }) => {
    const rng = new Rng(seed);
    return {
      v: randomRows(rng, b, d),
      t: randomRows(rng, b, d),
      ids: Array.from({ length: b }, () => rng.int(nIds)),
      labels: Array.from({ length: b }, () => `class${rng.int(nLabels)}`),
      perm: Array.from(rng.permutation(b)),
      tau,
    };
  });

type Batch = { v: number[][]; t: number[][]; ids: number[]; labels: string[]; tau: number };

/** Every loss on one batch, as numbers (all tensors disposed). */
function allLosses(x: Batch): Record<string, number> {
  return tf.tidy(() => {
    const v = tf.tensor2d(x.v);
    const t = tf.tensor2d(x.t);
    const out: Record<string, tf.Scalar> = {
      infonce: multiPositiveInfoNCE(v, t, x.ids, { temperature: x.tau }),
      clip: clipLoss(v, t, { logScale: Math.log(1 / x.tau) }),
      tripletSum: tripletLoss(v, t),
      tripletHardest: tripletLoss(v, t, { reduction: 'hardest' }),
      tripletMasked: tripletLoss(v, t, { reduction: 'hardest', imageIds: x.ids }),
      affItr: affiliationLoss(v, t, x.labels, { temperature: x.tau, direction: 'itr' }),
      affClip: affiliationLoss(v, t, x.labels, { temperature: x.tau, direction: 'clip' }),
    };
    return Object.fromEntries(Object.entries(out).map(([k, s]) => [k, s.dataSync()[0] as number]));
  });
}

function permute<T>(xs: T[], perm: number[]): T[] {
  return perm.map((i) => xs[i] as T);
}

function one(f: () => tf.Scalar): number {
  return tf.tidy(() => f().dataSync()[0] as number);
}

describeBackends('properties', () => {
  it('every loss is finite and ≥ 0', () => {
    fc.assert(
      fc.property(batchArb, (x) => {
        for (const [k, l] of Object.entries(allLosses(x))) {
          expect(Number.isFinite(l), k).toBe(true);
          expect(l, k).toBeGreaterThanOrEqual(-1e-6);
        }
      }),
      RUNS,
    );
  });

  it('every loss is invariant to the batch order (V, T, ids, labels permuted together)', () => {
    fc.assert(
      fc.property(batchArb, (x) => {
        const a = allLosses(x);
        const b = allLosses({
          v: permute(x.v, x.perm),
          t: permute(x.t, x.perm),
          ids: permute(x.ids, x.perm),
          labels: permute(x.labels, x.perm),
          tau: x.tau,
        });
        for (const k of Object.keys(a)) expect(b[k], k).toBeCloseTo(a[k] as number, 4);
      }),
      RUNS,
    );
  });

  it('InfoNCE with all-distinct ids equals the standard symmetric CE (CLIP loss at 1/τ)', () => {
    fc.assert(
      fc.property(batchArb, (x) => {
        const distinct = x.v.map((_, i) => 100 + 3 * i);
        const v = () => tf.tensor2d(x.v);
        const t = () => tf.tensor2d(x.t);
        const a = one(() => multiPositiveInfoNCE(v(), t(), distinct, { temperature: x.tau }));
        const b = one(() => clipLoss(v(), t(), { temperature: x.tau }));
        const c = one(() => clipLoss(v(), t(), { logScale: Math.log(1 / x.tau) }));
        expect(a).toBeCloseTo(b, 4);
        expect(a).toBeCloseTo(c, 4);
      }),
      RUNS,
    );
  });

  it('ids as number[], Int32Array and int32 tensor give the same loss', () => {
    fc.assert(
      fc.property(batchArb, (x) => {
        const run = (ids: number[] | Int32Array | tf.Tensor1D) =>
          one(() => multiPositiveInfoNCE(tf.tensor2d(x.v), tf.tensor2d(x.t), ids, { temperature: x.tau }));
        const a = run(x.ids);
        expect(run(Int32Array.from(x.ids))).toBeCloseTo(a, 5);
        expect(tf.tidy(() => run(tf.tensor1d(x.ids, 'int32')))).toBeCloseTo(a, 5);
      }),
      RUNS,
    );
  });

  it('affiliation with singleton classes: clip direction = CLIP loss at τ, itr = one-sided CE', () => {
    fc.assert(
      fc.property(batchArb, (x) => {
        const singletons = x.v.map((_, i) => `img${i}`);
        const v = () => tf.tensor2d(x.v);
        const t = () => tf.tensor2d(x.t);
        const clip = one(() =>
          affiliationLoss(v(), t(), singletons, { temperature: x.tau, direction: 'clip' }),
        );
        expect(clip).toBeCloseTo(
          one(() => clipLoss(v(), t(), { temperature: x.tau })),
          4,
        );
        const itr = one(() =>
          affiliationLoss(v(), t(), singletons, { temperature: x.tau, direction: 'itr' }),
        );
        // Bmᵀ = (T Vᵀ)ᵀ = A: both halves are the image→caption CE.
        const ce = one(() => {
          const logits = tf.div(tf.matMul(v(), t(), false, true), x.tau);
          return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.eye(x.v.length)), 1))) as tf.Scalar;
        });
        expect(itr).toBeCloseTo(ce, 4);
      }),
      RUNS,
    );
  });

  it('triplet: hardest ≤ sum, and masking with all-distinct ids changes nothing', () => {
    fc.assert(
      fc.property(batchArb, (x) => {
        const v = () => tf.tensor2d(x.v);
        const t = () => tf.tensor2d(x.t);
        const distinct = x.v.map((_, i) => i);
        for (const reduction of ['sum', 'hardest'] as const) {
          const plain = one(() => tripletLoss(v(), t(), { reduction }));
          expect(one(() => tripletLoss(v(), t(), { reduction, imageIds: distinct }))).toBeCloseTo(plain, 5);
        }
        expect(one(() => tripletLoss(v(), t(), { reduction: 'hardest' }))).toBeLessThanOrEqual(
          one(() => tripletLoss(v(), t())) + 1e-6,
        );
      }),
      RUNS,
    );
  });

  it('the loss decreases when a matched pair becomes more similar (others unchanged)', () => {
    // V = identity rows, so S_ij = T_j[i]: raising T_i[i] raises S_ii alone.
    const arb = fc.record({
      seed: fc.integer(),
      b: fc.integer({ min: 2, max: 6 }),
      i: fc.nat(),
      delta: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
      tau: fc.double({ min: 0.2, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(arb, ({ seed, b, i, delta, tau }) => {
        const rng = new Rng(seed);
        const k = i % b;
        const t0 = Array.from({ length: b }, () => Array.from({ length: b }, () => rng.uniform(-1, 1)));
        const t1 = t0.map((row, r) => row.map((x, c) => (r === k && c === k ? x + delta : x)));
        const ids = t0.map((_, r) => r);
        const losses = (t: number[][]) =>
          tf.tidy(() => {
            const v = tf.eye(b) as tf.Tensor2D;
            const tt = tf.tensor2d(t);
            return [
              multiPositiveInfoNCE(v, tt, ids, { temperature: tau }),
              clipLoss(v, tt, { temperature: tau }),
              affiliationLoss(v, tt, ids, { temperature: tau, direction: 'clip' }),
            ].map((s) => s.dataSync()[0] as number);
          });
        const before = losses(t0);
        const after = losses(t1);
        for (const [n, l] of before.entries()) expect(after[n], `loss ${n}`).toBeLessThan(l);
        // the hinge never increases
        const hinge = (t: number[][]) => one(() => tripletLoss(tf.eye(b) as tf.Tensor2D, tf.tensor2d(t)));
        expect(hinge(t1)).toBeLessThanOrEqual(hinge(t0) + 1e-6);
      }),
      RUNS,
    );
  });

  it('duplicates: k identical pairs of one image reach the floor H(P) = log k on their rows', () => {
    // Soft-target CE = H(P) + KL(P‖p): with p = P = 1/k on the k positives, each of the k rows costs log k.
    const k = 3;
    const v = tf.tensor2d([
      [1, 0],
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    const multi = one(() => multiPositiveInfoNCE(v, v, [0, 0, 0, 1], { temperature: 0.01 }));
    expect(multi).toBeCloseTo((k / 4) * Math.log(k), 5);
    // …and there the gradient vanishes: the duplicates are not pushed apart.
    const g = tf.grad((x: tf.Tensor) =>
      multiPositiveInfoNCE(x as tf.Tensor2D, v, [0, 0, 0, 1], { temperature: 0.01 }),
    )(v);
    expect(Math.max(...Array.from(g.dataSync()).map(Math.abs))).toBeLessThan(1e-4);
    tf.dispose([g, v]);
  });

  it('affiliation floor: one class of k identical samples costs log k', () => {
    const v = tf.tensor2d([
      [0.6, 0.8],
      [0.6, 0.8],
      [0.6, 0.8],
    ]);
    for (const direction of ['itr', 'clip'] as const) {
      expect(one(() => affiliationLoss(v, v, [1, 1, 1], { direction }))).toBeCloseTo(Math.log(3), 5);
    }
    v.dispose();
  });
}, ['cpu']);
