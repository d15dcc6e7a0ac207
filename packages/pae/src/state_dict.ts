/**
 * State dicts of the PAE layers, with the released PIR module names (`img_sa.0.mhatt.linear_q.weight`, …,
 * PyTorch layout). Loading and exporting are `@pir/nn`'s one `loadStateDict` / `stateDict` (every PAE layer
 * is a `HasParameters`); this module adds the conversion to a functional {@link Params} record and keeps the
 * 0.1 names for one release.
 */
import {
  type HasParameters,
  type StateDictLike,
  type StateEntry,
  stateDict,
  stateDictEntries,
} from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { Params } from './functional.js';

export { type LoadReport, type LoadStateDictOptions, loadStateDict } from '@pir/nn';

/** One tensor of a state dict. @deprecated use `StateEntry` of `@pir/nn`. */
export type StateDictEntry = StateEntry;

/**
 * The layers' weights as a released-name state dict (PyTorch layout) in a plain object.
 * @deprecated use `stateDict(layers)` of `@pir/nn`, which returns the one `StateDict` type (a `Map`).
 */
export async function exportStateDict(
  layers: HasParameters | HasParameters[],
): Promise<Record<string, { data: Float32Array; shape: number[] }>> {
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const [k, t] of await stateDict(layers)) out[k] = { data: t.data as Float32Array, shape: t.shape };
  return out;
}

/**
 * Convert a released-name state dict (PyTorch layout; a `Map` as the readers return, or a plain object) into
 * a {@link Params} record for the functional API: same names, values in tfjs layout (every 2-D `X.weight` of
 * the PAE modules is a Linear weight and is transposed to [in, out]). The caller owns (disposes) the tensors.
 * @example
 * ```ts
 * const p = fromTorchStateDict(await stateDict(spatial));
 * const h = spatialPae(p, tokens, u, { heads: 8, layers: 2 });
 * ```
 */
export function fromTorchStateDict(sd: StateDictLike): Params {
  const p: Params = {};
  for (const [k, e] of stateDictEntries(sd, 'fromTorchStateDict')) {
    p[k] = tf.tidy(() => {
      const t =
        e instanceof tf.Tensor
          ? tf.cast(e, 'float32')
          : tf.tensor(
              e.data instanceof Float32Array
                ? e.data
                : Float32Array.from(e.data as ArrayLike<number>, Number),
              [...e.shape],
              'float32',
            );
      return k.endsWith('.weight') && e.shape.length === 2 ? tf.transpose(t) : t;
    });
  }
  return p;
}
