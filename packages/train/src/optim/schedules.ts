/**
 * Learning-rate schedules as pure functions of the step: `schedule(step)` is the factor of the base learning
 * rate for the optimiser step `step` (0-based: the number of steps taken before it). {@link AdamW} multiplies
 * its `lr` (and each group's multiplier) by it, as PyTorch's `LambdaLR` multiplies each group's initial lr.
 *
 * | schedule | recipe | reference |
 * |---|---|---|
 * | {@link linearWarmupDecay} | PIR-ITR: 10 % linear warm-up, then linear decay to 0 | Hugging Face `get_linear_schedule_with_warmup` (a `LambdaLR` stepped after each optimiser step) |
 * | {@link cosineWithWarmup} | PIR-CLIP: warm-up, then cosine to 0 | open_clip `training/scheduler.py` `cosine_lr` (set before each step) |
 * | {@link constantLr} | constant, optional warm-up | open_clip `const_lr` |
 *
 * The two references count differently and each is reproduced exactly: the Hugging Face warm-up starts at 0
 * (`step / W`: the first step has lr 0), open_clip's at `1 / W` (`(step + 1) / W`).
 */
import { TrainInputError } from '../errors.js';

/**
 * A learning-rate schedule: the factor (usually in [0, 1]) of the base learning rate for optimiser step `step`
 * (0-based, the steps taken before it). Pure: the same step always gives the same factor, so a resumed run
 * continues the schedule from the optimiser's step count alone.
 */
export type Schedule = (step: number) => number;

/** Options of {@link linearWarmupDecay}. */
export interface LinearWarmupDecayOptions {
  /** Optimiser steps of the whole run (epochs × steps per epoch). */
  totalSteps: number;
  /** Warm-up steps; default `floor(warmupFraction · totalSteps)`. Give this or `warmupFraction`, not both. */
  warmupSteps?: number;
  /** Share of `totalSteps` spent warming up (PIR-ITR: 0.1, the default). */
  warmupFraction?: number;
  /** The factor reached at `totalSteps`, a share of the base lr in [0, 1] (default 0: decay to 0). */
  finalLr?: number;
}

/** Options of {@link cosineWithWarmup}. */
export interface CosineWithWarmupOptions {
  /** Optimiser steps of the whole run. */
  totalSteps: number;
  /** Warm-up steps (PIR-CLIP's released command: 10 000); default `floor(warmupFraction · totalSteps)`. */
  warmupSteps?: number;
  /** Share of `totalSteps` spent warming up when `warmupSteps` is not given (default 0.1). */
  warmupFraction?: number;
  /** The factor reached at `totalSteps`, a share of the base lr in [0, 1] (default 0). */
  finalLr?: number;
}

/** Options of {@link constantLr}. */
export interface ConstantLrOptions {
  /** Warm-up steps (open_clip's `(step + 1) / W` ramp); default 0. */
  warmupSteps?: number;
}

function checkCount(where: string, argument: string, n: number, min: number): number {
  if (!Number.isInteger(n) || n < min)
    throw new TrainInputError(where, argument, `must be an integer ≥ ${min}, got ${n}`);
  return n;
}

function warmupOf(
  where: string,
  o: { totalSteps: number; warmupSteps?: number; warmupFraction?: number },
): { total: number; warmup: number } {
  const total = checkCount(where, 'totalSteps', o.totalSteps, 1);
  if (o.warmupSteps !== undefined && o.warmupFraction !== undefined)
    throw new TrainInputError(where, 'warmupSteps', 'give warmupSteps or warmupFraction, not both');
  if (o.warmupSteps !== undefined) {
    const w = checkCount(where, 'warmupSteps', o.warmupSteps, 0);
    if (w > total)
      throw new TrainInputError(where, 'warmupSteps', `${w} warm-up steps exceed totalSteps ${total}`);
    return { total, warmup: w };
  }
  const f = o.warmupFraction ?? 0.1;
  if (!(f >= 0 && f <= 1)) throw new TrainInputError(where, 'warmupFraction', `must be in [0, 1], got ${f}`);
  return { total, warmup: Math.floor(f * total) };
}

function finalOf(where: string, finalLr: number | undefined): number {
  const f = finalLr ?? 0;
  if (!(f >= 0 && f <= 1)) throw new TrainInputError(where, 'finalLr', `must be in [0, 1], got ${f}`);
  return f;
}

function checkStep(where: string, step: number): void {
  if (!Number.isInteger(step) || step < 0)
    throw new TrainInputError(where, 'step', `the step must be an integer ≥ 0, got ${step}`);
}

/**
 * PIR-ITR's schedule: linear warm-up over the first `W` steps, then linear decay to 0 at `totalSteps` —
 * exactly Hugging Face's `get_linear_schedule_with_warmup`: `step / max(1, W)` while `step < W`, then
 * `max(0, (T − step) / max(1, T − W))`. (The first step has factor 0: the moments move, the weights do not.)
 * With `finalLr = f` the decay ends at `f` instead of 0: `f + (1 − f) · max(0, …)`.
 * @example
 * ```ts
 * const s = linearWarmupDecay({ totalSteps: 20 }); // W = 2
 * [s(0), s(1), s(2), s(11), s(20)]; // [0, 0.5, 1, 0.5, 0]
 * ```
 */
export function linearWarmupDecay(options: LinearWarmupDecayOptions): Schedule {
  const where = 'linearWarmupDecay';
  const { total, warmup } = warmupOf(where, options);
  const final = finalOf(where, options.finalLr);
  return (step) => {
    checkStep(where, step);
    if (step < warmup) return step / Math.max(1, warmup);
    const decay = Math.max(0, (total - step) / Math.max(1, total - warmup));
    return final === 0 ? decay : final + (1 - final) * decay;
  };
}

/**
 * PIR-CLIP's schedule: warm-up, then a half cosine to 0 — exactly open_clip's `cosine_lr`: `(step + 1) / W`
 * while `step < W`, then `½ (1 + cos(π · (step − W) / (T − W)))`; steps past `T` stay at 0. With
 * `finalLr = f`: `f + (1 − f) · ½ (1 + cos(…))`.
 * @example
 * ```ts
 * const s = cosineWithWarmup({ totalSteps: 10, warmupSteps: 2 });
 * [s(0), s(1), s(2), s(6), s(10)]; // [0.5, 1, 1, 0.5, 0]
 * ```
 */
export function cosineWithWarmup(options: CosineWithWarmupOptions): Schedule {
  const where = 'cosineWithWarmup';
  const { total, warmup } = warmupOf(where, options);
  const final = finalOf(where, options.finalLr);
  return (step) => {
    checkStep(where, step);
    if (step < warmup) return (step + 1) / warmup;
    const e = Math.min(step - warmup, total - warmup);
    const es = Math.max(1, total - warmup);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * e) / es));
    return final === 0 ? cosine : final + (1 - final) * cosine;
  };
}

/**
 * A constant learning rate, after an optional warm-up (open_clip's `const_lr`: `(step + 1) / W` while
 * `step < W`, then 1).
 * @example
 * ```ts
 * const s = constantLr({ warmupSteps: 4 });
 * [s(0), s(3), s(100)]; // [0.25, 1, 1]
 * ```
 */
export function constantLr(options: ConstantLrOptions = {}): Schedule {
  const where = 'constantLr';
  const warmup = checkCount(where, 'warmupSteps', options.warmupSteps ?? 0, 0);
  return (step) => {
    checkStep(where, step);
    return step < warmup ? (step + 1) / warmup : 1;
  };
}

/** A schedule named as plain data (e.g. the `schedule` of a training recipe in a model configuration). */
export interface ScheduleSpec {
  /** `'linear'` ({@link linearWarmupDecay}), `'cosine'` ({@link cosineWithWarmup}) or `'constant'` ({@link constantLr}). */
  name: 'linear' | 'cosine' | 'constant';
  /** Share of all steps spent warming up, in [0, 1] (PIR: 0.1). */
  warmup: number;
  /** The factor at the last step (linear, cosine), in [0, 1]; default 0. */
  finalLr?: number;
}

/**
 * The schedule a {@link ScheduleSpec} names, for a run of `totalSteps` optimiser steps.
 * @example
 * ```ts
 * const s = scheduleOf({ name: 'linear', warmup: 0.1, finalLr: 0 }, 20);
 * [s(0), s(1), s(2), s(20)]; // [0, 0.5, 1, 0]
 * ```
 */
export function scheduleOf(spec: ScheduleSpec, totalSteps: number): Schedule {
  const where = 'scheduleOf';
  if (typeof spec !== 'object' || spec === null)
    throw new TrainInputError(where, 'spec', "expected { name: 'linear' | 'cosine' | 'constant', warmup }");
  const common = {
    totalSteps,
    warmupFraction: spec.warmup,
    ...(spec.finalLr === undefined ? {} : { finalLr: spec.finalLr }),
  };
  switch (spec.name) {
    case 'linear':
      return linearWarmupDecay(common);
    case 'cosine':
      return cosineWithWarmup(common);
    case 'constant': {
      const { warmup } = warmupOf(where, { totalSteps, warmupFraction: spec.warmup });
      return constantLr({ warmupSteps: warmup });
    }
    default:
      throw new TrainInputError(
        where,
        'name',
        `unknown schedule '${String((spec as { name?: unknown }).name)}' (linear, cosine, constant)`,
      );
  }
}
