/**
 * A configuration's training recipe (`train` key, `@pir/models`) turned into the trainer's parts: the recipe
 * with the caller's changes (checked by `@pir/models` as a configuration's), the optimiser with its groups and
 * schedule, the augmentation options.
 */
import type { TrainPipelineOptions } from '@pir/datasets';
import { type ModelConfig, type ModelConfigBase, type ModelName, modelConfig } from '@pir/models';
import { PirError } from '@pir/runtime';
import { TrainInputError } from '../errors.js';
import { AdamW } from '../optim/adamw.js';
import { type NamedModel, namedTrainableParameters } from '../optim/model_parameters.js';
import { type ParamGroupOptions, paramGroups } from '../optim/param_groups.js';
import { constantLr, cosineWithWarmup, linearWarmupDecay, type Schedule } from '../optim/schedules.js';

/** A configuration's training recipe (`TrainRecipe` of `@pir/models`). */
export type TrainRecipe = NonNullable<ModelConfigBase['train']>;

/**
 * Changes to a recipe: any top-level field, and any field of its parts (`{ optimizer: { lr: 1e-4 } }` keeps the
 * other optimiser fields).
 */
export type RecipeChanges = {
  [K in keyof TrainRecipe]?: TrainRecipe[K] extends object
    ? TrainRecipe[K] extends unknown[]
      ? TrainRecipe[K]
      : Partial<TrainRecipe[K]>
    : TrainRecipe[K];
};

const isPlain = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The configuration (checked) and its recipe with `changes` applied, checked as a configuration's `train` key
 * (so a bad value names its key).
 * @throws TrainInputError (`argument` `'model'`) when the configuration has no `train` key, or
 *   (`argument` `recipe.<key>`) when a changed value is out of range
 */
export function resolveRecipe(
  where: string,
  model: ModelName | ModelConfig,
  changes: RecipeChanges = {},
): { config: ModelConfig; recipe: TrainRecipe } {
  const config = modelConfig(model as unknown);
  if (config.train === undefined)
    throw new TrainInputError(
      where,
      'model',
      `the configuration '${config.name}' has no training recipe: add a "train" key (epochs, batchSize, optimizer, schedule, augment, captions, selectOn — see TrainRecipe of @pir/models) or start from a built-in configuration`,
    );
  if (!isPlain(changes)) throw new TrainInputError(where, 'recipe', 'must be an object of recipe fields');
  const merged: Record<string, unknown> = { ...config.train };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    const old = merged[key];
    merged[key] = isPlain(old) && isPlain(value) ? { ...old, ...value } : value;
  }
  try {
    const checked = modelConfig({ ...config, train: merged } as unknown);
    return { config: checked, recipe: checked.train as TrainRecipe };
  } catch (e) {
    if (!(e instanceof PirError)) throw e;
    const key = e.argument.startsWith('train.') ? e.argument.slice('train.'.length) : e.argument;
    const prefix = `${e.where}: ${e.argument}: `;
    const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    throw new TrainInputError(where, `recipe.${key}`, detail, { cause: e });
  }
}

/**
 * The learning-rate schedule of a recipe over `totalSteps` optimiser steps: `'linear'`
 * ({@link linearWarmupDecay}), `'cosine'` ({@link cosineWithWarmup}) or `'constant'` ({@link constantLr}), with
 * the recipe's warm-up (`warmupSteps`, or `warmupFraction` of the steps; neither: none).
 */
export function recipeSchedule(schedule: TrainRecipe['schedule'], totalSteps: number): Schedule {
  const warmup =
    schedule.warmupSteps !== undefined
      ? { warmupSteps: Math.min(schedule.warmupSteps, totalSteps) }
      : { warmupFraction: schedule.warmupFraction ?? 0 };
  if (schedule.name === 'linear') return linearWarmupDecay({ totalSteps, ...warmup });
  if (schedule.name === 'cosine') return cosineWithWarmup({ totalSteps, ...warmup });
  const steps = warmup.warmupSteps ?? Math.floor((warmup.warmupFraction ?? 0) * totalSteps);
  return constantLr({ warmupSteps: steps });
}

/**
 * The recipe's optimiser for a model: {@link AdamW} over {@link namedTrainableParameters} in the groups of
 * {@link paramGroups} (`noDecay: 'rank<2'` — no decay on biases, norms, temperatures; `'none'` — all decay),
 * with the recipe's lr, betas, eps, weight decay and schedule over `totalSteps`.
 */
export function recipeOptimizer(
  model: NamedModel,
  recipe: TrainRecipe,
  totalSteps: number,
  newParams?: ParamGroupOptions['newParams'],
): AdamW {
  const o = recipe.optimizer;
  const groups = paramGroups(namedTrainableParameters(model), {
    ...(o.noDecay === 'none' ? { noDecay: () => false } : {}),
    ...(newParams === undefined ? {} : { newParams }),
  });
  return new AdamW(groups, {
    lr: o.lr,
    betas: [o.betas[0], o.betas[1]],
    eps: o.eps,
    weightDecay: o.weightDecay,
    schedule: recipeSchedule(recipe.schedule, totalSteps),
  });
}

/** `trainTransform` options (`@pir/datasets`) of a recipe's augmentation. */
export function augmentOptions(augment: TrainRecipe['augment']): TrainPipelineOptions {
  const ra = augment.randAugment;
  return {
    size: augment.size,
    scale: [augment.scale[0], augment.scale[1]],
    flip: augment.flip,
    randAugment:
      ra === false
        ? false
        : { numOps: ra.numOps, magnitude: ra.magnitude, ...(ra.ops === undefined ? {} : { ops: ra.ops }) },
  };
}
