/**
 * Making the two forward passes of a micro-batch draw the same randomness.
 *
 * **How the PIR models draw dropout seeds.** Dropout in `@pir/nn` is `tf.dropout(x, rate, _, seed)` with a
 * seed from a `nextSeed()` callback; the PAE layers (`@pir/pae`, `SpatialPAE` / `TemporalPAE` of PIR-ITR) pass
 * `() => this.rng.nextSeed()`, where `rng` is the layer's own `Rng` of `@pir/runtime` (`SpecLayer.rng`,
 * created from the layer's `seed`). So one forward pass advances each layer's `Rng` by one draw per dropout
 * call, and a second pass from the same `Rng` states draws the same seeds, hence the same masks (`tf.dropout`
 * with a seed is deterministic on every backend). The models have no public hook to reset those generators
 * (`rng` is protected), so {@link findRngs} collects every `Rng` reachable from the model's fields — its
 * layers, the encoders and their stores — and the gradient cache saves their states (`Rng.getState`) before
 * a micro-batch's first pass and restores them (`Rng.setState`) before its second. The process-wide
 * `getGlobalRng()` is included too, for code that draws from it.
 */
import type { RngState } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';

/** A random generator whose state can be saved and restored (`Rng` of `@pir/runtime`). */
export interface RngLike {
  /** The full state (`Rng.getState`). */
  getState(): RngState;
  /** Restore a state from {@link RngLike.getState} (`Rng.setState`). */
  setState(state: RngState): void;
}

function isRngLike(x: unknown): x is RngLike {
  const r = x as { getState?: unknown; setState?: unknown; nextSeed?: unknown };
  return (
    typeof r.getState === 'function' && typeof r.setState === 'function' && typeof r.nextSeed === 'function'
  );
}

/** Objects not to walk into: tensors, binary data, collections of data. */
function isLeaf(x: object): boolean {
  return (
    x instanceof tf.Tensor ||
    ArrayBuffer.isView(x) ||
    x instanceof ArrayBuffer ||
    x instanceof Map ||
    x instanceof Set ||
    x instanceof WeakMap ||
    x instanceof Promise
  );
}

/**
 * Every random generator (an object with `getState`, `setState` and `nextSeed`, i.e. an `Rng`) reachable from
 * `root` through object fields and arrays, to `depth` levels (default 4: model → layer → `rng`, model →
 * encoders → encoder → store → `rng`). Tensors, typed arrays, maps and sets are not entered.
 * @example
 * ```ts
 * const rngs = findRngs(model); // the PAE layers' dropout generators, the stores' init generators
 * ```
 */
export function findRngs(root: unknown, depth = 4): RngLike[] {
  const found: RngLike[] = [];
  const seen = new Set<object>();
  let level: unknown[] = [root];
  for (let d = 0; d <= depth && level.length > 0; d++) {
    const next: unknown[] = [];
    for (const x of level) {
      if (typeof x !== 'object' || x === null || seen.has(x)) continue;
      seen.add(x);
      if (isRngLike(x)) {
        found.push(x);
        continue;
      }
      if (isLeaf(x)) continue;
      if (Array.isArray(x)) next.push(...x);
      else next.push(...Object.values(x));
    }
    level = next;
  }
  return found;
}

/** The states of `rngs`, in order. */
export function saveRngStates(rngs: readonly RngLike[]): RngState[] {
  return rngs.map((r) => r.getState());
}

/** Put `rngs` back into `states` (from {@link saveRngStates}). */
export function restoreRngStates(rngs: readonly RngLike[], states: readonly RngState[]): void {
  rngs.forEach((r, i) => {
    r.setState(states[i] as RngState);
  });
}
