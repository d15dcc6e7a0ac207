import { describeBackends, expectAllClose, expectNoLeak, tolerance } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import '../src/index.js';

// tfjs-core 4.22's BatchMatMul gradient throws when an operand is broadcast over the batch;
// @pir/runtime registers a corrected one. Reference: the same product written with explicit tiling.
describeBackends('BatchMatMul gradient with a broadcast operand', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[4, 5, 6], [6, 3], false, false], // x [B,S,D] · w [D,E]
    [[4, 5, 6], [3, 6], false, true], // x · wᵀ
    [[6, 5], [4, 6, 3], true, false], // shared aᵀ against a batch
    [[2, 3, 5, 6], [6, 4], false, false], // rank 4 · rank 2
    [[2, 3, 5, 6], [1, 3, 6, 4], false, false], // broadcast over the first batch dim
  ];
  for (const [sa, sb, ta, tb] of cases) {
    it(`[${sa}]${ta ? 'ᵀ' : ''} · [${sb}]${tb ? 'ᵀ' : ''}: gradients equal the explicitly tiled product's`, async () => {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
      const outRank = Math.max(sa.length, sb.length);
      const target = tf.tidy(() => tf.randomNormal(tf.matMul(a, b, ta, tb).shape, 0, 1, 'float32', 3));
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), target));
      const [ga, gb] = tf.grads(f)([a, b]) as [tf.Tensor, tf.Tensor];
      expect(ga.shape).toEqual(sa);
      expect(gb.shape).toEqual(sb);
      // reference: tile both operands to the full batch shape, differentiate, then sum the tiled copies back
      const batch = tf.matMul(a, b, ta, tb).shape.slice(0, outRank - 2);
      const full = (t: tf.Tensor) => {
        const s = [...new Array(outRank - t.rank).fill(1), ...t.shape];
        const r = tf.reshape(t, s);
        return tf.tile(
          r,
          s.map((d, i) => (i < outRank - 2 ? (batch[i] as number) / d : 1)),
        );
      };
      const [fa, fb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => f(full(x), full(y)))([a, b]) as [
        tf.Tensor,
        tf.Tensor,
      ];
      await expectAllClose(ga, fa, tolerance(), 'dA');
      await expectAllClose(gb, fb, tolerance(), 'dB');
      await expectNoLeak(() => tf.dispose(tf.grads(f)([a, b])), 'grads');
      tf.dispose([a, b, target, ga, gb, fa, fb]);
    });
  }
});
