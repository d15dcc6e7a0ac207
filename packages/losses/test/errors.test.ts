/**
 * Bad inputs: every check throws a `LossInputError` that names the function, the argument and the shapes —
 * and leaks nothing while doing so.
 */
import { PirError } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  affiliationLoss,
  assertFinite,
  clipLoss,
  LearnableTemperature,
  LogitScale,
  LossInputError,
  multiPositiveInfoNCE,
  pirClipLoss,
  pirItrLoss,
  tripletLoss,
} from '../src/index.js';

/**
 * Assert `f` throws a LossInputError (a PirError) from `where` about `argument` whose message starts with
 * `where: ` and matches `message`, leaking nothing.
 */
async function expectInputError(
  where: string,
  f: () => unknown,
  argument: string,
  message: RegExp,
): Promise<void> {
  await expectNoLeak(() => {
    let caught: unknown;
    try {
      f();
    } catch (e) {
      caught = e;
    }
    expect(caught, 'expected a LossInputError').toBeInstanceOf(LossInputError);
    expect(caught).toBeInstanceOf(PirError);
    const err = caught as LossInputError;
    expect(err.name).toBe('LossInputError');
    expect(err.where).toBe(where);
    expect(err.fn, 'the deprecated fn getter').toBe(where);
    expect(err.argument).toBe(argument);
    expect(err.message.startsWith(`${where}: `), err.message).toBe(true);
    expect(err.message).toMatch(message);
  }, 'a rejected call');
}

describeBackends('bad inputs', () => {
  let v4: tf.Tensor2D;
  let t4: tf.Tensor2D;
  let t3: tf.Tensor2D;
  let nan: tf.Tensor2D;
  beforeAll(() => {
    v4 = tf.ones([4, 8]);
    t4 = tf.ones([4, 8]);
    t3 = tf.ones([3, 8]);
    nan = tf.tensor2d([
      [1, 0],
      [Number.NaN, 1],
    ]);
  });
  afterAll(() => tf.dispose([v4, t4, t3, nan]));

  it('mismatched batch sizes of v and t (every function)', async () => {
    const re = /v and t must have the same batch size B, got v \[4, 8\] and t \[3, 8\]/;
    await expectInputError('multiPositiveInfoNCE', () => multiPositiveInfoNCE(v4, t3, [0, 1, 2, 3]), 't', re);
    await expectInputError('clipLoss', () => clipLoss(v4, t3), 't', re);
    await expectInputError('tripletLoss', () => tripletLoss(v4, t3), 't', re);
    await expectInputError('affiliationLoss', () => affiliationLoss(v4, t3, [0, 1, 2, 3]), 't', re);
    await expectInputError(
      'pirItrLoss',
      () => pirItrLoss(v4, t3, { imageIds: [0, 1, 2, 3], labels: [0, 1, 2, 3] }),
      't',
      /pirItrLoss/,
    );
    await expectInputError(
      'pirClipLoss',
      () => pirClipLoss(v4, t3, { labels: [0, 1, 2, 3] }),
      't',
      /pirClipLoss/,
    );
  });

  it('mismatched widths', async () => {
    const t = tf.ones([4, 5]);
    await expectInputError(
      'clipLoss',
      () => clipLoss(v4, t as tf.Tensor2D),
      't',
      /same width D, got v \[4, 8\] and t \[4, 5\]/,
    );
    t.dispose();
  });

  it('wrong ranks', async () => {
    const seq = tf.ones([4, 50, 8]);
    await expectInputError(
      'multiPositiveInfoNCE',
      () => multiPositiveInfoNCE(seq as unknown as tf.Tensor2D, t4, [0, 1, 2, 3]),
      'v',
      /v must have rank 2 \[B, D\], got rank 3 with shape \[4, 50, 8\]/,
    );
    const vec = tf.ones([8]);
    await expectInputError(
      'clipLoss',
      () => clipLoss(v4, vec as unknown as tf.Tensor2D),
      't',
      /rank 2.*got rank 1 with shape \[8\]/,
    );
    tf.dispose([seq, vec]);
  });

  it('non-float and empty embeddings', async () => {
    const ints = tf.ones([4, 8], 'int32');
    await expectInputError('clipLoss', () => clipLoss(ints as tf.Tensor2D, t4), 'v', /float32, got int32/);
    const empty = tf.ones([0, 8]);
    await expectInputError(
      'clipLoss',
      () => clipLoss(empty as tf.Tensor2D, empty as tf.Tensor2D),
      'v',
      /empty: shape \[0, 8\]/,
    );
    tf.dispose([ints, empty]);
  });

  it('ids / labels of the wrong length, rank or dtype', async () => {
    await expectInputError(
      'multiPositiveInfoNCE',
      () => multiPositiveInfoNCE(v4, t4, [0, 1, 2]),
      'imageIds',
      /imageIds must have one entry per row of v and t \(B = 4\), got 3/,
    );
    await expectInputError(
      'affiliationLoss',
      () => affiliationLoss(v4, t4, ['a', 'b']),
      'labels',
      /B = 4\), got 2/,
    );
    await expectInputError(
      'tripletLoss',
      () => tripletLoss(v4, t4, { imageIds: [1, 2, 3, 4, 5] }),
      'imageIds',
      /got 5/,
    );
    const ids2d = tf.ones([4, 1], 'int32');
    await expectInputError(
      'multiPositiveInfoNCE',
      () => multiPositiveInfoNCE(v4, t4, ids2d as unknown as tf.Tensor1D),
      'imageIds',
      /shape \[B\] = \[4\].*got \[4, 1\]/,
    );
    const floatIds = tf.tensor1d([0, 1, 2, 3]);
    await expectInputError(
      'multiPositiveInfoNCE',
      () => multiPositiveInfoNCE(v4, t4, floatIds),
      'imageIds',
      /int32 tensor, got float32/,
    );
    await expectInputError(
      'affiliationLoss',
      () => affiliationLoss(v4, t4, [0, Number.NaN, 1, 2]),
      'labels',
      /labels\[1\] must be a finite/,
    );
    tf.dispose([ids2d, floatIds]);
  });

  it('non-positive or non-finite temperatures, bad scales', async () => {
    await expectInputError(
      'multiPositiveInfoNCE',
      () => multiPositiveInfoNCE(v4, t4, [0, 1, 2, 3], { temperature: 0 }),
      'temperature',
      /temperature must be a finite number > 0, got 0/,
    );
    await expectInputError(
      'affiliationLoss',
      () => affiliationLoss(v4, t4, [0, 0, 1, 1], { temperature: -0.07 }),
      'temperature',
      /> 0/,
    );
    await expectInputError(
      'clipLoss',
      () => clipLoss(v4, t4, { logScale: Number.NaN }),
      'logScale',
      /finite/,
    );
    const neg = tf.scalar(-1);
    await expectInputError(
      'multiPositiveInfoNCE',
      () => multiPositiveInfoNCE(v4, t4, [0, 1, 2, 3], { temperature: neg, validate: true }),
      'temperature',
      /must be > 0, got -1/,
    );
    const vec = tf.ones([2]);
    await expectInputError(
      'clipLoss',
      () => clipLoss(v4, t4, { logScale: vec as tf.Scalar }),
      'logScale',
      /scalar tensor, got shape \[2\]/,
    );
    await expectInputError(
      'affiliationLoss',
      () => affiliationLoss(v4, t4, [0, 0, 1, 1], { temperature: 0.1, logScale: 2 }),
      'logScale',
      /not both/,
    );
    await expectInputError(
      'pirItrLoss',
      () => pirItrLoss(v4, t4, { imageIds: [0, 1, 2, 3], labels: [0, 1, 2, 3], affiliationTemperature: 0 }),
      'affiliationTemperature',
      /pirItrLoss: the temperature must be a finite number > 0, got 0/,
    );
    await expectInputError(
      'pirClipLoss',
      () => pirClipLoss(v4, t4, { labels: [0, 1, 2, 3], logScale: Number.POSITIVE_INFINITY }),
      'logScale',
      /pirClipLoss: .*finite/,
    );
    tf.dispose([neg, vec]);
    await expectInputError(
      'LearnableTemperature',
      () => new LearnableTemperature({ init: 0 }),
      'init',
      /temperature must be > 0, got init = 0/,
    );
    await expectInputError(
      'LearnableTemperature',
      () => new LearnableTemperature({ min: 0 }),
      'min',
      /min must be a finite number > 0/,
    );
    await expectInputError(
      'LearnableTemperature',
      () => new LearnableTemperature({ min: 0.1, max: 0.01 }),
      'max',
      /max must be finite and ≥ min/,
    );
    await expectInputError(
      'LearnableTemperature',
      () => new LearnableTemperature({ parametrization: 'exp' as 'log' }),
      'parametrization',
      /must be 'direct' or 'log', got 'exp'/,
    );
    await expectInputError('LogitScale', () => new LogitScale({ init: -1 }), 'init', /> 0, got init = -1/);
    await expectInputError('LogitScale', () => new LogitScale({ maxScale: 0 }), 'maxScale', /maxScale/);
  });

  it('bad options', async () => {
    await expectInputError(
      'tripletLoss',
      () => tripletLoss(v4, t4, { margin: -0.2 }),
      'margin',
      /≥ 0, got -0.2/,
    );
    await expectInputError(
      'tripletLoss',
      () => tripletLoss(v4, t4, { reduction: 'mean' as 'sum' }),
      'reduction',
      /'sum' or 'hardest', got 'mean'/,
    );
    await expectInputError(
      'affiliationLoss',
      () => affiliationLoss(v4, t4, [0, 0, 1, 1], { direction: 'both' as 'itr' }),
      'direction',
      /'itr' or 'clip'/,
    );
    await expectInputError(
      'pirItrLoss',
      () => pirItrLoss(v4, t4, { imageIds: [0, 1, 2, 3], labels: [0, 1, 2, 3], lambda: Number.NaN }),
      'lambda',
      /finite/,
    );
  });

  it('NaN inputs: validate names the tensor and row; otherwise the loss is NaN (never hidden)', async () => {
    await expectInputError(
      'multiPositiveInfoNCE',
      () => multiPositiveInfoNCE(nan, nan, [0, 1], { validate: true }),
      'v',
      /v \[2, 2\] contains a non-finite value \(NaN\) at flat index 2 \(row 1\)/,
    );
    await expectInputError(
      'pirClipLoss',
      () => pirClipLoss(nan, nan, { labels: [0, 1], validate: true }),
      'v',
      /NaN/,
    );
    for (const loss of [
      multiPositiveInfoNCE(nan, nan, [0, 1]),
      clipLoss(nan, nan),
      tripletLoss(nan, nan),
      tripletLoss(nan, nan, { reduction: 'hardest' }),
      affiliationLoss(nan, nan, [0, 0]),
    ]) {
      expect(Number.isNaN((await loss.data())[0])).toBe(true);
      await expect(assertFinite({ loss })).rejects.toThrow(/loss \[\] contains a non-finite value \(NaN\)/);
      await expect(assertFinite({ loss })).rejects.toMatchObject({
        name: 'LossInputError',
        where: 'assertFinite',
        argument: 'loss',
      });
      await expect(assertFinite({ loss }, 'myTrainingStep')).rejects.toMatchObject({
        where: 'myTrainingStep',
        message: expect.stringMatching(/^myTrainingStep: loss \[\]/),
      });
      loss.dispose();
    }
  });
});
