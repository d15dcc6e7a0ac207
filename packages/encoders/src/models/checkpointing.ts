/**
 * One block of an encoder, with or without activation checkpointing (`checkpoint` of `@pir/nn`): the block's
 * trainable variables are those of the store under its name prefix (e.g. `encoder.layer.3.`).
 */
import { checkpoint, type ParamStore } from '@pir/nn';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * `f(...inputs)`; checkpointed when `on` (only `inputs` kept for the backward pass, `f` recomputed there).
 * `f` must read only `inputs`, the store's variables and constants the encoder holds.
 */
export function runBlock<T extends tf.Tensor>(
  on: boolean,
  params: ParamStore,
  prefix: string,
  f: (...inputs: tf.Tensor[]) => T,
  inputs: tf.Tensor[],
): T {
  if (!on) return f(...inputs);
  const vars = params
    .entries()
    .filter(([name, v]) => name.startsWith(prefix) && v.trainable)
    .map(([, v]) => v);
  return checkpoint(f, inputs, vars);
}
