/**
 * {@link evaluateSplit}: retrieval on a split as PIR_SPEC §6 measures it — every image against every caption
 * of the split, cosine similarity, R@1/5/10 both ways and mR (`evaluateRetrieval` of `@pir/metrics`) — from
 * a model's `embedImages` / `embedTexts` in evaluation mode (dropout off), images in bounded batches
 * (decoding prefetched), captions cleaned as in training.
 */
import { prefetch } from '@pir/datasets';
import { DEFAULT_MAX_WORDS } from '@pir/datasets/captions';
import type { Tokenizer } from '@pir/encoders';
import { evaluateRetrieval, type RetrievalReport } from '@pir/metrics';
import type { EmbeddingModel, RetrievalModel } from '@pir/models';
import * as tf from '@tensorflow/tfjs-core';
import { TrainInputError } from '../errors.js';
import { preprocessImages, tokenize } from './batches.js';
import { checkSplit, type DataSplit } from './training_data.js';

/** Options of {@link evaluateSplit}. */
export interface EvaluateSplitOptions {
  /** The captions' tokenizer (default: the `RetrievalModel`'s, else the text encoder's). */
  tokenizer?: Tokenizer;
  /** Side of the evaluation images (default: the vision encoder's `config.imageSize`, else 224). */
  imageSize?: number;
  /** Words kept per caption after cleaning (default 30, PIR's). */
  maxWords?: number;
  /** Images per forward pass (default 32). */
  imageBatch?: number;
  /** Captions per forward pass (default 256). */
  textBatch?: number;
  /** Image batches decoded ahead of the forward pass (default 2). */
  prefetch?: number;
  /** Cut-offs K of R@K (default [1, 5, 10], as the papers). */
  ks?: readonly number[];
}

/** The model and tokenizer of a `RetrievalModel` or a bare model. */
function unwrap(model: EmbeddingModel | RetrievalModel): { model: EmbeddingModel; tokenizer?: Tokenizer } {
  const rm = model as Partial<RetrievalModel>;
  if (rm.model !== undefined && typeof (rm.model as EmbeddingModel).embedImages === 'function')
    return {
      model: rm.model as EmbeddingModel,
      ...(rm.tokenizer === undefined ? {} : { tokenizer: rm.tokenizer }),
    };
  return { model: model as EmbeddingModel };
}

/** The vision encoder's input side, when its configuration says (Swin, ViT, ResNet configs have `imageSize`). */
export function visionImageSize(model: EmbeddingModel): number | undefined {
  const c = (model.encoders.vision as { config?: { imageSize?: unknown } }).config;
  return typeof c?.imageSize === 'number' ? c.imageSize : undefined;
}

function positive(where: string, name: string, x: number | undefined, fallback: number): number {
  const v = x ?? fallback;
  if (!Number.isInteger(v) || v < 1)
    throw new TrainInputError(where, name, `must be an integer ≥ 1, got ${x}`);
  return v;
}

/**
 * Retrieval metrics of `model` on `split`: embeddings of all its images [nImages, D] and captions
 * [nCaptions, D] (evaluation mode), then `evaluateRetrieval` (R@K both ways, mR, ranks).
 * @param model a model of `createModel` or a `RetrievalModel` (`loadModel` of a model directory)
 * @param split the images and captions ({@link DataSplit})
 * @returns the report of `@pir/metrics` (percentages); leaves no tensor behind
 * @throws TrainInputError when the split is malformed or there is no tokenizer
 * @example
 * ```ts
 * const report = await evaluateSplit(model, data.test!, { tokenizer });
 * report.mR; // mean of I2T and T2I R@1, R@5, R@10, in percent
 * ```
 */
export async function evaluateSplit(
  model: EmbeddingModel | RetrievalModel,
  split: DataSplit,
  options: EvaluateSplitOptions = {},
): Promise<RetrievalReport> {
  const where = 'evaluateSplit';
  const { model: m, tokenizer: own } = unwrap(model);
  if (typeof m?.embedImages !== 'function' || typeof m.embedTexts !== 'function')
    throw new TrainInputError(
      where,
      'model',
      'expected a model with embedImages and embedTexts (createModel, loadModel)',
    );
  const { images: nImages } = checkSplit(where, 'evaluation', split, 'split');
  const tokenizer = options.tokenizer ?? own ?? m.encoders.text.tokenizer;
  const size = positive(where, 'imageSize', options.imageSize, visionImageSize(m) ?? 224);
  const imageBatch = positive(where, 'imageBatch', options.imageBatch, 32);
  const textBatch = positive(where, 'textBatch', options.textBatch, 256);
  const maxWords = positive(where, 'maxWords', options.maxWords, DEFAULT_MAX_WORDS);
  const chunks: number[][] = [];
  for (let s = 0; s < nImages; s += imageBatch)
    chunks.push(Array.from({ length: Math.min(imageBatch, nImages - s) }, (_, k) => s + k));
  const vParts: tf.Tensor2D[] = [];
  const tParts: tf.Tensor2D[] = [];
  let v: tf.Tensor2D | undefined;
  let t: tf.Tensor2D | undefined;
  try {
    const decoded = prefetch(chunks, (indices) => split.loadImages(indices), {
      depth: options.prefetch ?? 2,
    });
    for await (const raws of decoded) {
      vParts.push(tf.tidy(() => m.embedImages(preprocessImages(raws, size), false))); // [n, D]
    }
    for (let s = 0; s < split.captions.length; s += textBatch) {
      const { ids, mask } = tokenize(tokenizer, split.captions.slice(s, s + textBatch), maxWords);
      try {
        tParts.push(m.embedTexts(ids, mask, false)); // [n, D]
      } finally {
        tf.dispose([ids, mask]);
      }
    }
    v = vParts.length === 1 ? (vParts.pop() as tf.Tensor2D) : tf.concat(vParts, 0);
    t = tParts.length === 1 ? (tParts.pop() as tf.Tensor2D) : tf.concat(tParts, 0);
    return await evaluateRetrieval(
      v,
      t,
      split.captionToImage,
      options.ks === undefined ? {} : { ks: options.ks },
    );
  } finally {
    tf.dispose([...vParts, ...tParts, ...(v === undefined ? [] : [v]), ...(t === undefined ? [] : [t])]);
  }
}
