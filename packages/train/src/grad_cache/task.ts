/**
 * {@link EmbeddingTask}: what the gradient cache and the training step need from a model — how to cut a batch
 * into rows, embed rows, and compute the loss from the whole batch's embeddings. `pirItrTask` and
 * `pirClipTask` adapt the PIR models; write one for your own dual encoder.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { RngLike } from './rng_state.js';

/** A loss and its named parts (scalars); `loss` is what is minimised. */
export interface LossLike {
  /** [] the loss to minimise (other fields: its parts, also [] scalars). */
  readonly loss: tf.Scalar;
}

/**
 * A contrastive training task over batches of type `B` whose loss `P` couples every row of the batch with
 * every other (so it must see the whole batch's embeddings at once).
 *
 * Contract: `embed` is a pure function of the rows, `frozen` and the state of `rngs()` — called twice on the
 * same rows from the same generator states, it computes the same embeddings (this is what makes gradient
 * caching exact). Layers whose output depends on the other rows of a micro-batch (BatchNorm in training mode)
 * break it.
 */
export interface EmbeddingTask<B, P extends LossLike = LossLike> {
  /** Name for errors (e.g. `'PirItr'`). */
  readonly name: string;
  /** Rows (captions) in a batch. */
  rows(batch: B): number;
  /** Rows `[start, end)` of a batch as a batch; tensors it makes are freed by {@link release}. */
  slice(batch: B, start: number, end: number): B;
  /** Free what {@link slice} made (never the original batch's tensors). */
  release(slice: B): void;
  /**
   * Inputs of the rows computed once, outside any gradient tape, and handed to both passes of
   * {@link embed} — outputs of frozen parts such as the instruction encoder ([rows, Di]). Optional.
   */
  frozen?(batch: B): tf.Tensor[];
  /**
   * The embeddings of the rows, e.g. `[v [rows, D], t [rows, D]]`; `frozen` is what {@link frozen} returned
   * for these rows (or `[]`); `training` turns dropout on.
   */
  embed(batch: B, frozen: readonly tf.Tensor[], training: boolean): tf.Tensor2D[];
  /** The loss from the whole batch's embeddings (rows in batch order, as {@link embed} returns them). */
  loss(embeddings: readonly tf.Tensor2D[], batch: B): P;
  /** The variables to differentiate (the model's `trainableVariables()`). */
  variables(): tf.Variable[];
  /** The generators the forward pass draws from (dropout seeds); see `findRngs`. */
  rngs(): RngLike[];
  /** Constraints after an optimiser step (clamping temperatures, capping the logit scale). Optional. */
  applyConstraints?(): void;
}
