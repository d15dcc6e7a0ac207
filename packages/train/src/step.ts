/**
 * {@link trainStep}: one optimiser step from a batch — gradients (plain or gradient-cached), clipping by global
 * norm, the AdamW update, the model's constraints — without waiting for the device; {@link readStep} reads
 * the step's numbers back with a single transfer.
 *
 * ```
 * batch ─ computeGradients (microBatch?) ─ grads ─ clipGradNorm (maxGradNorm?) ─ AdamW.step ─ applyConstraints
 *                      └─ parts {loss, contrastive, affiliation} ─┐
 *                                               global norm ──────┴─ StepResult (tensors; readStep: one read)
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { TrainInputError } from './errors.js';
import { computeGradients } from './grad_cache/compute_gradients.js';
import type { EmbeddingTask, LossLike } from './grad_cache/task.js';
import { AdamW } from './optim/adamw.js';
import { clipGradNormInPlace } from './optim/clip_grad_norm.js';

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /**
   * Rows per micro-batch: gradient caching (same gradient, one micro-batch's activations in memory). Default:
   * the whole batch in one pass.
   */
  microBatch?: number;
  /** Clip the gradients' global 2-norm to this (PyTorch `clip_grad_norm_`); default: no clipping. */
  maxGradNorm?: number;
  /** Training mode (dropout on); default true. */
  training?: boolean;
}

/** What {@link trainStep} returns: tensors on the backend (nothing read back) and the step's settings. */
export interface StepResult<P extends LossLike = LossLike> {
  /** The batch's loss and its parts before the update ([] scalars; the caller disposes, or {@link readStep}). */
  parts: P;
  /** [] the global 2-norm of the gradients, before clipping. */
  gradNorm: tf.Scalar;
  /** 0-based index of this optimiser step (what the schedule read). */
  step: number;
  /** The learning rate of each group at this step, by group name. */
  learningRates: Record<string, number>;
}

/** The numbers of a {@link StepResult}: every loss part, the gradient norm, the step and its learning rates. */
export type StepValues<P extends LossLike = LossLike> = { [K in keyof P]: number } & {
  gradNorm: number;
  step: number;
  learningRates: Record<string, number>;
};

/** [] ‖(‖g₁‖, …, ‖gₙ‖)‖₂ (0 for no gradients). */
function globalNorm(grads: ReadonlyMap<tf.Variable, tf.Tensor>): tf.Scalar {
  if (grads.size === 0) return tf.scalar(0);
  return tf.tidy(() => tf.norm(tf.stack([...grads.values()].map((g) => tf.norm(g))))) as tf.Scalar;
}

/**
 * One training step: the gradient of the task's loss over `batch` (gradient-cached when `microBatch` is
 * smaller than the batch), clipped to `maxGradNorm`, one {@link AdamW} step, then `task.applyConstraints()`
 * (the models clamp their temperatures / cap the logit scale, as the released code does after each step).
 * Reads nothing back from the backend: the returned tensors are read once by {@link readStep} (or summed
 * over steps on the backend). Leaves no tensor behind except what it returns.
 *
 * @param task the model's task (`modelTask(model)`)
 * @param optimizer an AdamW over (at least) every variable the task trains
 * @param batch a batch of B rows
 * @throws TrainInputError when the task trains a variable the optimiser does not hold (build the optimiser
 *   after freezing or unfreezing parts of the model)
 * @example
 * ```ts
 * const task = modelTask(model);
 * const optimizer = new AdamW(paramGroups(namedTrainableParameters(model)), PIR_ITR_ADAMW);
 * const result = trainStep(task, optimizer, batch, { microBatch: 32, maxGradNorm: 1 });
 * const { loss, gradNorm } = await readStep(result); // one read from the device
 * ```
 */
export function trainStep<B, P extends LossLike>(
  task: EmbeddingTask<B, P>,
  optimizer: AdamW,
  batch: B,
  options: TrainStepOptions = {},
): StepResult<P> {
  const where = 'trainStep';
  if (!(optimizer instanceof AdamW))
    throw new TrainInputError(where, 'optimizer', 'expected an AdamW of @pir/train');
  if (options.maxGradNorm !== undefined && !(Number.isFinite(options.maxGradNorm) && options.maxGradNorm > 0))
    throw new TrainInputError(
      where,
      'maxGradNorm',
      `must be a finite number > 0, got ${options.maxGradNorm}`,
    );
  const missing = task.variables().filter((v) => !optimizer.has(v));
  if (missing.length > 0)
    throw new TrainInputError(
      where,
      'optimizer',
      `${task.name} trains ${missing.length} variable(s) the optimiser does not hold (e.g. '${missing[0]?.name}'): build the optimiser from namedTrainableParameters(model) after freezing or unfreezing`,
    );
  const step = optimizer.stepCount;
  const learningRates = Object.fromEntries(
    optimizer.groups.map((g) => [g.name, optimizer.learningRate(g.name)]),
  );
  const { grads, parts } = computeGradients(task, batch, {
    ...(options.microBatch === undefined ? {} : { microBatch: options.microBatch }),
    ...(options.training === undefined ? {} : { training: options.training }),
  });
  let gradNorm: tf.Scalar | undefined;
  try {
    // in place: one set of gradients in memory (at the paper's size a second set is 0.5 GB of the wasm heap)
    gradNorm =
      options.maxGradNorm !== undefined ? clipGradNormInPlace(grads, options.maxGradNorm) : globalNorm(grads);
    optimizer.step(grads);
    task.applyConstraints?.();
    return { parts, gradNorm, step, learningRates };
  } catch (err) {
    tf.dispose([...(Object.values(parts) as tf.Tensor[]), ...(gradNorm === undefined ? [] : [gradNorm])]);
    throw err;
  } finally {
    tf.dispose([...grads.values()]);
  }
}

/**
 * The numbers of a step with **one** read from the backend (the parts and the norm stacked into one tensor),
 * then frees the step's tensors.
 * @example
 * ```ts
 * const v = await readStep(trainStep(task, optimizer, batch));
 * v.loss; v.contrastive; v.gradNorm; v.learningRates.decay;
 * ```
 */
export async function readStep<P extends LossLike>(result: StepResult<P>): Promise<StepValues<P>> {
  const keys = Object.keys(result.parts) as (keyof P & string)[];
  const tensors = [...keys.map((k) => result.parts[k] as unknown as tf.Tensor), result.gradNorm];
  const stacked = tf.tidy(() => tf.stack(tensors.map((t) => tf.reshape(t, []))));
  try {
    const data = await stacked.data();
    const out: Record<string, unknown> = {};
    keys.forEach((k, i) => {
      out[k] = data[i];
    });
    out.gradNorm = data[keys.length];
    out.step = result.step;
    out.learningRates = { ...result.learningRates };
    return out as StepValues<P>;
  } finally {
    tf.dispose([stacked, ...tensors]);
  }
}
