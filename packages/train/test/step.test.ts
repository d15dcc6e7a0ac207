/**
 * The training step: no tensor growth over steps (plain and gradient-cached, with clipping), no device read
 * in `trainStep` and exactly one in `readStep`, the same update plain or cached, constraints applied after
 * the step, the loss going down, and its errors.
 */
import { createModel, type PirItrBatch } from '@pir/models';
import { describeBackends } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { TrainInputError } from '../src/errors.js';
import {
  AdamW,
  linearWarmupDecay,
  modelTask,
  namedTrainableParameters,
  paramGroups,
  readStep,
  trainStep,
} from '../src/index.js';
import { disposeBatch, itrBatch } from './fixtures_batch.js';

describeBackends('trainStep on PIR-ITR at test size', () => {
  let batch: PirItrBatch;
  beforeAll(() => {
    batch = itrBatch(8, 11);
  });
  afterAll(() => disposeBatch(batch));

  const setup = (seed = 1, dropout?: number) => {
    const model = createModel('pir-itr-test', {
      seed,
      ...(dropout === undefined ? {} : { overrides: { dropout } }),
    });
    const optimizer = new AdamW(paramGroups(namedTrainableParameters(model), { newParams: ['head_'] }), {
      lr: 1e-3,
      schedule: linearWarmupDecay({ totalSteps: 50, warmupSteps: 0 }),
    });
    return { model, optimizer, task: modelTask(model) };
  };

  it('keeps tf.memory().numTensors constant over 5 steps (plain, then cached with clipping)', async () => {
    const { model, optimizer, task } = setup();
    for (const options of [{}, { microBatch: 4, maxGradNorm: 0.5 }]) {
      const counts: number[] = [];
      for (let s = 0; s < 6; s++) {
        await readStep(trainStep(task, optimizer, batch, options));
        counts.push(tf.memory().numTensors);
      }
      // the first step may build lazy constants of the encoders; from then on nothing grows
      expect(new Set(counts.slice(1)).size, `numTensors after each step: ${counts}`).toBe(1);
    }
    optimizer.dispose();
    model.dispose();
  });

  it('trainStep reads nothing from the device; readStep reads once', async () => {
    const { model, optimizer, task } = setup();
    await readStep(trainStep(task, optimizer, batch)); // warm-up
    const data = vi.spyOn(tf.Tensor.prototype, 'data');
    const dataSync = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    const arraySync = vi.spyOn(tf.Tensor.prototype, 'arraySync');
    try {
      const result = trainStep(task, optimizer, batch, { microBatch: 4, maxGradNorm: 1 });
      expect(data.mock.calls.length + dataSync.mock.calls.length + arraySync.mock.calls.length).toBe(0);
      const values = await readStep(result);
      expect(data.mock.calls.length).toBe(1);
      expect(dataSync.mock.calls.length).toBe(0);
      expect(Object.keys(values).sort()).toEqual(
        ['affiliation', 'contrastive', 'gradNorm', 'learningRates', 'loss', 'step'].sort(),
      );
      expect(values.step).toBe(1);
      expect(values.learningRates.decay).toBeCloseTo(1e-3 * (49 / 50), 12);
      expect(values.learningRates.decay_new).toBeCloseTo(2e-3 * (49 / 50), 12);
      expect(values.loss).toBeCloseTo(values.contrastive + values.affiliation, 4);
      expect(values.gradNorm).toBeGreaterThan(0);
      expect(result.parts.loss.isDisposed && result.gradNorm.isDisposed).toBe(true);
    } finally {
      data.mockRestore();
      dataSync.mockRestore();
      arraySync.mockRestore();
      optimizer.dispose();
      model.dispose();
    }
  });

  it('a gradient-cached step updates the parameters as the plain step does (dropout 0)', async () => {
    const a = setup(5, 0);
    const b = setup(5, 0);
    const va = await readStep(trainStep(a.task, a.optimizer, batch, { maxGradNorm: 1 }));
    const vb = await readStep(trainStep(b.task, b.optimizer, batch, { microBatch: 3, maxGradNorm: 1 }));
    expect(vb.loss).toBeCloseTo(va.loss, 5);
    expect(vb.gradNorm).toBeCloseTo(va.gradNorm, 4);
    const pa = a.model.trainableVariables();
    const pb = b.model.trainableVariables();
    let worst = 0;
    for (const [i, v] of pa.entries()) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(v, pb[i] as tf.Variable))));
      worst = Math.max(worst, (await d.data())[0] as number);
      d.dispose();
    }
    // one AdamW step moves each weight by ≈ lr = 1e-3; the two must agree far below that
    expect(worst).toBeLessThan(2e-5);
    for (const s of [a, b]) {
      s.optimizer.dispose();
      s.model.dispose();
    }
  });

  it('applies the model constraints after the step and lowers the loss over a few steps', async () => {
    const { model, optimizer, task } = setup(2, 0);
    model.temperature!.variable.assign(tf.scalar(1e-5)); // below τ1's floor of 0.001
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) losses.push((await readStep(trainStep(task, optimizer, batch))).loss);
    const tau = (await model.temperature!.variable.data())[0] as number;
    expect(tau).toBeGreaterThanOrEqual(0.001 - 1e-9);
    expect(losses[4]).toBeLessThan(losses[0] as number);
    optimizer.dispose();
    model.dispose();
  });

  it('rejects an optimiser that misses a trained variable, a bad maxGradNorm, another optimiser', () => {
    const { model, optimizer, task } = setup();
    const partial = new AdamW(namedTrainableParameters(model).slice(1));
    const adam = tf.train.adam(1e-3);
    const check = (fn: () => unknown, argument: string) => {
      const before = tf.memory().numTensors;
      try {
        fn();
        expect.fail('expected a TrainInputError');
      } catch (e) {
        expect(e).toBeInstanceOf(TrainInputError);
        expect((e as TrainInputError).where).toBe('trainStep');
        expect((e as TrainInputError).argument).toBe(argument);
      }
      expect(tf.memory().numTensors).toBe(before);
    };
    check(() => trainStep(task, partial, batch), 'optimizer');
    check(() => trainStep(task, optimizer, batch, { maxGradNorm: 0 }), 'maxGradNorm');
    check(() => trainStep(task, adam as unknown as AdamW, batch), 'optimizer');
    adam.dispose();
    partial.dispose();
    optimizer.dispose();
    model.dispose();
  });
});
