/**
 * The optimiser's building blocks: schedules (values and errors), parameter groups, AdamW's rules (frozen
 * variables, skipped parameters, errors, state errors), clipping, and the named parameters of a PIR model.
 * The numerics against PyTorch are `optim_golden.test.ts`.
 */
import { createModel } from '@pir/models';
import { linearSpecs, type NamedParameter, ParamStore, StateDictError, ZEROS } from '@pir/nn';
import { PirError, Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { TrainInputError } from '../src/errors.js';
import {
  AdamW,
  clipGradNorm,
  clipGradNormInPlace,
  constantLr,
  cosineWithWarmup,
  linearWarmupDecay,
  namedTrainableParameters,
  noDecayByShape,
  noDecayOf,
  PIR_ITR_ADAMW,
  paramGroups,
  scheduleOf,
} from '../src/optim/index.js';

function expectTrainError(fn: () => unknown, where: string, argument: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TrainInputError);
    expect(e).toBeInstanceOf(PirError);
    expect((e as TrainInputError).name).toBe('TrainInputError');
    expect((e as TrainInputError).where).toBe(where);
    expect((e as TrainInputError).argument).toBe(argument);
    expect((e as Error).message.startsWith(`${where}: `)).toBe(true);
    return;
  }
  expect.fail(`expected a TrainInputError from ${where} about ${argument}`);
}

it('linearWarmupDecay is Hugging Face get_linear_schedule_with_warmup (10 % warm-up by default)', () => {
  const s = linearWarmupDecay({ totalSteps: 100 });
  expect([0, 5, 10, 55, 100, 120].map(s)).toEqual([0, 0.5, 1, 0.5, 0, 0]);
  const w = linearWarmupDecay({ totalSteps: 10, warmupSteps: 0 });
  expect([0, 5, 10].map(w)).toEqual([1, 0.5, 0]);
});

it('cosineWithWarmup is open_clip cosine_lr ((step + 1) / W, then a half cosine, 0 past the end)', () => {
  const s = cosineWithWarmup({ totalSteps: 12, warmupSteps: 4 });
  expect([0, 3, 4, 8, 12, 20].map(s)).toEqual([0.25, 1, 1, 0.5, 0, 0]);
  expect(cosineWithWarmup({ totalSteps: 10 })(0)).toBe(1); // W = 1
});

it('constantLr ramps like open_clip const_lr, then stays at 1', () => {
  expect([0, 1, 2, 99].map(constantLr({ warmupSteps: 2 }))).toEqual([0.5, 1, 1, 1]);
  expect(constantLr()(0)).toBe(1);
});

it('finalLr ends the decay above 0; scheduleOf builds a schedule from plain data', () => {
  expect(linearWarmupDecay({ totalSteps: 10, warmupSteps: 0, finalLr: 0.1 })(10)).toBeCloseTo(0.1, 12);
  expect(linearWarmupDecay({ totalSteps: 10, warmupSteps: 0, finalLr: 0.1 })(5)).toBeCloseTo(0.55, 12);
  expect(cosineWithWarmup({ totalSteps: 10, warmupSteps: 0, finalLr: 0.2 })(10)).toBeCloseTo(0.2, 12);
  const lin = scheduleOf({ name: 'linear', warmup: 0.1 }, 20);
  expect([0, 1, 2, 11, 20].map(lin)).toEqual([0, 0.5, 1, 0.5, 0]);
  const cos = scheduleOf({ name: 'cosine', warmup: 0.2, finalLr: 0 }, 10);
  expect([0, 1, 6, 10].map(cos)).toEqual([0.5, 1, 0.5, 0]);
  expect([0, 1, 9].map(scheduleOf({ name: 'constant', warmup: 0.2 }, 10))).toEqual([0.5, 1, 1]);
  expectTrainError(() => scheduleOf({ name: 'step' as 'linear', warmup: 0 }, 10), 'scheduleOf', 'name');
  expectTrainError(() => linearWarmupDecay({ totalSteps: 10, finalLr: 2 }), 'linearWarmupDecay', 'finalLr');
});

it('schedules reject bad options and steps, naming them', () => {
  expectTrainError(() => linearWarmupDecay({ totalSteps: 0 }), 'linearWarmupDecay', 'totalSteps');
  expectTrainError(
    () => linearWarmupDecay({ totalSteps: 10, warmupSteps: 1, warmupFraction: 0.1 }),
    'linearWarmupDecay',
    'warmupSteps',
  );
  expectTrainError(
    () => cosineWithWarmup({ totalSteps: 10, warmupSteps: 11 }),
    'cosineWithWarmup',
    'warmupSteps',
  );
  expectTrainError(
    () => cosineWithWarmup({ totalSteps: 10, warmupFraction: 2 }),
    'cosineWithWarmup',
    'warmupFraction',
  );
  expectTrainError(() => constantLr({ warmupSteps: -1 }), 'constantLr', 'warmupSteps');
  expectTrainError(() => linearWarmupDecay({ totalSteps: 10 })(1.5), 'linearWarmupDecay', 'step');
  expectTrainError(() => constantLr()(-1), 'constantLr', 'step');
});

describeBackends('parameter groups and AdamW rules', () => {
  function store(): ParamStore {
    return new ParamStore(
      [
        ...linearSpecs('enc', 3, 2),
        { name: 'temp', shape: [], init: ZEROS },
        ...linearSpecs('head', 2, 2),
        { name: 'running_mean', shape: [2], init: ZEROS, trainable: false },
      ],
      new Rng(1),
    );
  }

  it('paramGroups: rank < 2 without decay, new prefixes × 2, buffers and frozen variables left out', () => {
    const s = store();
    s.setTrainable(false, (n) => n === 'head.bias');
    const params = s.namedParameters();
    const groups = paramGroups([...params, ...params], { newParams: ['head.'] });
    expect(
      groups.map((g) => [g.name, g.params.map((p) => p.spec.name), g.weightDecay, g.lrMultiplier]),
    ).toEqual([
      ['decay', ['enc.weight'], undefined, 1],
      ['no_decay', ['enc.bias', 'temp'], 0, 1],
      ['decay_new', ['head.weight'], undefined, 2],
    ]);
    const custom = paramGroups(params, { noDecay: () => true, newParams: (p) => p.spec.name === 'temp' });
    expect(custom.map((g) => [g.name, g.params.length])).toEqual([
      ['no_decay', 3],
      ['no_decay_new', 1],
    ]);
    expect(noDecayByShape(params[0] as NamedParameter)).toBe(false);
    const kinds = (k: Parameters<typeof noDecayOf>[0]) => params.filter(noDecayOf(k)).map((p) => p.spec.name);
    expect(kinds(['bias', 'norm', 'scalar'])).toEqual(params.filter(noDecayByShape).map((p) => p.spec.name));
    expect(kinds(['bias', 'norm'])).toEqual(['enc.bias', 'head.bias', 'running_mean']);
    expect(kinds(['scalar'])).toEqual(['temp']);
    expectTrainError(() => noDecayOf(['biases' as 'bias']), 'noDecayOf', 'kinds');
    expectTrainError(() => paramGroups(params, { newParams: ['heads.'] }), 'paramGroups', 'newParams');
    expectTrainError(() => paramGroups(params, { newLrMultiplier: -1 }), 'paramGroups', 'newLrMultiplier');
    s.dispose();
  });

  it('defaults are the PIR-ITR recipe; named parameters make one group', () => {
    const s = store();
    const opt = new AdamW(s.namedParameters());
    expect([opt.lr, opt.betas, opt.eps, opt.weightDecay]).toEqual([
      PIR_ITR_ADAMW.lr,
      [0.9, 0.98],
      PIR_ITR_ADAMW.eps,
      PIR_ITR_ADAMW.weightDecay,
    ]);
    expect(opt.groups.map((g) => g.name)).toEqual(['all']);
    expect(opt.learningRate()).toBe(6e-5);
    opt.dispose();
    s.dispose();
  });

  it('a frozen variable never moves, a parameter without a gradient is skipped, others move', async () => {
    const s = store();
    const params = s.namedParameters();
    const opt = new AdamW([{ name: 'all', params }], { lr: 0.1 });
    s.setTrainable(false, (n) => n === 'enc.weight'); // frozen after the optimiser was made
    const before = params.map((p) => p.variable.clone());
    const grads = new Map(
      params.filter((p) => p.spec.name !== 'temp').map((p) => [p.variable, tf.onesLike(p.variable)]),
    );
    opt.step(grads);
    const state = await opt.state();
    expect(state.paramSteps).toEqual({
      'enc.weight': 0,
      'enc.bias': 1,
      temp: 0,
      'head.weight': 1,
      'head.bias': 1,
      running_mean: 0,
    });
    for (const [i, p] of params.entries()) {
      const moved = (await tf.max(tf.abs(tf.sub(p.variable, before[i] as tf.Tensor))).data())[0] as number;
      if (['enc.weight', 'temp', 'running_mean'].includes(p.spec.name)) expect(moved, p.spec.name).toBe(0);
      else expect(moved, p.spec.name).toBeGreaterThan(0.05);
    }
    tf.dispose([...before, ...grads.values()]);
    opt.dispose();
    s.dispose();
  });

  it('rejects bad hyper-parameters, duplicates, wrong gradients and use after dispose', () => {
    const s = store();
    const params = s.namedParameters();
    expectTrainError(() => new AdamW(params, { lr: -1 }), 'AdamW', 'lr');
    expectTrainError(() => new AdamW(params, { betas: [0.9, 1] }), 'AdamW', 'betas[1]');
    expectTrainError(() => new AdamW(params, { eps: Number.NaN }), 'AdamW', 'eps');
    expectTrainError(() => new AdamW([]), 'AdamW', 'params');
    expectTrainError(() => new AdamW([...params, params[0] as NamedParameter]), 'AdamW', 'enc.weight');
    expectTrainError(
      () => new AdamW([{ name: 'a', params, weightDecay: -0.1 }]),
      'AdamW',
      'groups[0].weightDecay',
    );
    const opt = new AdamW(params);
    const wrong = tf.zeros([5]);
    expectTrainError(() => opt.step(new Map([[params[0]!.variable, wrong]])), 'AdamW.step', 'enc.weight');
    expectTrainError(() => opt.learningRate('nope'), 'AdamW.learningRate', 'group');
    opt.dispose();
    expectTrainError(() => opt.step(new Map()), 'AdamW.step', 'optimizer');
    wrong.dispose();
    s.dispose();
  });

  it('loadState rejects a state of other parameters, naming the entry', async () => {
    const a = store();
    const b = new ParamStore(linearSpecs('enc', 3, 2), new Rng(2));
    const optA = new AdamW(a.namedParameters());
    const optB = new AdamW(b.namedParameters());
    const state = await optA.state();
    expectTrainError(() => optB.loadState(state), 'AdamW.loadState', 'paramSteps.temp');
    const own = await optB.state();
    expectTrainError(() => optB.loadState({ ...own, step: -1 }), 'AdamW.loadState', 'step');
    const moments = new Map(own.moments);
    moments.delete('enc.bias.exp_avg');
    try {
      optB.loadState({ ...own, moments });
      expect.fail('expected a StateDictError');
    } catch (e) {
      expect(e).toBeInstanceOf(StateDictError);
      expect((e as StateDictError).missing).toEqual(['enc.bias.exp_avg']);
      expect((e as StateDictError).where).toBe('AdamW.loadState');
    }
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
  });

  it('clipGradNorm leaves small gradients alone, scales large ones to maxNorm, leaks nothing', async () => {
    const x = tf.variable(tf.zeros([2]));
    const y = tf.variable(tf.zeros([2, 2]));
    const gx = tf.tensor1d([3, 0]);
    const gy = tf.tensor2d([
      [0, 4],
      [0, 0],
    ]);
    const grads = new Map<tf.Variable, tf.Tensor>([
      [x, gx],
      [y, gy],
    ]);
    await expectNoLeak(() => {
      const r = clipGradNorm(grads, 1);
      tf.dispose([r.totalNorm, ...r.grads.values()]);
    }, 'clipGradNorm');
    const big = clipGradNorm(grads, 1);
    expect((await big.totalNorm.data())[0]).toBeCloseTo(5, 5);
    await expectAllClose(big.grads.get(x) as tf.Tensor, [0.6, 0], { atol: 1e-6, rtol: 1e-6 });
    await expectAllClose(big.grads.get(y) as tf.Tensor, [0, 0.8, 0, 0], { atol: 1e-6, rtol: 1e-6 });
    const small = clipGradNorm(grads, 10);
    await expectAllClose(small.grads.get(y) as tf.Tensor, [0, 4, 0, 0], { atol: 1e-5, rtol: 1e-6 });
    const none = clipGradNorm(new Map(), 1);
    expect(none.grads.size).toBe(0);
    expectTrainError(() => clipGradNorm(grads, 0), 'clipGradNorm', 'maxNorm');
    tf.dispose([
      x,
      y,
      gx,
      gy,
      big.totalNorm,
      ...big.grads.values(),
      small.totalNorm,
      ...small.grads.values(),
      none.totalNorm,
    ]);
  });
});

describeBackends('clipGradNormInPlace', () => {
  it('gives clipGradNorm’s values in the same map, frees the originals as it goes, leaks nothing', async () => {
    const x = tf.variable(tf.zeros([2]));
    const y = tf.variable(tf.zeros([2, 2]));
    const make = () =>
      new Map<tf.Variable, tf.Tensor>([
        [x, tf.tensor1d([3, 0])],
        [y, tf.tensor2d([0, 4, 0, 0], [2, 2])],
      ]);
    try {
      await expectNoLeak(async () => {
        const ref = make();
        const want = clipGradNorm(ref, 1);
        const grads = make();
        const originals = [...grads.values()];
        const before = tf.memory().numTensors;
        const total = clipGradNormInPlace(grads, 1);
        expect(tf.memory().numTensors).toBe(before + 1); // the norm; the clipped replace the originals
        expect(originals.every((g) => g.isDisposed)).toBe(true);
        expect((await total.data())[0]).toBeCloseTo(5, 5);
        for (const v of [x, y])
          await expectAllClose(grads.get(v) as tf.Tensor, await (want.grads.get(v) as tf.Tensor).data(), {
            atol: 0,
            rtol: 0,
          });
        const none = clipGradNormInPlace(new Map(), 1);
        expectTrainError(() => clipGradNormInPlace(grads, Number.NaN), 'clipGradNorm', 'maxNorm');
        tf.dispose([total, none, want.totalNorm, ...want.grads.values(), ...ref.values(), ...grads.values()]);
      });
    } finally {
      tf.dispose([x, y]);
    }
  });
});

describeBackends('namedTrainableParameters of a PIR model', () => {
  it('names every trainable variable once: own names, encoders under a prefix, no instruction encoder', () => {
    for (const name of ['pir-itr-test', 'pir-clip-test'] as const) {
      const model = createModel(name, { seed: 1 });
      const named = namedTrainableParameters(model);
      expect(named.map((p) => p.variable)).toEqual(model.trainableVariables());
      const names = named.map((p) => p.spec.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names.some((n) => n.startsWith('encoders.vision.'))).toBe(true);
      expect(names.some((n) => n.startsWith('encoders.text.'))).toBe(true);
      expect(names.some((n) => n.startsWith('encoders.instruction.'))).toBe(false);
      expect(names).toContain(name === 'pir-itr-test' ? 'temp' : 'logit_scale');
      const custom = namedTrainableParameters(model, { visionPrefix: 'visual.', textPrefix: 'bert.' });
      expect(custom.some((p) => p.spec.name.startsWith('visual.'))).toBe(true);
      const groups = paramGroups(named);
      expect(groups.reduce((n, g) => n + g.params.length, 0)).toBe(named.length);
      model.dispose();
    }
  });
}, ['cpu']);
