/**
 * Memory: every exported function and class leaves no tensor and no variable behind — forward, backward,
 * optimiser steps and `dispose()`.
 */
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  affiliationLoss,
  assertFinite,
  clipLoss,
  equalityMatrix,
  LearnableTemperature,
  LogitScale,
  l2Normalize,
  multiPositiveInfoNCE,
  pirClipLoss,
  pirItrLoss,
  tripletLoss,
} from '../src/index.js';
import { randomPair } from './data.js';

describeBackends('memory', () => {
  let v: tf.Tensor2D;
  let t: tf.Tensor2D;
  const ids = [0, 0, 1, 2, 2];
  const labels = ['a', 'a', 'b', 'a', 'c'];
  beforeAll(() => {
    [v, t] = randomPair('leaks', 5, 6);
  });
  afterAll(() => tf.dispose([v, t]));

  const dispose = (x: tf.Tensor) => x.dispose();

  it('functional losses (all options) leak nothing', async () => {
    const idTensor = tf.tensor1d(ids, 'int32');
    const tau = tf.scalar(0.1);
    const cases: [string, () => tf.Scalar][] = [
      ['multiPositiveInfoNCE', () => multiPositiveInfoNCE(v, t, ids)],
      ['multiPositiveInfoNCE tensor ids', () => multiPositiveInfoNCE(v, t, idTensor, { temperature: tau })],
      [
        'multiPositiveInfoNCE normalize',
        () => multiPositiveInfoNCE(v, t, Int32Array.from(ids), { normalize: true }),
      ],
      [
        'multiPositiveInfoNCE validate',
        () => multiPositiveInfoNCE(v, t, ids, { validate: true, temperature: tau }),
      ],
      ['clipLoss', () => clipLoss(v, t)],
      ['clipLoss tensor scale', () => clipLoss(v, t, { logScale: tau, normalize: true })],
      ['tripletLoss sum', () => tripletLoss(v, t)],
      ['tripletLoss hardest ids', () => tripletLoss(v, t, { reduction: 'hardest', imageIds: idTensor })],
      ['affiliationLoss itr', () => affiliationLoss(v, t, labels)],
      ['affiliationLoss clip', () => affiliationLoss(v, t, idTensor, { direction: 'clip', logScale: 2 })],
    ];
    for (const [name, f] of cases) {
      await expectNoLeak(() => {
        const before = tf.memory().numTensors;
        const out = f();
        expect(tf.memory().numTensors - before, `${name} leaves exactly its result`).toBe(1);
        out.dispose();
      }, name);
    }
    tf.dispose([idTensor, tau]);
  });

  it('functional losses: each call adds only its result, which the caller frees', async () => {
    for (const f of [
      () => multiPositiveInfoNCE(v, t, ids),
      () => clipLoss(v, t),
      () => tripletLoss(v, t),
      () => affiliationLoss(v, t, labels),
    ]) {
      await expectNoLeak(() => dispose(f()));
    }
  });

  it('combined losses return three scalars and nothing else', async () => {
    await expectNoLeak(() => {
      const before = tf.memory().numTensors;
      const p = pirItrLoss(v, t, { imageIds: ids, labels });
      expect(tf.memory().numTensors - before).toBe(3);
      tf.dispose([p.loss, p.contrastive, p.affiliation]);
    }, 'pirItrLoss');
    await expectNoLeak(() => {
      const p = pirClipLoss(v, t, { labels, validate: true });
      tf.dispose([p.loss, p.contrastive, p.affiliation]);
    }, 'pirClipLoss');
  });

  it('gradients w.r.t. inputs leak nothing', async () => {
    await expectNoLeak(() => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        const p = pirItrLoss(a as tf.Tensor2D, b as tf.Tensor2D, { imageIds: ids, labels });
        return p.loss;
      })([v, t]);
      tf.dispose(g);
    }, 'tf.grads(pirItrLoss)');
  });

  it('helpers leak nothing', async () => {
    await expectNoLeak(() => dispose(equalityMatrix(labels, 5)), 'equalityMatrix');
    await expectNoLeak(() => dispose(l2Normalize(v)), 'l2Normalize');
    await expectNoLeak(() => assertFinite({ v, t }), 'assertFinite');
  });

  it('LearnableTemperature and LogitScale: value, project, training step, dispose', async () => {
    for (const make of [
      () => new LearnableTemperature(),
      () => new LearnableTemperature({ parametrization: 'log' }),
      () => new LogitScale(),
    ]) {
      await expectNoLeak(async () => {
        const p = make();
        expect(tf.memory().numTensors).toBeGreaterThan(0);
        dispose(p.value());
        p.project();
        const opt = tf.train.sgd(0.01);
        const f = () =>
          p instanceof LogitScale
            ? pirClipLoss(v, t, { labels, logScale: p }).loss
            : pirItrLoss(v, t, { imageIds: ids, labels, temperature: p, affiliationTemperature: p }).loss;
        // `minimize` disposes everything f creates but the returned loss; the parts are tidied inside it.
        const loss = opt.minimize(f, true, [p.variable]);
        loss?.dispose();
        p.project();
        opt.dispose();
        p.dispose();
        expect(p.variable.isDisposed).toBe(true);
      }, 'learnable scale');
    }
  });
});
