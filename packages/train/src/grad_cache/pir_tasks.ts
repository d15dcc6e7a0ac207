/**
 * {@link EmbeddingTask}s for the PIR models, through their public API: the frozen instruction encoder runs
 * once per micro-batch outside the gradient tape (`encoders.instruction.encode`), the vision tower and the
 * PIR head (`imageHead`) and the text side (`embedTexts`) run in both passes, and the loss is the model's own
 * `lossFromEmbeddings` (so its temperatures / logit scale receive their gradients too).
 */
import type { Ids, Labels, PirLossParts } from '@pir/losses';
import { PirClip, type PirClipBatch, PirItr, type PirItrBatch } from '@pir/models';
import { getGlobalRng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { TrainInputError } from '../errors.js';
import { findRngs, type RngLike } from './rng_state.js';
import type { EmbeddingTask } from './task.js';

/** Rows `[start, end)` of per-row data (an array, a typed array or a tensor). */
function sliceRows<T extends Ids | Labels>(x: T, start: number, end: number): T {
  if (x instanceof tf.Tensor) return tf.slice(x, start, end - start) as T;
  return x.slice(start, end) as T;
}

function rowsOf(where: string, batch: { images?: unknown }): number {
  const images = batch?.images;
  if (!(images instanceof tf.Tensor) || images.rank !== 4)
    throw new TrainInputError(where, 'batch', 'expected a batch { images [B, H, W, 3], ids, mask, … }');
  return images.shape[0];
}

/** The frozen instruction encoder's part of the contract. */
interface Instruction {
  encode(images: tf.Tensor4D): tf.Tensor2D;
}

/**
 * The instruction vector [rows, Di] of the rows, or nothing when the model does not use one (an ablation
 * without belief and instruction slot: `usesInstruction` false).
 */
function instructionOf(model: PirItr | PirClip, images: tf.Tensor4D): tf.Tensor[] {
  if ((model as { usesInstruction?: boolean }).usesInstruction === false) return [];
  return [(model.encoders.instruction as Instruction).encode(images)];
}

/** The model's generators plus the process-wide one (read when called: `setGlobalSeed` replaces it). */
function rngsOf(model: object): () => RngLike[] {
  const found = findRngs(model);
  return () => [...new Set([...found, getGlobalRng()])];
}

/**
 * The training task of a {@link PirItr}: embeddings `[v, t]` ([rows, D] each), loss `L_c + λ·L_a` with the
 * batch's `imageIds` and `labels`.
 * @example
 * ```ts
 * const task = pirItrTask(model);
 * const { grads, parts } = computeGradients(task, batch, { microBatch: 8 });
 * ```
 */
export function pirItrTask(model: PirItr): EmbeddingTask<PirItrBatch, PirLossParts> {
  if (!(model instanceof PirItr)) throw new TrainInputError('pirItrTask', 'model', 'expected a PirItr');
  return {
    name: 'PirItr',
    rows: (batch) => rowsOf('PirItr task', batch),
    slice: (batch, start, end) => ({
      images: tf.slice(batch.images, start, end - start),
      ids: tf.slice(batch.ids, start, end - start),
      mask: tf.slice(batch.mask, start, end - start),
      imageIds: sliceRows(batch.imageIds, start, end),
      labels: sliceRows(batch.labels, start, end),
    }),
    release: (slice) =>
      tf.dispose([slice.images, slice.ids, slice.mask, slice.imageIds, slice.labels] as never),
    frozen: (batch) => instructionOf(model, batch.images), // [[rows, Di]] or []
    embed: (batch, frozen, training) =>
      tf.tidy(() => {
        // what model.encodeImages does, with the instruction vector computed once outside the tape
        const vision = model.encoders.vision.encode(batch.images, training);
        const v = model.imageHead(vision, frozen[0] as tf.Tensor2D, training); // [rows, D]
        const t = model.embedTexts(batch.ids, batch.mask, training); // [rows, D]
        return [v, t];
      }),
    loss: ([v, t], batch) =>
      model.lossFromEmbeddings(v as tf.Tensor2D, t as tf.Tensor2D, batch.imageIds, batch.labels),
    variables: () => model.trainableVariables(),
    rngs: rngsOf(model),
    applyConstraints: () => model.applyConstraints(),
  };
}

/**
 * The training task of a {@link PirClip}: embeddings `[v, t]`, loss `CLIP + λ·affiliation` with the batch's
 * `labels`. The ViT stem's output is split into class and patch tokens as `PirClip.encodeImages` does.
 */
export function pirClipTask(model: PirClip): EmbeddingTask<PirClipBatch, PirLossParts> {
  if (!(model instanceof PirClip)) throw new TrainInputError('pirClipTask', 'model', 'expected a PirClip');
  return {
    name: 'PirClip',
    rows: (batch) => rowsOf('PirClip task', batch),
    slice: (batch, start, end) => ({
      images: tf.slice(batch.images, start, end - start),
      ids: tf.slice(batch.ids, start, end - start),
      mask: tf.slice(batch.mask, start, end - start),
      labels: sliceRows(batch.labels, start, end),
    }),
    release: (slice) => tf.dispose([slice.images, slice.ids, slice.mask, slice.labels] as never),
    frozen: (batch) => instructionOf(model, batch.images), // [[rows, Di]] or []
    embed: (batch, frozen, training) =>
      tf.tidy(() => {
        const stem = model.encoders.vision.embed(batch.images); // [rows, 1+N, W] after ln_pre
        const [b, l, w] = stem.shape;
        const vision = {
          global: tf.reshape(tf.slice(stem, [0, 0, 0], [b, 1, w]), [b, w]) as tf.Tensor2D, // class token
          local: tf.slice(stem, [0, 1, 0], [b, l - 1, w]) as tf.Tensor3D, // patches [rows, N, W]
        };
        const v = model.imageHead(vision, frozen[0] as tf.Tensor2D, training);
        const t = model.embedTexts(batch.ids, batch.mask, training);
        return [v, t];
      }),
    loss: ([v, t], batch) => model.lossFromEmbeddings(v as tf.Tensor2D, t as tf.Tensor2D, batch.labels),
    variables: () => model.trainableVariables(),
    rngs: rngsOf(model),
    applyConstraints: () => model.applyConstraints(),
  };
}

/**
 * The task of a PIR model: {@link pirItrTask} for a `PirItr` (batches `PirItrBatch`), {@link pirClipTask}
 * for a `PirClip` (batches `PirClipBatch`).
 * @example
 * ```ts
 * const result = trainStep(modelTask(model), optimizer, batch);
 * ```
 */
export function modelTask(model: PirItr): EmbeddingTask<PirItrBatch, PirLossParts>;
/** The task of a `PirClip` ({@link pirClipTask}). */
export function modelTask(model: PirClip): EmbeddingTask<PirClipBatch, PirLossParts>;
export function modelTask(
  model: PirItr | PirClip,
): EmbeddingTask<PirItrBatch, PirLossParts> | EmbeddingTask<PirClipBatch, PirLossParts> {
  if (model instanceof PirItr) return pirItrTask(model);
  if (model instanceof PirClip) return pirClipTask(model);
  throw new TrainInputError(
    'modelTask',
    'model',
    'expected a PirItr or a PirClip; for another model write an EmbeddingTask',
  );
}
