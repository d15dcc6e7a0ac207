/**
 * {@link checkpoint}: activation checkpointing (PyTorch's `torch.utils.checkpoint`, Chen et al. 2016,
 * "Training Deep Nets with Sublinear Memory Cost") for tfjs.
 *
 * Why: tfjs's gradient tape keeps every tensor a kernel's gradient needs until the **whole** backward pass ends.
 * A Swin-T + BERT-base model therefore holds all of its activations at once — at the paper's size even 2 rows
 * fill the 4 GiB wasm heap. A checkpointed segment keeps only its inputs on the tape; its inner activations
 * are freed as soon as the forward pass leaves it and are recomputed, one segment at a time, when the backward
 * pass reaches it. The price is one extra forward pass of each segment.
 *
 * ```
 * forward (tape on)   x ─[ f, no tape inside; only x kept ]─ y
 * backward            dy ─ recompute f(x) under a fresh tape ─ ∂(f(x)·dy)/∂(x, θ) ─ dx, dθ  (f's activations freed)
 * ```
 *
 * How: `tf.customGrad` runs its forward function without recording it on the tape, and calls the gradient
 * function during the backward pass. The gradient function starts a nested `engine.gradients` over `f`; tfjs's
 * engine replaces (and at the end clears) its active tape when a gradient computation starts at depth 0,
 * which the backward pass of the outer computation is, so the outer tape is saved and put back around it.
 * The segment's variables are passed to `customGrad` as inputs so that their gradients flow to the outer
 * computation (`customGrad` returns gradients of its inputs only). Tested against the plain gradient on
 * every backend the tests run (`checkpoint.test.ts`).
 *
 * **Gradient sink.** Inside {@link withGradientSink}, a segment's variable gradients do not travel through
 * the outer backward pass: each is handed to the sink as soon as its segment is done (the trainer adds it to
 * its accumulator and frees it). The outer pass then never holds a second full set of gradients — what
 * gradient caching over micro-batches would otherwise need (accumulated + current micro-batch).
 */
import * as tf from '@tensorflow/tfjs-core';
import { NnInputError } from '../errors.js';

/** The engine fields {@link checkpoint} touches (tfjs-core 4.x `Engine`). */
interface EngineInternals {
  isTapeOn(): boolean;
  state: { activeTape: unknown };
}

/**
 * Receives the variable gradients of checkpointed segments (see {@link withGradientSink}). `add` owns `grad`
 * (dispose it or keep it); it runs inside the backward pass's scope, so a tensor it keeps must be `tf.keep`-ed.
 */
export interface GradientSink {
  /** ∂loss/∂`variable` from one segment (segments sharing a variable call it once each). */
  add(variable: tf.Variable, grad: tf.Tensor): void;
  /**
   * A float32 scalar the caller lists among the `xs` of its gradient computation. Every segment takes it as
   * an extra input, which keeps the segment on the path from `xs` to the loss even when nothing else of its
   * input depends on `xs` (a trained block after a frozen stem) — otherwise the backward pass would skip the
   * segment and its variables would get no gradient. Its own gradient is zero.
   */
  readonly anchor: tf.Tensor;
}

let activeSink: GradientSink | null = null;

/**
 * Run `fn` with `sink` receiving the variable gradients of the segments checkpointed inside it: those
 * gradients are not returned by the surrounding `tf.grads` / `engine.gradients` (the variables get `null`
 * there, or only the part from outside the segments) but handed to `sink.add`. The sink is captured when a
 * segment runs forward, so `fn` must contain the forward pass of the gradient computation.
 * @example
 * ```ts
 * const acc = new Map<tf.Variable, tf.Tensor>();
 * const anchor = tf.scalar(0);
 * const sink = { anchor, add: (v, g) => acc.set(v, tf.keep(g)) }; // (sum when a variable comes twice)
 * const { grads } = withGradientSink(sink, () =>
 *   tf.engine().gradients(() => loss(), [...vars, anchor], undefined, true),
 * );
 * ```
 */
export function withGradientSink<T>(sink: GradientSink, fn: () => T): T {
  const prev = activeSink;
  activeSink = sink;
  try {
    return fn();
  } finally {
    activeSink = prev;
  }
}

/** Save and restore a state around the recomputation (e.g. the dropout generators' states). */
export interface CheckpointState {
  /** Capture the state before the forward pass. */
  save(): unknown;
  /** Put a captured state back (before the recomputation, and the current one after it). */
  restore(state: unknown): void;
}

/** Options of {@link checkpoint}. */
export interface CheckpointOptions {
  /**
   * Randomness `f` draws (dropout seeds): captured before the forward pass, restored for the recomputation so
   * that it draws the same masks, then put back. Not needed when `f` is deterministic.
   */
  state?: CheckpointState;
}

/**
 * `f(...inputs)` with activation checkpointing: under a gradient tape, only `inputs` are kept for the
 * backward pass and `f` is recomputed there; outside a tape it is just `f(...inputs)`. Gradients reach the
 * float32 `inputs` and the `variables` (pass every trainable variable `f` reads; a variable left out gets no
 * gradient through this segment). Same value and same gradients as `f` itself, up to float rounding.
 *
 * Contract: `f` reads only `inputs`, `variables` and tensors that outlive the backward pass (constants held
 * by a layer). A tensor created by the caller's forward pass and read through a closure would be freed
 * before the recomputation: pass it as an input instead. `f` must compute the same thing twice (see
 * {@link CheckpointOptions.state} for dropout).
 *
 * @param f the segment, e.g. one transformer block: `(x [B, L, D]) => [B, L, D]`
 * @param inputs the segment's tensor inputs (float32 ones receive gradients; others get zeros)
 * @param variables the trainable variables `f` reads
 * @returns `f(...inputs)`
 * @example
 * ```ts
 * const y = checkpoint((x) => block(x), [x], blockVariables); // [B, L, D], activations recomputed in backward
 * ```
 */
export function checkpoint<T extends tf.Tensor>(
  f: (...inputs: tf.Tensor[]) => T,
  inputs: readonly tf.Tensor[],
  variables: readonly tf.Variable[],
  options: CheckpointOptions = {},
): T {
  const engine = tf.engine() as unknown as EngineInternals;
  if (typeof engine.isTapeOn !== 'function' || typeof engine.state !== 'object' || engine.state === null)
    throw new NnInputError(
      'checkpoint',
      'engine',
      'this tfjs-core engine has no isTapeOn()/state (checkpoint is written for tfjs-core 4.x)',
    );
  if (!engine.isTapeOn()) return f(...inputs);
  if (inputs.length === 0) throw new NnInputError('checkpoint', 'inputs', 'needs at least one input tensor');
  const sink = activeSink;
  // without a sink the variables are inputs of the node, so that the outer pass routes their gradients
  const viaTape: readonly tf.Tensor[] = sink === null ? variables : [sink.anchor];
  const owned = new Set<tf.Tensor>(variables);
  const n = inputs.length;
  const saved0 = options.state?.save();
  const run = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as (ts: tf.Tensor[]) => void;
    const xs = args.slice(0, n) as tf.Tensor[];
    // keep the non-variable inputs for the recomputation (variables outlive the backward pass)
    save(xs.filter((x) => !owned.has(x)));
    const value = f(...xs);
    const gradFunc = (dy: tf.Tensor, kept: tf.Tensor[]): tf.Tensor[] => {
      let k = 0;
      const again = xs.map((x) => (owned.has(x) ? x : (kept[k++] as tf.Tensor)));
      const wrt = [...again.filter((x) => x.dtype === 'float32'), ...variables];
      const outerTape = engine.state.activeTape;
      const current = options.state === undefined ? undefined : options.state.save();
      if (options.state !== undefined) options.state.restore(saved0);
      let grads: (tf.Tensor | null)[];
      try {
        const r = tf.engine().gradients(() => f(...again), wrt, dy, true);
        r.value.dispose();
        grads = r.grads as (tf.Tensor | null)[];
      } finally {
        engine.state.activeTape = outerTape;
        if (options.state !== undefined) options.state.restore(current);
      }
      let j = 0;
      const dxs = again.map((x) => {
        if (x.dtype !== 'float32') return tf.zerosLike(x);
        return grads[j++] ?? tf.zerosLike(x);
      });
      if (sink !== null) {
        variables.forEach((v, i) => {
          const g = grads[j + i];
          if (g !== null && g !== undefined) sink.add(v, g);
        });
        return [...dxs, tf.zerosLike(sink.anchor)];
      }
      const dvars = variables.map((v, i) => grads[j + i] ?? tf.zerosLike(v));
      return [...dxs, ...dvars];
    };
    return { value, gradFunc };
  });
  return run(...inputs, ...viaTape) as T;
}
