/**
 * {@link watchTensorMemory}: the high-water mark of `tf.memory().numBytes` over a stretch of code — the peak
 * inside a training step (activations, gradients), not just what is left after it.
 *
 * tfjs counts bytes when a tensor is registered (`engine.trackTensor`, which every kernel output and every
 * created tensor goes through) and when it is disposed; it keeps no maximum. The watch wraps the engine's
 * `trackTensor` and records `numBytes` after each registration: a counter and a comparison per tensor. Where
 * the engine has no such method (another tfjs version), it falls back to the samples it is given
 * ({@link TensorMemoryWatch.sample}), which the trainer takes after every step.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A running high-water mark of the backend's tensor memory. */
export interface TensorMemoryWatch {
  /** Largest `tf.memory().numBytes` seen since the start (or the last {@link reset}). */
  readonly peakBytes: number;
  /** True when every tensor registration is seen (false: only samples). */
  readonly exact: boolean;
  /** Record the current `numBytes` (what the fallback relies on; harmless otherwise). */
  sample(): void;
  /** Start a new maximum from the current `numBytes`. */
  reset(): void;
  /** Stop watching (the engine is restored). */
  stop(): void;
}

interface EngineLike {
  state: { numBytes: number };
  trackTensor?: (...args: unknown[]) => unknown;
}

/**
 * Watch the peak of `tf.memory().numBytes` from now on.
 * @example
 * ```ts
 * const watch = watchTensorMemory();
 * tf.tidy(() => tf.matMul(a, b)); // the product's bytes count, although tidy frees it
 * watch.peakBytes; // ≥ before + 4 · rows · cols
 * watch.stop();
 * ```
 */
export function watchTensorMemory(): TensorMemoryWatch {
  const engine = tf.engine() as unknown as EngineLike;
  let peak = engine.state.numBytes;
  let active = true;
  const original = engine.trackTensor;
  let wrapper: ((...args: unknown[]) => unknown) | undefined;
  if (typeof original === 'function') {
    wrapper = function (this: EngineLike, ...args: unknown[]) {
      const out = original.apply(this, args);
      if (active && this.state.numBytes > peak) peak = this.state.numBytes;
      return out;
    };
    engine.trackTensor = wrapper;
  }
  return {
    get peakBytes() {
      return Math.max(peak, active ? engine.state.numBytes : 0);
    },
    exact: wrapper !== undefined,
    sample() {
      if (engine.state.numBytes > peak) peak = engine.state.numBytes;
    },
    reset() {
      peak = engine.state.numBytes;
    },
    stop() {
      active = false;
      // restore only if no later watch wrapped ours (it then calls through ours, which is now inert)
      if (wrapper !== undefined && original !== undefined && engine.trackTensor === wrapper)
        engine.trackTensor = original;
    },
  };
}
