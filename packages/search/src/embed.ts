/**
 * What the indexer, the server and a browser page share, with no Node import: a model's identity, decoded
 * images → vectors (the model's own preprocessing), captions → the store's nearest images, and the belief
 * heat-map of one image.
 */
import { evalTransform, type RawImage } from '@pir/datasets';
import { cleanCaption } from '@pir/datasets/captions';
import { imageToTensor } from '@pir/datasets/transforms';
import type { RetrievalModel } from '@pir/models';
import * as tf from '@tensorflow/tfjs-core';
import {
  type ModelIdentity,
  type SearchHit,
  type SearchOptions,
  StoreError,
  type VectorStore,
} from './index.js';

/** The identity a model stamps its vectors with. */
export function identityOf(model: RetrievalModel): ModelIdentity {
  return { name: model.config.name, configHash: model.configHash, dim: model.embeddingDim };
}

/** The model's input side (`config.encoders.vision.config.imageSize`, else 224). */
export function modelImageSize(model: RetrievalModel): number {
  const c = (model.config.encoders.vision as { config?: { imageSize?: unknown } }).config;
  return typeof c?.imageSize === 'number' ? c.imageSize : 224;
}

/** `[N, S, S, 3]` as the model's encoders take them (resize, centre crop, CLIP mean/std). */
export function imageBatch(images: readonly RawImage[], size: number): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf.stack(images.map((im) => evalTransform(imageToTensor(im) as tf.Tensor3D, { size }))) as tf.Tensor4D,
  );
}

/**
 * Decoded images → their embeddings, L2-normalised, with the model's preprocessing.
 * @returns `[N · D]` row-major (N = `images.length`, D = `model.embeddingDim`)
 */
export async function imageVectors(
  model: RetrievalModel,
  images: readonly RawImage[],
): Promise<Float32Array> {
  if (!Array.isArray(images) || images.length === 0)
    throw new StoreError('imageVectors', 'images', 'expected one or more decoded images');
  const emb = tf.tidy(() => model.embedImages(imageBatch(images, modelImageSize(model))));
  try {
    return (await emb.data()) as Float32Array;
  } finally {
    emb.dispose();
  }
}

/** The embedding of one decoded image (L2-normalised, the model's preprocessing): `[D]`. */
export function imageVector(model: RetrievalModel, image: RawImage): Promise<Float32Array> {
  return imageVectors(model, [image]);
}

/**
 * Captions → the store's `k` nearest images each (captions cleaned as PIR evaluates them).
 * @example
 * ```ts no-run
 * const [hits] = await searchTexts(model, store, ['a harbour with boats beside a long pier'], 10);
 * ```
 */
export async function searchTexts(
  model: RetrievalModel,
  store: VectorStore,
  captions: readonly string[],
  k = 10,
  options: Omit<SearchOptions, 'kind'> = {},
): Promise<SearchHit[][]> {
  if (!Array.isArray(captions) || captions.length === 0 || captions.some((c) => typeof c !== 'string'))
    throw new StoreError('searchTexts', 'captions', 'expected one or more caption strings');
  const emb = model.embedTexts(captions.map((c) => cleanCaption(c, { maxWords: 30 })));
  const q = (await emb.data()) as Float32Array;
  emb.dispose();
  return store.search(identityOf(model), q, k, { ...options, kind: 'image' });
}

/**
 * Which of the vision encoder's grid tokens PIR-ITR's hard belief keeps for one image (the instruction
 * prior's choice; it does not depend on a query).
 */
export interface BeliefGrid {
  /** Tokens per side: the local tokens form a `grid × grid` raster over the (centre-cropped) image. */
  grid: number;
  /** Belief score of each local token, row-major `[grid · grid]`. */
  scores: number[];
  /** 1 where the hard belief keeps the token, 0 where it drops it, `[grid · grid]`. */
  kept: number[];
  /** Whether the pooled (global) token is among the kept. */
  pooledKept: boolean;
}

interface BeliefModel {
  beliefMap(images: tf.Tensor4D): { scores: tf.Tensor2D; kept: tf.Tensor2D };
  noBelief?: boolean;
}

/**
 * The belief heat-maps of decoded images (one forward pass of the vision and instruction encoders for all), or
 * `undefined` for a model without a belief strategy (VSE, PIR-CLIP, PIR-ITR with `noBelief`) or whose tokens
 * are not a square grid.
 * @returns one {@link BeliefGrid} per image, in order
 * @throws what the model throws for an unusable image — a heat-map that silently disappeared would hide it
 */
export async function beliefGrids(
  model: RetrievalModel,
  images: readonly RawImage[],
): Promise<BeliefGrid[] | undefined> {
  const m = model.model as unknown as Partial<BeliefModel>;
  if (typeof m.beliefMap !== 'function' || m.noBelief === true) return undefined;
  if (!Array.isArray(images) || images.length === 0)
    throw new StoreError('beliefGrids', 'images', 'expected one or more decoded images');
  const size = modelImageSize(model);
  const r = tf.tidy(() => (m as BeliefModel).beliefMap(imageBatch(images, size)));
  let scores: Float32Array;
  let kept: Float32Array;
  try {
    scores = (await r.scores.data()) as Float32Array;
    kept = (await r.kept.data()) as Float32Array;
  } finally {
    tf.dispose([r.scores, r.kept]);
  }
  const tokens = scores.length / images.length; // 1 pooled + grid² local
  const grid = Math.round(Math.sqrt(tokens - 1));
  if (tokens < 2 || grid * grid !== tokens - 1) return undefined;
  return images.map((_, i) => {
    const row = (a: Float32Array) => Array.from(a.subarray(i * tokens, (i + 1) * tokens));
    const s = row(scores);
    const k = row(kept);
    return { grid, scores: s.slice(1), kept: k.slice(1), pooledKept: k[0] === 1 };
  });
}
