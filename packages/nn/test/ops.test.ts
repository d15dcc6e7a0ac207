/**
 * The primitives against literal formulas (differential tests: fused gradient vs autodiff of the plain
 * expression, attention vs a per-head loop); the PyTorch goldens are in `golden.test.ts`.
 */
import { describeBackends, expectAllClose, expectNoLeak, seededValues } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  activation,
  attentionBias,
  dropout,
  gelu,
  layerNorm,
  linear,
  linearTorch,
  MASKED_LOGIT,
  multiHeadAttention,
  NnInputError,
  quickGelu,
} from '../src/index.js';

const rnd = (shape: number[], seed: number) =>
  tf.tensor(
    seededValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
const TOL = { atol: 1e-5, rtol: 1e-4 };

describeBackends('primitives', () => {
  it('linear: value and fused gradients equal the plain x·W + b (rank 3 input)', async () => {
    await expectNoLeak(async () => {
      const [x, w, b, dy] = [rnd([2, 3, 5], 1), rnd([5, 4], 2), rnd([4], 3), rnd([2, 3, 4], 4)];
      const plain = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.tidy(() => tf.add(tf.reshape(tf.matMul(tf.reshape(xx, [6, 5]), ww), [2, 3, 4]), bb));
      const fused = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.mul(linear(xx, ww, bb), dy));
      const ref = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.mul(plain(xx, ww, bb), dy));
      const y = linear(x, w, b);
      const y0 = plain(x, w, b);
      await expectAllClose(y, y0, TOL, 'y');
      const g = fused([x, w, b]);
      const g0 = ref([x, w, b]);
      for (let i = 0; i < 3; i++)
        await expectAllClose(g[i] as tf.Tensor, g0[i] as tf.Tensor, TOL, `grad ${i}`);
      const noBias = linear(x, w);
      const torchLayout = tf.transpose(w);
      const t = linearTorch(x, torchLayout, b);
      await expectAllClose(t, y0, TOL, 'linearTorch');
      const withBias = tf.add(noBias, b);
      await expectAllClose(withBias, y0, TOL, 'no bias');
      tf.dispose([x, w, b, dy, y, y0, ...g, ...g0, noBias, withBias, torchLayout, t]);
    }, 'linear');
  });

  it('linear: errors name the argument and the shapes', () => {
    const x = tf.ones([2, 3]);
    const k = tf.ones([4, 5]);
    const b = tf.ones([3]);
    expect(() => linear(x, k)).toThrow(NnInputError);
    expect(() => linear(x, k)).toThrow('linear: kernel must be [3, out] for x of shape [2, 3], got [4, 5]');
    const k2 = tf.ones([3, 5]);
    expect(() => linear(x, k2, b)).toThrow('linear: bias must be [5], got [3]');
    tf.dispose([x, k, b, k2]);
  });

  it('layerNorm: value and fused gradients equal the literal formula, for any eps and rank', async () => {
    await expectNoLeak(async () => {
      for (const eps of [1e-5, 1e-12]) {
        const [x, g, b, dy] = [
          tf.tidy(() => tf.mul(rnd([2, 3, 6], 5), 3)),
          rnd([6], 6),
          rnd([6], 7),
          rnd([2, 3, 6], 8),
        ];
        const plain = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
          tf.tidy(() => {
            const { mean, variance } = tf.moments(xx, -1, true);
            return tf.add(tf.mul(tf.div(tf.sub(xx, mean), tf.sqrt(tf.add(variance, eps))), gg), bb);
          });
        const [y1, y0] = [layerNorm(x, g, b, eps), plain(x, g, b)];
        await expectAllClose(y1, y0, TOL, `y eps=${eps}`);
        const g1 = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
          tf.mul(layerNorm(xx, gg, bb, eps), dy),
        )([x, g, b]);
        const g0 = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.mul(plain(xx, gg, bb), dy))([
          x,
          g,
          b,
        ]);
        for (let i = 0; i < 3; i++)
          await expectAllClose(g1[i] as tf.Tensor, g0[i] as tf.Tensor, TOL, `grad ${i}`);
        tf.dispose([x, g, b, dy, y1, y0, ...g1, ...g0]);
      }
    }, 'layerNorm');
  });

  it('gelu, quickGelu, activation', async () => {
    const x = tf.tensor1d([-1, 0, 1, 3]);
    const [e1, e3] = [0.6826894921370859, 0.9973002039367398]; // erf(1/√2), erf(3/√2)
    await expectAllClose(gelu(x), [-0.5 * (1 - e1), 0, 0.5 * (1 + e1), 1.5 * (1 + e3)], TOL);
    await expectAllClose(
      quickGelu(x),
      [-1 / (1 + Math.exp(1.702)), 0, 1 / (1 + Math.exp(-1.702)), 3 / (1 + Math.exp(-3 * 1.702))],
      TOL,
    );
    await expectAllClose(activation('relu')(x), [0, 0, 1, 3], TOL);
    expect(() => activation('tanh' as never)).toThrow(/unknown activation 'tanh'/);
    x.dispose();
  });

  it('multiHeadAttention equals a per-head loop, with key mask and causal bias', async () => {
    const [b, lq, lk, d, h] = [2, 3, 4, 6, 3];
    const [q, k, v] = [rnd([b, lq, d], 11), rnd([b, lk, d], 12), rnd([b, lk, d], 13)];
    const mask = tf.tensor2d([
      [1, 1, 1, 0],
      [1, 0, 1, 1],
    ]);
    const naive = (causal: boolean) =>
      tf.tidy(() => {
        const hd = d / h;
        const m = mask.arraySync() as number[][];
        const out: tf.Tensor[] = [];
        for (let bi = 0; bi < b; bi++) {
          const heads: tf.Tensor[] = [];
          for (let hi = 0; hi < h; hi++) {
            const qs = tf.reshape(tf.slice(q, [bi, 0, hi * hd], [1, lq, hd]), [lq, hd]);
            const ks = tf.reshape(tf.slice(k, [bi, 0, hi * hd], [1, lk, hd]), [lk, hd]);
            const vs = tf.reshape(tf.slice(v, [bi, 0, hi * hd], [1, lk, hd]), [lk, hd]);
            const logits = tf.div(tf.matMul(qs, ks, false, true), Math.sqrt(hd)).arraySync() as number[][];
            for (let i = 0; i < lq; i++)
              for (let j = 0; j < lk; j++) {
                if (m[bi]?.[j] === 0) (logits[i] as number[])[j] = (logits[i]?.[j] as number) + MASKED_LOGIT;
                if (causal && j > i) (logits[i] as number[])[j] = (logits[i]?.[j] as number) + MASKED_LOGIT;
              }
            heads.push(tf.matMul(tf.softmax(tf.tensor2d(logits)), vs));
          }
          out.push(tf.concat(heads, 1));
        }
        return tf.stack(out);
      });
    await expectNoLeak(async () => {
      const y = multiHeadAttention(q, k, v, { heads: h, keyMask: mask });
      const y0 = naive(false);
      await expectAllClose(y, y0, TOL, 'masked');
      const causal = attentionBias({ causalLength: 3 }) as tf.Tensor;
      const qk = tf.slice(k, [0, 0, 0], [b, 3, d]);
      const vv = tf.slice(v, [0, 0, 0], [b, 3, d]);
      const yc = multiHeadAttention(q, qk, vv, h, causal); // the positional (heads, bias) form
      const yc2 = multiHeadAttention(q, qk, vv, { heads: h, bias: causal });
      await expectAllClose(yc, yc2, { atol: 0, rtol: 0 }, 'positional = options');
      tf.dispose([y, y0, causal, qk, vv, yc, yc2]);
    }, 'multiHeadAttention');
    tf.dispose([q, k, v, mask]);
  });

  it('multiHeadAttention: a one-row query with queryRepeat broadcasts, or repeats rows under dropout', async () => {
    const [q, k] = [rnd([2, 1, 4], 21), rnd([2, 5, 4], 22)];
    const once = multiHeadAttention(q, k, k, { heads: 2, queryRepeat: 5 });
    expect(once.shape).toEqual([2, 1, 4]);
    const full = multiHeadAttention(tf.tile(q, [1, 5, 1]), k, k, { heads: 2 });
    await expectAllClose(tf.tile(once, [1, 5, 1]), full, TOL);
    const dropped = multiHeadAttention(q, k, k, {
      heads: 2,
      queryRepeat: 5,
      dropout: { rate: 0.5, training: true, nextSeed: () => 7 },
    });
    expect(dropped.shape).toEqual([2, 5, 4]);
    expect(() => multiHeadAttention(q, k, k, { heads: 3 })).toThrow(
      /heads \(3\) must be a positive divisor of D = 4/,
    );
    tf.dispose([q, k, once, full, dropped]);
  });

  it('dropout: identity outside training, seeded inverted dropout inside', async () => {
    const x = tf.ones([1000]);
    expect(dropout(x, { rate: 0.5 })).toBe(x);
    const a = dropout(x, { rate: 0.25, training: true, nextSeed: () => 3 });
    const b = dropout(x, { rate: 0.25, training: true, nextSeed: () => 3 });
    const va = await a.data();
    expect(Array.from(va)).toEqual(Array.from(await b.data()));
    const kept = Array.from(va).filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    expect(kept.length).toBeGreaterThan(650);
    expect(kept.length).toBeLessThan(850);
    tf.dispose([x, a, b]);
  });
});
