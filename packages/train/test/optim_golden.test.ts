/**
 * AdamW + parameter groups + linear warm-up schedule + clipping against PyTorch (`torch.optim.AdamW`,
 * `LambdaLR` with Hugging Face's linear warm-up, `clip_grad_norm_`): 5 steps on fixed gradients, parameters,
 * moments and per-parameter step counts after each step (`test/golden/train_optim.py`), on cpu and wasm.
 *
 * Tolerance: both sides are float32; after 5 steps of lr 0.1 the parameters differ by a few float32 ulps of
 * the update (m / (√v + ε) is O(1)), so 2e-6 abs + 1e-5 rel is ample; the moments likewise.
 */
import {
  linearSpecs,
  loadStateDict,
  type NamedParameter,
  type ParamSpec,
  ParamStore,
  stateDict,
  torchToTfPerm,
  ZEROS,
} from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { AdamW, clipGradNorm, linearWarmupDecay, paramGroups } from '../src/optim/index.js';
import fx from './fixtures/train_optim.json';

interface Entry {
  shape: number[];
  data: number[];
}
interface Step {
  grads: Record<string, Entry>;
  lr: Record<string, number>;
  totalNorm: number;
  params: Record<string, Entry>;
  paramSteps: Record<string, number>;
  expAvg: Record<string, Entry>;
}
const golden = fx as unknown as {
  config: {
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    maxNorm: number;
    totalSteps: number;
    warmupFraction: number;
    newPrefix: string;
    newLrMultiplier: number;
  };
  groups: Record<string, string>;
  initial: Record<string, Entry>;
  steps: Step[];
};
const C = golden.config;
const TOL = { atol: 2e-6, rtol: 1e-5 };

/** The tiny model of the fixture: PyTorch names and shapes, tfjs layouts. */
function specs(): ParamSpec[] {
  return [
    ...linearSpecs('enc', 4, 3),
    { name: 'norm.weight', shape: [3], init: ZEROS },
    { name: 'norm.bias', shape: [3], init: ZEROS },
    { name: 'conv.weight', shape: [2, 1, 2, 2], layout: 'conv2d', init: ZEROS },
    { name: 'temp', shape: [], init: ZEROS },
    ...linearSpecs('head', 3, 2),
  ];
}

/** A gradient in the variable's layout from a PyTorch-layout entry. */
function gradOf(p: NamedParameter, e: Entry): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(e.data, e.shape, 'float32');
    const perm = torchToTfPerm(p.spec.layout);
    return perm === null ? t : tf.transpose(t, perm);
  });
}

function gradsOf(params: NamedParameter[], step: Step): Map<tf.Variable, tf.Tensor> {
  const m = new Map<tf.Variable, tf.Tensor>();
  for (const p of params) {
    const e = step.grads[p.spec.name];
    if (e !== undefined) m.set(p.variable, gradOf(p, e));
  }
  return m;
}

function setup() {
  const store = new ParamStore(specs(), new Rng(0));
  loadStateDict(store, golden.initial);
  const params = store.namedParameters();
  const groups = paramGroups(params, { newParams: [C.newPrefix], newLrMultiplier: C.newLrMultiplier });
  const opt = new AdamW(groups, {
    lr: C.lr,
    betas: C.betas,
    eps: C.eps,
    weightDecay: C.weightDecay,
    schedule: linearWarmupDecay({ totalSteps: C.totalSteps, warmupFraction: C.warmupFraction }),
  });
  return { store, params, groups, opt };
}

/** One step as the fixture took it: clip, then AdamW. @returns the total norm */
async function takeStep(opt: AdamW, params: NamedParameter[], step: Step): Promise<number> {
  const grads = gradsOf(params, step);
  const { grads: clipped, totalNorm } = clipGradNorm(grads, C.maxNorm);
  opt.step(clipped);
  const norm = (await totalNorm.data())[0] as number;
  tf.dispose([...grads.values(), ...clipped.values(), totalNorm]);
  return norm;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describeBackends('parameter groups', () => {
  it('follow the released rule (rank < 2: no decay; head.*: lr × 2), as in the fixture', () => {
    const { store, groups, opt } = setup();
    const byName: Record<string, string> = {};
    for (const g of groups) for (const p of g.params) byName[p.spec.name] = g.name;
    expect(byName).toEqual(golden.groups);
    expect(groups.map((g) => [g.name, g.weightDecay, g.lrMultiplier])).toEqual([
      ['decay', undefined, 1],
      ['no_decay', 0, 1],
      ['decay_new', undefined, 2],
      ['no_decay_new', 0, 2],
    ]);
    expect(opt.groups.map((g) => g.weightDecay)).toEqual([C.weightDecay, 0, C.weightDecay, 0]);
    opt.dispose();
    store.dispose();
  });
}, ['cpu']);

describeBackends('AdamW against torch.optim.AdamW', (backend) => {
  it('reproduces 5 steps: learning rates, clipping norms, parameters, moments, per-parameter steps', async () => {
    const { store, params, opt } = setup();
    let worstParam = 0;
    let worstMoment = 0;
    try {
      for (const [k, step] of golden.steps.entries()) {
        for (const [group, lr] of Object.entries(step.lr))
          expect(opt.learningRate(group), `step ${k} lr of ${group}`).toBeCloseTo(lr, 12);
        const norm = await takeStep(opt, params, step);
        expect(norm, `step ${k} total norm`).toBeCloseTo(step.totalNorm, 4);
        const sd = await stateDict(store);
        for (const [name, e] of Object.entries(step.params)) {
          const got = sd.get(name)?.data as Float32Array;
          await expectAllClose(got, e.data, TOL, `step ${k}: ${name}`);
          worstParam = Math.max(worstParam, maxAbsDiff(got, e.data));
        }
        const state = await opt.state();
        expect(state.step).toBe(k + 1);
        expect(state.paramSteps).toEqual(step.paramSteps);
        for (const [name, e] of Object.entries(step.expAvg)) {
          const got = state.moments.get(`${name}.exp_avg`)?.data as Float32Array;
          expect(state.moments.get(`${name}.exp_avg`)?.shape).toEqual(e.shape); // PyTorch layout
          await expectAllClose(got, e.data, TOL, `step ${k}: ${name} exp_avg`);
          worstMoment = Math.max(worstMoment, maxAbsDiff(got, e.data));
        }
      }
      console.info(
        `[${backend}] AdamW vs PyTorch over 5 steps: max |Δparam| = ${worstParam.toExponential(2)}, max |Δexp_avg| = ${worstMoment.toExponential(2)}`,
      );
    } finally {
      opt.dispose();
      store.dispose();
    }
  });

  it('a state saved after 2 steps and loaded into a fresh optimiser continues exactly', async () => {
    const a = setup();
    const b = setup();
    try {
      for (const step of golden.steps.slice(0, 2)) await takeStep(a.opt, a.params, step);
      const saved = await a.opt.state();
      loadStateDict(b.store, await stateDict(a.store));
      // through JSON, as a checkpoint file would carry it
      const json = JSON.parse(
        JSON.stringify({
          ...saved,
          moments: Object.fromEntries(
            [...saved.moments].map(([k, v]) => [
              k,
              { shape: v.shape, data: Array.from(v.data as Float32Array) },
            ]),
          ),
        }),
      );
      b.opt.loadState(json);
      expect(b.opt.stepCount).toBe(2);
      for (const step of golden.steps.slice(2)) await takeStep(b.opt, b.params, step);
      const sd = await stateDict(b.store);
      const last = golden.steps[golden.steps.length - 1] as Step;
      for (const [name, e] of Object.entries(last.params))
        await expectAllClose(sd.get(name)?.data as Float32Array, e.data, TOL, `resumed: ${name}`);
    } finally {
      for (const s of [a, b]) {
        s.opt.dispose();
        s.store.dispose();
      }
    }
  });

  it('a step allocates nothing that outlives it; dispose frees the moments', async () => {
    const { store, params, opt } = setup();
    await takeStep(opt, params, golden.steps[0] as Step);
    const grads = gradsOf(params, golden.steps[1] as Step);
    await expectNoLeak(() => opt.step(grads), 'AdamW.step');
    tf.dispose([...grads.values()]);
    await expectNoLeak(() => opt.state(), 'AdamW.state');
    const before = tf.memory().numTensors;
    opt.dispose();
    expect(before - tf.memory().numTensors).toBe(2 * params.length);
    store.dispose();
  });
});
