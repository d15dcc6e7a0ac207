/**
 * `LearnableTemperature` and `LogitScale`: initial values, clamps (forward and in-place), gradients reaching
 * the variable, training moves it, config round-trip through tfjs serialization.
 */
import { describeBackends, expectAllClose } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  clipLoss,
  LearnableTemperature,
  LogitScale,
  MAX_LOGIT_SCALE,
  multiPositiveInfoNCE,
  pirClipLoss,
  pirItrLoss,
  TEMPERATURE_DEFAULTS,
} from '../src/index.js';
import { randomPair, scalarValue } from './data.js';

describeBackends('learnable scales', () => {
  it('LearnableTemperature defaults: τ = 0.07 stored directly, trainable, clamp [0.001, 0.5]', async () => {
    const tau = new LearnableTemperature();
    expect(tau.variable.trainable).toBe(true);
    expect(await scalarValue(tau.value())).toBeCloseTo(0.07, 7);
    expect((await tau.variable.data())[0]).toBeCloseTo(0.07, 7);
    expect(tau.getConfig()).toEqual({ ...TEMPERATURE_DEFAULTS });
    tau.dispose();
  });

  it("'log' parametrisation stores log τ; any variable value gives τ > 0", async () => {
    const tau = new LearnableTemperature({ init: 0.05, parametrization: 'log', min: 1e-4, max: 10 });
    expect((await tau.variable.data())[0]).toBeCloseTo(Math.log(0.05), 6);
    tau.variable.assign(tf.scalar(-5));
    expect(await scalarValue(tau.value())).toBeCloseTo(Math.exp(-5), 6);
    tau.dispose();
  });

  it('clamps: forward clamp with zero gradient outside, project() clamps the variable in place', async () => {
    const [v, t] = randomPair('clamp', 4, 5);
    const tau = new LearnableTemperature({ init: 0.07 });
    tau.variable.assign(tf.scalar(0.9)); // above max 0.5
    expect(await scalarValue(tau.value())).toBeCloseTo(0.5, 7);
    const { grads } = tf.variableGrads(
      () => multiPositiveInfoNCE(v, t, [0, 1, 2, 3], { temperature: tau }),
      [tau.variable],
    );
    expect((await grads[tau.variable.name]!.data())[0]).toBe(0);
    tf.dispose(grads);
    tau.project();
    expect((await tau.variable.data())[0]).toBeCloseTo(0.5, 7);

    const scale = new LogitScale();
    expect(await scalarValue(scale.value())).toBeCloseTo(1 / 0.07, 4);
    scale.variable.assign(tf.scalar(Math.log(500)));
    expect(await scalarValue(scale.value())).toBeCloseTo(MAX_LOGIT_SCALE, 3);
    scale.project();
    expect((await scale.variable.data())[0]).toBeCloseTo(Math.log(100), 5);
    tf.dispose([v, t]);
    tau.dispose();
    scale.dispose();
  });

  it('a learnable scale behaves exactly like the same constant', async () => {
    const [v, t] = randomPair('same', 5, 4);
    const tau = new LearnableTemperature({ init: 0.1, parametrization: 'log' });
    const scale = new LogitScale({ init: 20 });
    await expectAllClose(
      multiPositiveInfoNCE(v, t, [0, 0, 1, 2, 3], { temperature: tau }),
      multiPositiveInfoNCE(v, t, [0, 0, 1, 2, 3], { temperature: 0.1 }),
    );
    await expectAllClose(clipLoss(v, t, { logScale: scale }), clipLoss(v, t, { logScale: Math.log(20) }));
    tf.dispose([v, t]);
    tau.dispose();
    scale.dispose();
  });

  it('training reaches both temperature variables (PIR-ITR) and the shared logit scale (PIR-CLIP)', async () => {
    const [v, t] = randomPair('train', 6, 4);
    const tau1 = new LearnableTemperature({ init: 0.2 });
    const tau2 = new LearnableTemperature({ init: 0.2, parametrization: 'log' });
    const scale = new LogitScale({ init: 5 });
    const labels = [1, 1, 2, 2, 3, 3];
    const { grads: g1 } = tf.variableGrads(
      () =>
        pirItrLoss(v, t, {
          imageIds: [0, 1, 2, 3, 4, 5],
          labels,
          temperature: tau1,
          affiliationTemperature: tau2,
        }).loss,
    );
    const { grads: g2 } = tf.variableGrads(() => pirClipLoss(v, t, { labels, logScale: scale }).loss);
    for (const [name, g] of [
      [tau1.variable.name, g1],
      [tau2.variable.name, g1],
      [scale.variable.name, g2],
    ] as const) {
      const x = (await g[name]!.data())[0] as number;
      expect(Number.isFinite(x) && x !== 0, `gradient of ${name}`).toBe(true);
    }
    tf.dispose([g1, g2].flatMap((g) => Object.values(g)));
    // Random embeddings: a sharper τ makes them look more different; the loss wants τ to move.
    const opt = tf.train.sgd(0.01);
    const before = (await tau1.variable.data())[0] as number;
    opt.minimize(() => multiPositiveInfoNCE(v, t, [0, 1, 2, 3, 4, 5], { temperature: tau1 }), false, [
      tau1.variable,
    ]);
    expect((await tau1.variable.data())[0]).not.toBe(before);
    opt.dispose();
    tf.dispose([v, t]);
    for (const p of [tau1, tau2, scale]) p.dispose();
  });

  it('trainable can be switched off', () => {
    const tau = new LearnableTemperature({ trainable: false });
    expect(tau.trainable).toBe(false);
    tau.trainable = true;
    expect(tau.variable.trainable).toBe(true);
    tau.dispose();
  });

  it('config round-trips through tfjs serialization', async () => {
    const tau = new LearnableTemperature({
      init: 0.05,
      parametrization: 'log',
      min: 0.01,
      max: 1,
      name: 'tau_rt',
    });
    const cfg = tau.getConfig();
    expect(JSON.parse(JSON.stringify(cfg))).toEqual(cfg);
    const cls = tf.serialization.SerializationMap.getMap().classNameMap[LearnableTemperature.className];
    expect(cls).toBeDefined();
    tau.dispose(); // free the name before reusing it
    const back = LearnableTemperature.fromConfig(LearnableTemperature, cfg) as LearnableTemperature;
    expect(back.getConfig()).toEqual(cfg);
    expect(back.getClassName()).toBe('PirLearnableTemperature');
    expect(await scalarValue(back.value())).toBeCloseTo(0.05, 6);
    back.dispose();

    const scale = new LogitScale({ init: 30, maxScale: 50, trainable: false });
    const sBack = LogitScale.fromConfig(LogitScale, scale.getConfig()) as LogitScale;
    expect(sBack.getConfig()).toEqual({ init: 30, maxScale: 50, trainable: false });
    expect(tf.serialization.SerializationMap.getMap().classNameMap[LogitScale.className]).toBeDefined();
    scale.dispose();
    sBack.dispose();
  });
});
