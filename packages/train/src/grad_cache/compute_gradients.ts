/**
 * {@link computeGradients}: the gradient of a contrastive loss over a whole batch — in one pass, or with
 * **gradient caching** (Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory Limited
 * Setup") in micro-batches, with the same result and the memory of one micro-batch's activations.
 *
 * A contrastive loss couples every row with every other, so the loss of a batch of 128 is **not** the sum of
 * the losses of four batches of 32 (each row would see 31 negatives instead of 127). Gradient caching splits
 * the chain rule `∂L/∂θ = Σᵢ (∂L/∂eᵢ)·(∂eᵢ/∂θ)` at the embeddings `e`:
 *
 * ```
 * pass 1, no tape     micro 1 ─ embed ─ e₁ ┐
 *                     micro 2 ─ embed ─ e₂ ┼─ E [B, D] (kept: B × D floats only)
 *                     …                    ┘
 * loss stage, tape    L(E) ─ ∂L/∂E [B, D] (cached)  and  ∂L/∂τ (temperatures: direct)
 * pass 2, tape        micro i ─ embed ─ eᵢ ─ sum(eᵢ ⊙ ∂L/∂eᵢ) ─ backward ─ ∂L/∂θ += (∂eᵢ/∂θ)ᵀ ∂L/∂eᵢ
 *                     (one micro-batch's activations alive at a time)
 * ```
 *
 * Pass 2 recomputes each micro-batch's forward pass, so the two passes must compute the same embeddings:
 * before each micro-batch's first pass the task's random generators are saved and before its second they
 * are restored (see `rng_state.ts`), so dropout draws the same masks in both. Outputs of frozen parts (the
 * instruction encoder) are computed once in pass 1 and reused. The price is one extra forward pass.
 *
 * With activation checkpointing in the encoders (`model.setGradientCheckpointing(true)`), each backward pass
 * runs under a gradient sink (`withGradientSink` of `@pir/nn`): a checkpointed block's variable gradients
 * are added to the accumulated gradients as soon as the block is done, instead of travelling through the
 * backward pass — so pass 2 never holds the accumulated gradients *and* a micro-batch's full set.
 */
import { type GradientSink, withGradientSink } from '@pir/nn';
import type { RngState } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { TrainInputError } from '../errors.js';
import { restoreRngStates, saveRngStates } from './rng_state.js';
import type { EmbeddingTask, LossLike } from './task.js';

/** Options of {@link computeGradients}. */
export interface ComputeGradientsOptions {
  /**
   * Rows per micro-batch. Smaller than the batch: gradient caching (the last micro-batch may be smaller);
   * default (or ≥ the batch): one plain pass over the whole batch.
   */
  microBatch?: number;
  /** Training mode (dropout on); default true. */
  training?: boolean;
}

/** What {@link computeGradients} returns; the caller disposes every tensor (`disposeGradients`). */
export interface GradientsResult<P extends LossLike = LossLike> {
  /** ∂loss/∂variable for each of the task's variables that the loss reaches (same shapes as the variables). */
  grads: Map<tf.Variable, tf.Tensor>;
  /** The loss and its parts over the whole batch ([] scalars), as the task's `loss` returns them. */
  parts: P;
}

/** Free the tensors of a {@link GradientsResult}. */
export function disposeGradients(result: GradientsResult<LossLike>): void {
  tf.dispose([...result.grads.values(), ...(Object.values(result.parts) as tf.Tensor[])]);
}

/**
 * `loss` under the tape, keeping the other parts alive past the tape's scope. @returns the parts, the
 * gradients w.r.t. `xs` (null where the loss does not reach).
 */
function lossAndGrads<P extends LossLike>(
  f: () => P,
  xs: tf.Tensor[],
  sink?: GradientSink,
): { parts: P; grads: (tf.Tensor | null)[] } {
  let parts: P | undefined;
  const body = () => {
    parts = f();
    for (const x of Object.values(parts) as tf.Tensor[]) if (x !== parts.loss) tf.keep(x);
    return parts.loss;
  };
  const { value, grads } =
    sink === undefined ? tf.engine().gradients(body, xs, undefined, true) : gradientsWithSink(sink, body, xs);
  const out = { ...(parts as P), loss: value } as P;
  return { parts: out, grads: grads as (tf.Tensor | null)[] };
}

/**
 * A sink adding checkpointed blocks' gradients into `acc` (kept: they are made inside the backward pass's
 * scope); gradients of variables outside `vars` are dropped. Plus the anchor scalar to list among the `xs`.
 */
function accumulatingSink(acc: Map<tf.Variable, tf.Tensor>, vars: readonly tf.Variable[]): GradientSink {
  const wanted = new Set(vars);
  return {
    anchor: tf.scalar(0),
    add(v, g) {
      if (!wanted.has(v)) {
        g.dispose();
        return;
      }
      const old = acc.get(v);
      if (old === undefined) {
        acc.set(v, tf.keep(g));
        return;
      }
      acc.set(v, tf.keep(tf.add(old, g)));
      tf.dispose([old, g]);
    },
  };
}

/** `engine.gradients(f, [...xs, sink.anchor])` under `sink`; @returns the value and the gradients of `xs`. */
function gradientsWithSink(
  sink: GradientSink,
  f: () => tf.Tensor,
  xs: tf.Tensor[],
): { value: tf.Tensor; grads: (tf.Tensor | null)[] } {
  const { value, grads } = withGradientSink(sink, () =>
    tf.engine().gradients(f, [...xs, sink.anchor], undefined, true),
  );
  const anchorGrad = grads[xs.length];
  if (anchorGrad != null) anchorGrad.dispose();
  return { value, grads: grads.slice(0, xs.length) as (tf.Tensor | null)[] };
}

function add(acc: Map<tf.Variable, tf.Tensor>, v: tf.Variable, g: tf.Tensor | null): void {
  if (g === null || g === undefined) return;
  const old = acc.get(v);
  if (old === undefined) {
    acc.set(v, g);
    return;
  }
  acc.set(v, tf.add(old, g));
  tf.dispose([old, g]);
}

/**
 * The gradient of the task's loss over the whole `batch` w.r.t. `task.variables()` — plain, or with gradient
 * caching in micro-batches of `microBatch` rows (see the module doc). Both give the same gradients (up to
 * float rounding) and the same loss; the cached one holds only one micro-batch's activations at a time.
 * Reads nothing back from the backend.
 *
 * @param task the model's task (`pirItrTask(model)`, `pirClipTask(model)`, or your own)
 * @param batch a batch of `B` rows
 * @returns `{ grads, parts }`, owned by the caller
 * @example
 * ```ts
 * const { grads, parts } = computeGradients(pirItrTask(model), batch, { microBatch: 8 });
 * disposeGradients({ grads, parts });
 * ```
 */
export function computeGradients<B, P extends LossLike>(
  task: EmbeddingTask<B, P>,
  batch: B,
  options: ComputeGradientsOptions = {},
): GradientsResult<P> {
  const where = 'computeGradients';
  const training = options.training ?? true;
  const n = task.rows(batch);
  if (!Number.isInteger(n) || n < 1)
    throw new TrainInputError(where, 'batch', `the batch must have at least one row, got ${n}`);
  const micro = options.microBatch ?? n;
  if (!Number.isInteger(micro) || micro < 1)
    throw new TrainInputError(where, 'microBatch', `must be an integer ≥ 1, got ${micro}`);
  const vars = task.variables();
  if (vars.length === 0)
    throw new TrainInputError(
      where,
      'task',
      `${task.name} has no trainable variables (is everything frozen?)`,
    );
  return micro >= n ? plain(task, batch, vars, training) : cached(task, batch, vars, micro, n, training);
}

function plain<B, P extends LossLike>(
  task: EmbeddingTask<B, P>,
  batch: B,
  vars: tf.Variable[],
  training: boolean,
): GradientsResult<P> {
  const frozen = task.frozen === undefined ? [] : tf.tidy(() => task.frozen?.(batch) ?? []);
  const acc = new Map<tf.Variable, tf.Tensor>();
  const sink = accumulatingSink(acc, vars);
  try {
    const { parts, grads } = lossAndGrads(
      () => task.loss(task.embed(batch, frozen, training), batch),
      vars,
      sink,
    );
    vars.forEach((v, i) => {
      add(acc, v, grads[i] ?? null);
    });
    return { grads: acc, parts };
  } catch (err) {
    tf.dispose([...acc.values()]);
    throw err;
  } finally {
    tf.dispose([...frozen, sink.anchor]);
  }
}

function cached<B, P extends LossLike>(
  task: EmbeddingTask<B, P>,
  batch: B,
  vars: tf.Variable[],
  micro: number,
  n: number,
  training: boolean,
): GradientsResult<P> {
  const where = 'computeGradients';
  const bounds: [number, number][] = [];
  for (let s = 0; s < n; s += micro) bounds.push([s, Math.min(n, s + micro)]);
  const rngs = task.rngs();
  const starts: RngState[][] = [];
  const frozen: tf.Tensor[][] = [];
  const chunks: tf.Tensor2D[][] = [];
  let full: tf.Tensor2D[] = [];
  let embGrads: (tf.Tensor | null)[] = [];
  const acc = new Map<tf.Variable, tf.Tensor>();
  const sink = accumulatingSink(acc, vars);
  let parts: P | undefined;
  try {
    // pass 1: embeddings of every micro-batch, no tape (each forward's activations freed by tidy)
    for (const [s, e] of bounds) {
      const rows = task.slice(batch, s, e);
      try {
        starts.push(saveRngStates(rngs));
        const fz = task.frozen === undefined ? [] : tf.tidy(() => task.frozen?.(rows) ?? []);
        frozen.push(fz);
        chunks.push(tf.tidy(() => task.embed(rows, fz, training)));
      } finally {
        task.release(rows);
      }
    }
    const end = saveRngStates(rngs);
    const kinds = (chunks[0] as tf.Tensor2D[]).length;
    full = Array.from({ length: kinds }, (_, k) =>
      tf.concat(
        chunks.map((c) => c[k] as tf.Tensor2D),
        0,
      ),
    ); // [B, D] each
    tf.dispose(chunks);
    chunks.length = 0;
    for (const [k, x] of full.entries())
      if (x.shape[0] !== n)
        throw new TrainInputError(
          where,
          'task',
          `${task.name}.embed gave ${x.shape[0]} rows of embedding ${k}, expected ${n}`,
        );

    // loss stage: ∂L/∂E (cached) and ∂L/∂θ for what the loss reaches directly (temperatures)
    const stage = lossAndGrads(() => task.loss(full, batch), [...full, ...vars]);
    parts = stage.parts;
    embGrads = stage.grads.slice(0, kinds);
    vars.forEach((v, i) => {
      add(acc, v, stage.grads[kinds + i] ?? null);
    });
    tf.dispose(full);
    full = [];

    // pass 2: each micro-batch again, under the tape, back-propagating its rows of ∂L/∂E
    for (const [c, [s, e]] of bounds.entries()) {
      restoreRngStates(rngs, starts[c] as RngState[]);
      const rows = task.slice(batch, s, e);
      const cachedGrads = embGrads.map((g) => (g === null ? null : tf.slice(g, s, e - s))); // [rows, D] each
      try {
        const { value, grads } = gradientsWithSink(
          sink,
          () => {
            const emb = task.embed(rows, frozen[c] as tf.Tensor[], training);
            const terms = emb.flatMap((x, k) => {
              const g = cachedGrads[k];
              return g === null || g === undefined ? [] : [tf.sum(tf.mul(x, g))];
            });
            return terms.length === 0 ? tf.scalar(0) : tf.addN(terms);
          },
          vars,
        );
        value.dispose();
        vars.forEach((v, i) => {
          add(acc, v, grads[i] ?? null);
        });
      } finally {
        tf.dispose(cachedGrads.filter((g): g is tf.Tensor => g !== null));
        task.release(rows);
      }
    }
    restoreRngStates(rngs, end);
    return { grads: acc, parts: parts as P };
  } catch (err) {
    tf.dispose([...acc.values()]);
    if (parts !== undefined) tf.dispose(Object.values(parts) as tf.Tensor[]);
    throw err;
  } finally {
    tf.dispose(chunks);
    tf.dispose(full);
    tf.dispose(embGrads.filter((g): g is tf.Tensor => g !== null));
    for (const fz of frozen) tf.dispose(fz);
    sink.anchor.dispose();
  }
}
