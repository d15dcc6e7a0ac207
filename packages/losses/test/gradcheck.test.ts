/**
 * Analytic gradients (tfjs autodiff) against central finite differences, for every loss and both learnable
 * scale classes. float32 limits the finite differences to ~1e-3, hence the loose tolerance.
 */
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import {
  affiliationLoss,
  clipLoss,
  LearnableTemperature,
  LogitScale,
  multiPositiveInfoNCE,
  pirItrLoss,
  tripletLoss,
} from '../src/index.js';
import { randomRows } from './data.js';

const EPS = 5e-3;
const FD_TOL = { atol: 3e-3, rtol: 1e-2 };

type Loss = (v: tf.Tensor2D, t: tf.Tensor2D, tau: tf.Scalar) => tf.Scalar;

function evalLoss(f: Loss, v: number[][], t: number[][], tau: number): number {
  return tf.tidy(() => f(tf.tensor2d(v), tf.tensor2d(t), tf.scalar(tau)).dataSync()[0] as number);
}

/** Central differences of `f` w.r.t. every entry of v, then t, then τ (flattened in that order). */
function numericGrad(f: Loss, v: number[][], t: number[][], tau: number): number[] {
  const out: number[] = [];
  for (const which of [v, t]) {
    for (const row of which) {
      for (let j = 0; j < row.length; j++) {
        const x = row[j] as number;
        row[j] = x + EPS;
        const up = evalLoss(f, v, t, tau);
        row[j] = x - EPS;
        const down = evalLoss(f, v, t, tau);
        row[j] = x;
        out.push((up - down) / (2 * EPS));
      }
    }
  }
  const h = EPS * tau;
  out.push((evalLoss(f, v, t, tau + h) - evalLoss(f, v, t, tau - h)) / (2 * h));
  return out;
}

async function check(name: string, f: Loss, tau: number, seed: string, b = 3, d = 4): Promise<void> {
  const rng = new Rng(seed);
  const v = randomRows(rng, b, d);
  const t = randomRows(rng, b, d);
  const xs = [tf.tensor2d(v), tf.tensor2d(t), tf.scalar(tau)];
  const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, s: tf.Tensor) =>
    f(a as tf.Tensor2D, c as tf.Tensor2D, s as tf.Scalar),
  )(xs);
  const analytic = [...(await grads[0]!.data()), ...(await grads[1]!.data()), ...(await grads[2]!.data())];
  tf.dispose([...grads, ...xs]);
  await expectAllClose(
    analytic,
    numericGrad(f, v, t, tau),
    FD_TOL,
    `${name}: analytic vs finite differences`,
  );
}

describeBackends('gradients vs finite differences', () => {
  it('multi-positive InfoNCE (duplicates)', () =>
    check(
      'infonce',
      (v, t, tau) => multiPositiveInfoNCE(v, t, [0, 0, 1], { temperature: tau }),
      0.5,
      'fd-1',
    ));
  it('multi-positive InfoNCE with normalize', () =>
    check(
      'infonce normalize',
      (v, t, tau) => multiPositiveInfoNCE(tf.mul(v, 2), t, [0, 1, 2], { temperature: tau, normalize: true }),
      0.3,
      'fd-2',
    ));
  it('CLIP loss (log-scale)', () =>
    check('clip', (v, t, s) => clipLoss(v, t, { logScale: s }), Math.log(3), 'fd-3'));
  it('triplet sum', () =>
    check('triplet sum', (v, t, tau) => tf.mul(tripletLoss(v, t, { margin: 1.5 }), tau), 1, 'fd-4'));
  it('triplet hardest with ids', () =>
    check(
      'triplet hardest',
      (v, t, tau) =>
        tf.mul(tripletLoss(v, t, { margin: 1.5, reduction: 'hardest', imageIds: [1, 2, 3] }), tau),
      1,
      'fd-5',
    ));
  for (const direction of ['itr', 'clip'] as const) {
    it(`affiliation ${direction}`, () =>
      check(
        `affiliation ${direction}`,
        (v, t, tau) => affiliationLoss(v, t, ['a', 'b', 'a', 'a'], { temperature: tau, direction }),
        0.4,
        `fd-6-${direction}`,
        4,
      ));
  }
  it('PIR-ITR total', () =>
    check(
      'pirItr',
      (v, t, tau) => {
        const p = pirItrLoss(v, t, { imageIds: [0, 0, 1, 2], labels: [5, 5, 5, 6], temperature: tau });
        tf.dispose([p.contrastive, p.affiliation]);
        return p.loss;
      },
      0.5,
      'fd-7',
      4,
    ));
  it('through LearnableTemperature (log) and LogitScale variables', async () => {
    const [v, t] = [
      tf.tensor2d(randomRows(new Rng('fd-8'), 3, 4)),
      tf.tensor2d(randomRows(new Rng('fd-9'), 3, 4)),
    ];
    const tau = new LearnableTemperature({ init: 0.2, parametrization: 'log' });
    const scale = new LogitScale({ init: 5 });
    for (const [param, f] of [
      [tau.variable, () => multiPositiveInfoNCE(v, t, [0, 1, 1], { temperature: tau })],
      [scale.variable, () => clipLoss(v, t, { logScale: scale })],
    ] as const) {
      const { grads } = tf.variableGrads(f, [param]);
      const x0 = (await param.data())[0] as number;
      const at = (x: number) => {
        param.assign(tf.scalar(x));
        return tf.tidy(() => f().dataSync()[0] as number);
      };
      const numeric = (at(x0 + EPS) - at(x0 - EPS)) / (2 * EPS);
      param.assign(tf.scalar(x0));
      await expectAllClose(grads[param.name]!, [numeric], FD_TOL, `d/d${param.name}`);
      tf.dispose(grads);
    }
    tf.dispose([v, t]);
    tau.dispose();
    scale.dispose();
  });
}, ['cpu']);
