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
    // a trained instruction encoder runs inside the tape, with the rest (trainInstruction)
    frozen: (batch) => (model.trainInstruction ? [] : instructionOf(model, batch.images)), // [[rows, Di]] or []
    embed: (batch, frozen, training) =>
      tf.tidy(() => {
        const instruction = model.trainInstruction
          ? (
              model.encoders.instruction as {
                encode(images: tf.Tensor4D, training?: boolean): tf.Tensor2D;
              }
            ).encode(batch.images, training)
          : (frozen[0] as tf.Tensor2D | undefined);
        const stem = model.encoders.vision.embed(batch.images); // [rows, 1+N, W] after ln_pre
        const [b, l, w] = stem.shape;
        const vision = {
          global: tf.reshape(tf.slice(stem, [0, 0, 0], [b, 1, w]), [b, w]) as tf.Tensor2D, // class token
          local: tf.slice(stem, [0, 1, 0], [b, l - 1, w]) as tf.Tensor3D, // patches [rows, N, W]
        };
        const v = model.imageHead(vision, instruction, training);
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
 * What {@link dualEncoderTask} needs of a model: PIR-ITR's public shape without the instruction encoder — the
 * VSE baseline (`VseModel` of `@pir/models`) and any dual encoder written the same way.
 */
export interface DualEncoderModel {
  /** `vision.encode(images [rows, H, W, 3], training)` → the encoder output `imageHead` takes. */
  readonly encoders: {
    readonly vision: { encode(images: tf.Tensor4D, training?: boolean): EncoderOutputLike };
  };
  /** The image side from the vision encoder's output → v [rows, D]. */
  imageHead(vision: EncoderOutputLike, instruction?: tf.Tensor2D, training?: boolean): tf.Tensor2D;
  /** ids, mask [rows, L] → t [rows, D]. */
  embedTexts(ids: tf.Tensor2D, mask: tf.Tensor2D, training?: boolean): tf.Tensor2D;
  /** The loss from the whole batch's embeddings (`labels` only when the model uses them). */
  lossFromEmbeddings(v: tf.Tensor2D, t: tf.Tensor2D, imageIds: Ids, labels?: Labels): PirLossParts;
  trainableVariables(): tf.Variable[];
  applyConstraints(): void;
}

/** What a vision encoder returns (`EncoderOutput` of `@pir/encoders`). */
export interface EncoderOutputLike {
  /** [rows, Dv] */
  global: tf.Tensor2D;
  /** [rows, N, Dv] */
  local: tf.Tensor3D;
}

/** One training batch of a {@link DualEncoderModel}: B captions and, row for row, their images. */
export interface DualEncoderBatch {
  /** [B, H, W, 3] */
  images: tf.Tensor4D;
  /** [B, L] int32 token ids. */
  ids: tf.Tensor2D;
  /** [B, L] 1 = token. */
  mask: tf.Tensor2D;
  /** Image of each row (rows of one image are positives). */
  imageIds: Ids;
  /** Scene label of each row (the affiliation loss, when the model has one). */
  labels?: Labels;
}

function isDualEncoder(model: unknown): model is DualEncoderModel {
  const m = model as Partial<DualEncoderModel> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.imageHead === 'function' &&
    typeof m.embedTexts === 'function' &&
    typeof m.lossFromEmbeddings === 'function' &&
    typeof m.trainableVariables === 'function' &&
    typeof m.applyConstraints === 'function' &&
    typeof m.encoders?.vision?.encode === 'function'
  );
}

/**
 * The training task of a dual encoder with PIR-ITR's public shape and no instruction encoder — the VSE
 * baseline (`createModel('vse-…')`): embeddings `[v, t]` with `v = imageHead(vision.encode(images))`, `t =
 * embedTexts(ids, mask)`, loss `lossFromEmbeddings(v, t, imageIds, labels)` (InfoNCE or VSE++ triplet, + λ·L_a).
 * @example
 * ```ts
 * const task = dualEncoderTask(createModel('vse-test', { seed: 1 }));
 * ```
 */
export function dualEncoderTask(model: DualEncoderModel): EmbeddingTask<DualEncoderBatch, PirLossParts> {
  if (!isDualEncoder(model))
    throw new TrainInputError(
      'dualEncoderTask',
      'model',
      'expected a model with encoders.vision.encode, imageHead, embedTexts, lossFromEmbeddings, trainableVariables and applyConstraints (e.g. a VseModel)',
    );
  const name = (model as { constructor?: { name?: string } }).constructor?.name || 'DualEncoder';
  return {
    name,
    rows: (batch) => rowsOf(`${name} task`, batch),
    slice: (batch, start, end) => ({
      images: tf.slice(batch.images, start, end - start),
      ids: tf.slice(batch.ids, start, end - start),
      mask: tf.slice(batch.mask, start, end - start),
      imageIds: sliceRows(batch.imageIds, start, end),
      ...(batch.labels === undefined ? {} : { labels: sliceRows(batch.labels, start, end) }),
    }),
    release: (slice) =>
      tf.dispose([slice.images, slice.ids, slice.mask, slice.imageIds, slice.labels] as never),
    embed: (batch, _frozen, training) =>
      tf.tidy(() => {
        const vision = model.encoders.vision.encode(batch.images, training);
        const v = model.imageHead(vision, undefined, training); // [rows, D]
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
 * The task of a model of `@pir/models`: {@link pirItrTask} for a `PirItr` (batches `PirItrBatch`),
 * {@link pirClipTask} for a `PirClip` (batches `PirClipBatch`), {@link dualEncoderTask} for the VSE baseline
 * (`VseModel`) or another dual encoder of the same shape.
 * @example
 * ```ts
 * const result = trainStep(modelTask(model), optimizer, batch);
 * ```
 */
export function modelTask(model: PirItr): EmbeddingTask<PirItrBatch, PirLossParts>;
/** The task of a `PirClip` ({@link pirClipTask}). */
export function modelTask(model: PirClip): EmbeddingTask<PirClipBatch, PirLossParts>;
/** The task of the VSE baseline or another dual encoder ({@link dualEncoderTask}). */
export function modelTask(model: DualEncoderModel): EmbeddingTask<DualEncoderBatch, PirLossParts>;
export function modelTask(
  model: PirItr | PirClip | DualEncoderModel,
):
  | EmbeddingTask<PirItrBatch, PirLossParts>
  | EmbeddingTask<PirClipBatch, PirLossParts>
  | EmbeddingTask<DualEncoderBatch, PirLossParts> {
  if (model instanceof PirItr) return pirItrTask(model);
  if (model instanceof PirClip) return pirClipTask(model);
  if (isDualEncoder(model)) return dualEncoderTask(model);
  throw new TrainInputError(
    'modelTask',
    'model',
    'expected a PirItr, a PirClip or a dual encoder such as the VseModel; for another model write an EmbeddingTask',
  );
}
