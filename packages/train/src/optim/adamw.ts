/**
 * {@link AdamW}: Adam with decoupled weight decay, exactly as PyTorch's `torch.optim.AdamW` (1.13, the
 * single-tensor path), with parameter groups by name, a learning-rate schedule, and its state as plain data.
 *
 * For each parameter `p` with gradient `g`, at its step `t` (1-based), with the group's learning rate
 * `lr = base lr × schedule(step) × lrMultiplier` and weight decay `wd`:
 *
 * ```
 * p ← p · (1 − lr · wd)                      decoupled weight decay (before the Adam update)
 * m ← β₁ m + (1 − β₁) g                      first moment   (exp_avg)
 * v ← β₂ v + (1 − β₂) g²                     second moment  (exp_avg_sq)
 * p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)   bias-corrected, ε added after the square root
 * ```
 *
 * As in PyTorch, a parameter with no gradient in a step is skipped (no decay, its `t` does not advance), and
 * the moments start at zero. A variable whose `trainable` is false is never updated, even inside a group.
 */
import {
  type LoadReport,
  loadStateDict,
  type NamedParameter,
  type StateDict,
  type StateDictLike,
  stateDict,
  ZEROS,
} from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import { TrainInputError } from '../errors.js';
import type { Gradients } from './clip_grad_norm.js';
import type { ParamGroup } from './param_groups.js';
import { constantLr, type Schedule } from './schedules.js';

/** Hyper-parameters of {@link AdamW} (defaults: PIR-ITR's recipe, {@link PIR_ITR_ADAMW}). */
export interface AdamWConfig {
  /** Base learning rate, before the schedule and the group multipliers (6e-5). */
  lr?: number;
  /** (β₁, β₂) of the moment averages ((0.9, 0.98); PyTorch's default is (0.9, 0.999)). */
  betas?: readonly [number, number];
  /** ε, added to √v̂ (1e-8). */
  eps?: number;
  /** Decoupled weight decay of groups that do not set their own (0.01). */
  weightDecay?: number;
  /** Factor of `lr` per step, a pure function of the step (default: constant 1). */
  schedule?: Schedule;
}

/** PIR-ITR's optimiser (PIR_SPEC §5): AdamW lr 6e-5, betas (0.9, 0.98), eps 1e-8, weight decay 0.01. */
export const PIR_ITR_ADAMW = {
  lr: 6e-5,
  betas: [0.9, 0.98],
  eps: 1e-8,
  weightDecay: 0.01,
} as const satisfies AdamWConfig;

/**
 * PIR-CLIP's optimiser (PIR_SPEC §5 and the released command): AdamW lr 1e-5, betas (0.9, 0.98), eps 1e-6,
 * weight decay 0.5 (with {@link cosineWithWarmup}, 10 000 warm-up steps in the released command).
 */
export const PIR_CLIP_ADAMW = {
  lr: 1e-5,
  betas: [0.9, 0.98],
  eps: 1e-6,
  weightDecay: 0.5,
} as const satisfies AdamWConfig;

/** A group as the optimiser holds it: every field resolved. */
export interface ResolvedParamGroup {
  /** The group's name (`'group <i>'` when it had none). */
  readonly name: string;
  /** Its parameters. */
  readonly params: readonly NamedParameter[];
  /** Its decoupled weight decay (the optimiser's when the group set none). */
  readonly weightDecay: number;
  /** Its factor on the scheduled learning rate (1 when the group set none). */
  readonly lrMultiplier: number;
}

/**
 * The optimiser's state as plain data (PyTorch's `optimizer.state_dict()['state']`, keyed by parameter name
 * instead of index), for checkpoints. `moments` is `@pir/nn`'s one {@link StateDict} type, so
 * `writeSafetensors` writes it and a plain JSON object `{ name: { shape, data } }` loads back.
 */
export interface AdamWState {
  /** Optimiser steps taken (what the schedule reads). */
  step: number;
  /** Steps each parameter took (PyTorch's per-parameter `step`), by parameter name. */
  paramSteps: Record<string, number>;
  /**
   * `<name>.exp_avg` and `<name>.exp_avg_sq` of every parameter, in PyTorch layout (the parameter's PyTorch
   * shape: a Linear weight's moments are [out, in]).
   */
  moments: StateDict;
}

/** What {@link AdamW.loadState} accepts: an {@link AdamWState}, or the same read back from JSON. */
export interface AdamWStateLike {
  /** Optimiser steps taken. */
  step: number;
  /** Steps each parameter took, by name (every parameter of the optimiser, no other). */
  paramSteps: Readonly<Record<string, number>>;
  /** `<name>.exp_avg` / `<name>.exp_avg_sq` in PyTorch layout: a `StateDict` or its JSON form. */
  moments: StateDictLike;
}

interface Slot {
  readonly param: NamedParameter;
  readonly group: ResolvedParamGroup;
  readonly expAvg: tf.Variable;
  readonly expAvgSq: tf.Variable;
  step: number;
}

function isGroup(x: NamedParameter | ParamGroup): x is ParamGroup {
  return Array.isArray((x as ParamGroup).params);
}

function checkNumber(argument: string, x: number, ok: (x: number) => boolean, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x))
    throw new TrainInputError('AdamW', argument, `must be ${what}, got ${x}`);
  return x;
}

/**
 * AdamW with decoupled weight decay — PyTorch's `torch.optim.AdamW` step for step (see the module doc), over
 * parameter groups ({@link paramGroups}), with a learning-rate {@link Schedule} read from the step count.
 *
 * @example
 * ```ts
 * const params = namedTrainableParameters(model);
 * const opt = new AdamW(paramGroups(params, { newParams: ['head_'] }), {
 *   ...PIR_ITR_ADAMW,
 *   schedule: linearWarmupDecay({ totalSteps: 1000 }),
 * });
 * opt.step(grads); // grads: Map<tf.Variable, tf.Tensor>
 * const saved = await opt.state(); // { step, paramSteps, moments }
 * opt.loadState(saved);
 * opt.dispose();
 * ```
 */
export class AdamW {
  /** Base learning rate. */
  readonly lr: number;
  /** (β₁, β₂): decay rates of the first and second moment averages. */
  readonly betas: readonly [number, number];
  /** ε, added to the bias-corrected √v. */
  readonly eps: number;
  /** Weight decay of groups that do not set their own. */
  readonly weightDecay: number;
  /** Factor of {@link lr} per step (a pure function of {@link stepCount}). */
  readonly schedule: Schedule;
  /** The groups, resolved (weight decay and multiplier filled in). */
  readonly groups: readonly ResolvedParamGroup[];
  private readonly slots: Slot[] = [];
  private readonly byVariable = new Map<tf.Variable, Slot>();
  private steps = 0;
  private disposed = false;

  /**
   * @param params parameter groups ({@link paramGroups}), or named parameters (one group, `'all'`, with the
   *   optimiser's weight decay). Names and variables must be unique across groups.
   * @param config hyper-parameters; defaults {@link PIR_ITR_ADAMW} and a constant schedule
   */
  constructor(params: readonly ParamGroup[] | readonly NamedParameter[], config: AdamWConfig = {}) {
    this.lr = checkNumber('lr', config.lr ?? PIR_ITR_ADAMW.lr, (x) => x >= 0, 'a number ≥ 0');
    const betas = config.betas ?? PIR_ITR_ADAMW.betas;
    if (!Array.isArray(betas) || betas.length !== 2)
      throw new TrainInputError('AdamW', 'betas', `expected [β₁, β₂], got ${JSON.stringify(betas)}`);
    for (const [i, b] of betas.entries()) checkNumber(`betas[${i}]`, b, (x) => x >= 0 && x < 1, 'in [0, 1)');
    this.betas = [betas[0], betas[1]];
    this.eps = checkNumber('eps', config.eps ?? PIR_ITR_ADAMW.eps, (x) => x >= 0, 'a number ≥ 0');
    this.weightDecay = checkNumber(
      'weightDecay',
      config.weightDecay ?? PIR_ITR_ADAMW.weightDecay,
      (x) => x >= 0,
      'a number ≥ 0',
    );
    this.schedule = config.schedule ?? constantLr();
    if (typeof this.schedule !== 'function')
      throw new TrainInputError(
        'AdamW',
        'schedule',
        'expected a function of the step (e.g. linearWarmupDecay(…))',
      );
    if (!Array.isArray(params) || params.length === 0)
      throw new TrainInputError('AdamW', 'params', 'expected parameter groups or named parameters, got none');
    const list = params as readonly (ParamGroup | NamedParameter)[];
    const raw: ParamGroup[] = list.every(isGroup)
      ? (list as ParamGroup[])
      : list.some(isGroup)
        ? (() => {
            throw new TrainInputError('AdamW', 'params', 'mixes parameter groups and named parameters');
          })()
        : [{ name: 'all', params: list as NamedParameter[] }];
    const names = new Set<string>();
    this.groups = raw.map((g, i) => {
      const group: ResolvedParamGroup = {
        name: g.name ?? `group ${i}`,
        params: [...g.params],
        weightDecay: checkNumber(
          `groups[${i}].weightDecay`,
          g.weightDecay ?? this.weightDecay,
          (x) => x >= 0,
          'a number ≥ 0',
        ),
        lrMultiplier: checkNumber(
          `groups[${i}].lrMultiplier`,
          g.lrMultiplier ?? 1,
          (x) => x >= 0,
          'a number ≥ 0',
        ),
      };
      for (const p of group.params) {
        const name = p?.spec?.name;
        if (typeof name !== 'string' || !(p.variable instanceof tf.Variable))
          throw new TrainInputError('AdamW', `groups[${i}]`, 'expected named parameters { spec, variable }');
        if (names.has(name) || this.byVariable.has(p.variable))
          throw new TrainInputError('AdamW', name, `'${name}' is listed twice (in one group or in two)`);
        names.add(name);
        const slot: Slot = {
          param: p,
          group,
          expAvg: zerosVariable(p.variable),
          expAvgSq: zerosVariable(p.variable),
          step: 0,
        };
        this.slots.push(slot);
        this.byVariable.set(p.variable, slot);
      }
      return group;
    });
  }

  /** Whether the optimiser updates `variable` (it is in one of the groups). */
  has(variable: tf.Variable): boolean {
    return this.byVariable.has(variable);
  }

  /** Optimiser steps taken so far (the schedule's input for the next step). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * The learning rate of a group at the next step: `lr × schedule(stepCount) × lrMultiplier` (the first
   * group when none is named) — PyTorch's `param_group['lr']`.
   */
  learningRate(group?: string): number {
    const g = group === undefined ? this.groups[0] : this.groups.find((x) => x.name === group);
    if (g === undefined)
      throw new TrainInputError(
        'AdamW.learningRate',
        'group',
        `no group '${group}' (groups: ${this.groups.map((x) => x.name).join(', ')})`,
      );
    return this.lr * this.schedule(this.steps) * g.lrMultiplier;
  }

  /**
   * One AdamW step with these gradients (see the module doc). Parameters without a gradient are skipped, as
   * are variables that are not trainable now; gradients of variables outside the groups are ignored (as
   * PyTorch ignores `.grad` of parameters it was not given). Reads nothing back from the backend.
   * @param grads variable → gradient of the variable's shape (e.g. from `computeGradients`, clipped)
   */
  step(grads: Gradients): void {
    this.check('AdamW.step');
    if (!(grads instanceof Map))
      throw new TrainInputError('AdamW.step', 'grads', 'expected a Map from tf.Variable to its gradient');
    for (const [v, g] of grads) {
      const slot = this.byVariable.get(v);
      if (slot === undefined) continue;
      if (!(g instanceof tf.Tensor) || g.isDisposed || !sameShape(g.shape, v.shape))
        throw new TrainInputError(
          'AdamW.step',
          slot.param.spec.name,
          `the gradient of '${slot.param.spec.name}' must be a live tensor of shape [${v.shape}], got ${g instanceof tf.Tensor ? `[${g.shape}]${g.isDisposed ? ' (disposed)' : ''}` : typeof g}`,
        );
    }
    const factor = this.schedule(this.steps);
    if (!Number.isFinite(factor))
      throw new TrainInputError('AdamW.step', 'schedule', `gave ${factor} at step ${this.steps}`);
    const [b1, b2] = this.betas;
    for (const slot of this.slots) {
      const { param, group } = slot;
      const g = grads.get(param.variable);
      if (g === undefined || !param.variable.trainable) continue;
      slot.step += 1;
      const t = slot.step;
      const lr = this.lr * factor * group.lrMultiplier;
      const wd = group.weightDecay;
      const biasCorrection1 = 1 - b1 ** t;
      const biasCorrection2Sqrt = Math.sqrt(1 - b2 ** t);
      const stepSize = lr / biasCorrection1;
      // Four scopes instead of one, so that at most ~3 temporaries of the parameter's size are alive at once
      // (one scope held ~12: 1.1 GB for BERT-base's word embeddings). Same operations, same order: the result
      // is bitwise that of the one-scope update.
      tf.tidy(() => {
        slot.expAvg.assign(tf.add(tf.mul(slot.expAvg, b1), tf.mul(g, 1 - b1))); // m
      });
      tf.tidy(() => {
        slot.expAvgSq.assign(tf.add(tf.mul(slot.expAvgSq, b2), tf.mul(tf.mul(g, g), 1 - b2))); // v
      });
      const step = tf.tidy(() => {
        const denom = tf.add(tf.div(tf.sqrt(slot.expAvgSq), biasCorrection2Sqrt), this.eps);
        return tf.mul(tf.div(slot.expAvg, denom), stepSize);
      });
      tf.tidy(() => {
        const p0 = param.variable;
        const p = wd !== 0 ? tf.mul(p0, 1 - lr * wd) : p0; // decoupled decay
        param.variable.assign(tf.sub(p, step));
      });
      step.dispose();
    }
    this.steps += 1;
  }

  /**
   * The state as plain data, for checkpoints: step counts and both moments of every parameter, in PyTorch
   * layout (reads the moments back with `await data()`).
   */
  async state(): Promise<AdamWState> {
    this.check('AdamW.state');
    const paramSteps: Record<string, number> = {};
    for (const s of this.slots) paramSteps[s.param.spec.name] = s.step;
    return { step: this.steps, paramSteps, moments: await stateDict(this.momentHolder()) };
  }

  /**
   * Restore a state from {@link state} (or its JSON form): every parameter's moments and step counts. Strict:
   * a missing or unexpected parameter name or a shape mismatch throws before anything is written.
   * @throws StateDictError (of `@pir/nn`) for moments that do not match; TrainInputError for step counts
   */
  loadState(state: AdamWStateLike): LoadReport {
    this.check('AdamW.loadState');
    const where = 'AdamW.loadState';
    if (typeof state !== 'object' || state === null)
      throw new TrainInputError(where, 'state', 'expected { step, paramSteps, moments } (from state())');
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new TrainInputError(where, 'step', `must be an integer ≥ 0, got ${state.step}`);
    const steps = state.paramSteps;
    if (typeof steps !== 'object' || steps === null)
      throw new TrainInputError(where, 'paramSteps', 'expected { name: steps } (from state())');
    for (const s of this.slots) {
      const n = steps[s.param.spec.name];
      if (!Number.isInteger(n) || (n as number) < 0)
        throw new TrainInputError(
          where,
          `paramSteps.${s.param.spec.name}`,
          n === undefined
            ? `no step count for '${s.param.spec.name}' (the state is of another model or another grouping)`
            : `must be an integer ≥ 0, got ${n}`,
        );
    }
    const unknown = Object.keys(steps).filter((k) => !this.slots.some((s) => s.param.spec.name === k));
    if (unknown.length > 0)
      throw new TrainInputError(
        where,
        `paramSteps.${unknown[0]}`,
        `step counts for parameters this optimiser does not have: ${unknown.join(', ')}`,
      );
    const report = loadStateDict(this.momentHolder(), state.moments, { where });
    for (const s of this.slots) s.step = steps[s.param.spec.name] as number;
    this.steps = state.step;
    return report;
  }

  /** Free the moments (the parameters belong to the model). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.slots) tf.dispose([s.expAvg, s.expAvgSq]);
  }

  /** The moments as named parameters (`<name>.exp_avg`, `<name>.exp_avg_sq`, the parameter's layout). */
  private momentHolder() {
    const params: NamedParameter[] = this.slots.flatMap((s) => {
      const { name, shape, layout } = s.param.spec;
      const spec = (suffix: string) => ({
        name: `${name}.${suffix}`,
        shape: [...shape],
        init: ZEROS,
        ...(layout === undefined ? {} : { layout }),
      });
      return [
        { spec: spec('exp_avg'), variable: s.expAvg },
        { spec: spec('exp_avg_sq'), variable: s.expAvgSq },
      ];
    });
    return { namedParameters: () => params };
  }

  private check(where: string): void {
    if (this.disposed) throw new TrainInputError(where, 'optimizer', 'the optimiser has been disposed');
  }
}

/** A non-trainable variable of zeros shaped like `x` (the zeros tensor itself freed). */
function zerosVariable(x: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zerosLike(x), false));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
