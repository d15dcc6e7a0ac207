/**
 * Belief scores, hard and soft belief (both variants) and their gradients against an independent PyTorch
 * implementation (`tools/golden/belief_pae.py`), on cpu and wasm; masks, K = N, K = 1 and batch size 1.
 */
import '@pir/runtime';
import { describeBackends, expectAllClose } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { hardBelief, softBelief } from '../src/index.js';
import fx from './fixtures/belief.json';

interface Case {
  B: number;
  N: number;
  D: number;
  K: number;
  V: number[][][];
  u: number[][];
  R: number[][][];
  S: number[][][];
  mask?: number[][];
  scores: number[][];
  hard: { indices: number[][]; tokens: number[][][]; gradV: number[][][] };
  paper: { weights: number[][]; tokens: number[][][]; gradV: number[][][]; gradU: number[][] };
  released: { weights: number[][]; tokens: number[][][]; gradV: number[][][]; gradU: number[][] };
}
const cases = (fx as unknown as { cases: Case[] }).cases;
const TOL = { atol: 1e-5, rtol: 1e-4 };

describeBackends('belief vs PyTorch', () => {
  for (const c of cases) {
    const name = `B=${c.B} N=${c.N} K=${c.K}${c.mask ? ' masked' : ''}`;
    it(`hard belief: ${name}`, async () => {
      const V = tf.tensor3d(c.V);
      const u = tf.tensor2d(c.u);
      const R = tf.tensor3d(c.R);
      const mask = c.mask ? tf.tensor2d(c.mask) : undefined;
      for (const selection of ['gather', 'matmul'] as const) {
        const opts = { k: c.K, selection, ...(mask ? { mask } : {}) };
        const r = hardBelief(V, u, opts);
        await expectAllClose(r.scores, c.scores.flat(), TOL, 'scores');
        expect(Array.from(await r.indices.data())).toEqual(c.hard.indices.flat());
        await expectAllClose(r.tokens, c.hard.tokens.flat(2), TOL, 'kept tokens');
        const gV = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(hardBelief(v as tf.Tensor3D, u, opts).tokens, R)))(
          V,
        );
        await expectAllClose(gV, c.hard.gradV.flat(2), TOL, `dV (${selection})`);
        tf.dispose([r.tokens, r.scores, r.indices, r.mask, gV]);
      }
      tf.dispose([V, u, R, mask as tf.Tensor]);
    });
    for (const variant of ['paper', 'released'] as const) {
      it(`soft belief (${variant}): ${name}`, async () => {
        const V = tf.tensor3d(c.V);
        const u = tf.tensor2d(c.u);
        const S = tf.tensor3d(c.S);
        const mask = c.mask ? tf.tensor2d(c.mask) : undefined;
        const opts = { variant, ...(mask ? { mask } : {}) };
        const r = softBelief(V, u, opts);
        await expectAllClose(r.weights, c[variant].weights.flat(), TOL, 'weights');
        await expectAllClose(r.tokens, c[variant].tokens.flat(2), TOL, 'tokens');
        const [gV, gU] = tf.grads((v: tf.Tensor, w: tf.Tensor) =>
          tf.sum(tf.mul(softBelief(v as tf.Tensor3D, w, opts).tokens, S)),
        )([V, u]);
        await expectAllClose(gV as tf.Tensor, c[variant].gradV.flat(2), TOL, 'dV');
        await expectAllClose(gU as tf.Tensor, c[variant].gradU.flat(), TOL, 'du');
        tf.dispose([r.tokens, r.scores, r.weights, r.multipliers, gV as tf.Tensor, gU as tf.Tensor, V, u, S]);
        if (mask) mask.dispose();
      });
    }
  }
});
