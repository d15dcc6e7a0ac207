/**
 * The README example and the JSDoc examples run and print what they claim.
 */
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  affiliationLoss,
  clipLoss,
  equalityMatrix,
  LearnableTemperature,
  LogitScale,
  l2Normalize,
  multiPositiveInfoNCE,
  pirItrLoss,
  tripletLoss,
} from '../src/index.js';
import { scalarValue } from './data.js';

describeBackends('examples', () => {
  it('README: one PIR-ITR training step with learnable temperatures', async () => {
    await expectNoLeak(async () => {
      const v = tf.tidy(() => tf.variable(tf.randomNormal<tf.Rank.R2>([4, 8], 0, 1, 'float32', 1)));
      const t = tf.tidy(() => tf.variable(tf.randomNormal<tf.Rank.R2>([4, 8], 0, 1, 'float32', 2)));
      const tau1 = new LearnableTemperature();
      const tau2 = new LearnableTemperature({ parametrization: 'log' });
      const optimizer = tf.train.adam(1e-3);
      let logged: number[] = [];
      optimizer.minimize(() => {
        const { loss, contrastive, affiliation } = pirItrLoss(v, t, {
          imageIds: [0, 0, 1, 2],
          labels: ['farm', 'farm', 'port', 'farm'],
          temperature: tau1,
          affiliationTemperature: tau2,
          normalize: true,
        });
        logged = [contrastive.dataSync()[0]!, affiliation.dataSync()[0]!];
        return loss;
      });
      tau1.project();
      tau2.project();
      expect(logged.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
      expect((await tau1.variable.data())[0]).not.toBeCloseTo(0.07, 6); // the step moved τ1
      tf.dispose([v, t]);
      tau1.dispose();
      tau2.dispose();
      optimizer.dispose();
    }, 'README example');
  });

  it('JSDoc examples print the values they state', async () => {
    const v3 = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(await scalarValue(multiPositiveInfoNCE(v3, v3, [7, 8, 7]))).toBeCloseTo((2 / 3) * Math.log(2), 4);
    const eye = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    expect(await scalarValue(clipLoss(eye, eye))).toBeLessThan(1e-6);
    const t = tf.tensor2d([
      [0.6, 0.8],
      [0.8, 0.6],
    ]);
    expect(await scalarValue(tripletLoss(eye, t, { reduction: 'hardest' }))).toBeCloseTo(1.6, 5);
    const va = tf.tensor2d([
      [1, 0],
      [0, 1],
      [0.6, 0.8],
    ]);
    expect(
      await scalarValue(affiliationLoss(va, va, ['farm', 'port', 'port'], { direction: 'clip' })),
    ).toBeCloseTo(0.4644, 3);
    const eq = equalityMatrix(['a', 'b', 'a'], 3);
    expect(Array.from(await eq.data())).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const n = l2Normalize(tf.tensor2d([[3, 4]]));
    expect(Array.from(await n.data())).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    const scale = new LogitScale();
    expect(await scalarValue(scale.value())).toBeCloseTo(14.2857, 3);
    tf.dispose([v3, eye, t, va, eq, n]);
    scale.dispose();
  });
});
