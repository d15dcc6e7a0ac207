/**
 * Values and gradients (w.r.t. V, T and the temperature / log-scale) against independent PyTorch float64
 * implementations (`tools/golden/losses.py`), on cpu and wasm.
 */
import { describeBackends, expectAllClose } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import fx from './fixtures/losses.json';
import { caseLoss, type GoldenCase } from './golden_case.js';

const cases = (fx as unknown as { cases: GoldenCase[] }).cases;

/** float32 vs float64: relative error of a few ulps per op, amplified by 1/τ ≤ 20 on logits. */
const TOL = { atol: 2e-5, rtol: 2e-5 };
const GRAD_TOL = { atol: 5e-5, rtol: 1e-4 };

it('the fixture covers every loss kind', () => {
  expect(new Set(cases.map((c) => c.kind))).toEqual(
    new Set(['infonce', 'clip', 'triplet', 'affiliation', 'pirItr', 'pirClip']),
  );
  expect(cases.length).toBeGreaterThanOrEqual(20);
});

describeBackends('golden values vs PyTorch', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { keys, f, parts } = caseLoss(c);
      const v = tf.tensor2d(c.v);
      const t = tf.tensor2d(c.t);
      const scalars = keys.map((k) => tf.scalar(c.options[k] as number));
      const inputs = [v, t, ...scalars];
      const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) =>
        f(xs[0] as tf.Tensor2D, xs[1] as tf.Tensor2D, xs.slice(2) as tf.Scalar[]),
      )(inputs);
      await expectAllClose(value, [c.loss], TOL, `${c.name}: loss`);
      await expectAllClose(grads[0] as tf.Tensor, c.grad.v.flat(), GRAD_TOL, `${c.name}: dL/dV`);
      await expectAllClose(grads[1] as tf.Tensor, c.grad.t.flat(), GRAD_TOL, `${c.name}: dL/dT`);
      for (const [i, k] of keys.entries()) {
        await expectAllClose(
          grads[2 + i] as tf.Tensor,
          [c.grad[k] as number],
          GRAD_TOL,
          `${c.name}: dL/d${k}`,
        );
      }
      if (c.parts !== undefined) {
        const p = parts(v, t, scalars);
        await expectAllClose(p.contrastive, [c.parts.contrastive], TOL, `${c.name}: contrastive`);
        await expectAllClose(p.affiliation, [c.parts.affiliation], TOL, `${c.name}: affiliation`);
        tf.dispose([p.contrastive, p.affiliation]);
      }
      tf.dispose([value, ...grads, ...inputs]);
    });
  }
});
