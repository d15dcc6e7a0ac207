/**
 * Entry points: evaluate retrieval from embeddings or from a precomputed similarity matrix.
 */
import * as tf from '@tensorflow/tfjs-core';
import { groupCaptions } from './caption_map.js';
import { MetricsInputError } from './errors.js';
import { assertFinite, MAX_ROWS, type MatrixLike, matrixShape, rowBlock } from './matrix.js';
import {
  type EmbeddingOptions,
  type ResolvedOptions,
  type RetrievalOptions,
  resolveOptions,
} from './options.js';
import { type RowBlockSource, rankPositives, type ScoresOrigin } from './rank_blocks.js';
import { type RetrievalReport, summarizeRanks } from './report.js';

/**
 * Image–text retrieval metrics from embeddings, with cosine similarity (rows L2-normalised unless
 * `normalize: false`). The similarity matrix is built block by block (`chunkSize` image rows at a time) on the
 * active tfjs backend and never held whole when it has more than 2^24 scores. Inputs are not modified or disposed.
 *
 * @param images [nImages, D] image embeddings
 * @param texts [nTexts, D] caption embeddings
 * @param captionToImage [nTexts] the image index (0-based) of every caption — see {@link captionToImageMap}
 * @param opts cut-offs `ks`, tie policy, `chunkSize`, `normalize`, `imagesWithoutCaptions`
 * @returns recalls in percent, mR, rsum, median/mean ranks and per-query ranks in both directions
 * @throws MetricsInputError (`where` `'evaluateRetrieval'`, `argument` the input or option at fault; the
 *   promise rejects) naming the argument and shapes: a matrix of the wrong rank or dtype, D mismatch, map
 *   length ≠ nTexts, map index out of range, an image without caption (unless `imagesWithoutCaptions: 'skip'`),
 *   NaN/±Infinity, K < 1, a bad `chunkSize` or tie policy
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { captionToImageMap, evaluateRetrieval, formatReport } from '@pir/metrics';
 *
 * const images = tf.tensor2d([[1, 0], [0, 1]]);                      // [2, D=2]
 * const texts = tf.tensor2d([[1, 0.1], [0.9, 0], [0.2, 1], [1, 0.2]]); // [4, 2], 2 captions per image
 * const report = await evaluateRetrieval(images, texts, captionToImageMap(2, 2), { ks: [1, 2] });
 * report.i2t.recall[1]; // 100  (each image's best caption is ranked first)
 * report.t2i.recall[1]; // 75   (caption 3 [1, 0.2] belongs to image 1 but is closer to image 0)
 * report.mR;            // 93.75
 * console.log(formatReport(report));
 * ```
 */
export async function evaluateRetrieval(
  images: MatrixLike,
  texts: MatrixLike,
  captionToImage: ArrayLike<number>,
  opts: EmbeddingOptions = {},
): Promise<RetrievalReport> {
  const where = 'evaluateRetrieval';
  const [nImages, dImages] = matrixShape(where, 'images', images);
  const [nTexts, dTexts] = matrixShape(where, 'texts', texts);
  if (dImages !== dTexts) {
    throw new MetricsInputError(
      where,
      'texts',
      `images [${nImages}, ${dImages}] and texts [${nTexts}, ${dTexts}] must have the same embedding size D`,
    );
  }
  if (dImages === 0) {
    throw new MetricsInputError(
      where,
      'images',
      `images [${nImages}, 0] and texts [${nTexts}, 0]: embedding size D must be ≥ 1`,
    );
  }
  checkSizes(where, ['images', 'images', nImages], ['texts', 'texts', nTexts]);
  const o = resolveOptions(where, opts, nImages, nTexts);
  const groups = groupCaptions(where, captionToImage, nImages, nTexts, o.imagesWithoutCaptions);
  await assertFinite(where, 'images', images);
  await assertFinite(where, 'texts', texts);

  const prepare = (m: MatrixLike): tf.Tensor2D =>
    tf.tidy(() => {
      const x = rowBlock(m, 0, m.shape[0]); // [N, D] float32, owned
      if (!o.normalize) return x;
      const norm = tf.sqrt(tf.sum(tf.square(x), 1, true)); // [N, 1]
      return tf.div(x, tf.maximum(norm, 1e-12)); // as torch.nn.functional.normalize
    });
  const img = prepare(images); // [nImages, D]
  let textsT: tf.Tensor2D | undefined;
  try {
    textsT = tf.tidy(() => tf.transpose(prepare(texts))); // [D, nTexts]: the fast matmul layout
    const tT = textsT;
    const source = (r0: number, r1: number): tf.Tensor2D =>
      tf.tidy(() => tf.matMul(tf.slice(img, [r0, 0], [r1 - r0, dImages]), tT)); // [r1 − r0, nTexts]
    // Finite inputs can still overflow float32 in the dot products when `normalize: false`.
    return await evaluate(source, groups, nImages, nTexts, o, { where, argument: '', name: 'similarity' });
  } finally {
    img.dispose();
    textsT?.dispose();
  }
}

/**
 * Image–text retrieval metrics from a precomputed similarity matrix (higher = more similar), e.g. a model's
 * own scores. Read block by block (`chunkSize` rows); the input is not modified or disposed.
 *
 * @param sim [nImages, nTexts] score of every image–caption pair
 * @param captionToImage [nTexts] the image index (0-based) of every caption
 * @param opts cut-offs `ks`, tie policy, `chunkSize`, `imagesWithoutCaptions`
 * @returns recalls in percent, mR, rsum, median/mean ranks and per-query ranks in both directions
 * @throws MetricsInputError (`where` `'evaluateSimilarity'`; the promise rejects) naming the argument and the
 *   shape or position: `sim` not a 2-D float32/int32 matrix, map length ≠ nTexts, map index out of range, an
 *   image without caption, NaN/±Infinity in `sim` (with its `[row, col]`), a bad option
 * @example
 * ```ts
 * import { evaluateSimilarity } from '@pir/metrics';
 *
 * // 2 images × 3 captions; captions 0, 1 describe image 0, caption 2 image 1
 * const sim = { data: new Float32Array([0.9, 0.2, 0.5, 0.1, 0.8, 0.7]), shape: [2, 3] as const };
 * const report = await evaluateSimilarity(sim, [0, 0, 1], { ks: [1] });
 * report.i2t.ranks;     // Int32Array [1, 2]  (image 1: caption 1 scores 0.8 > 0.7)
 * report.i2t.recall[1]; // 50
 * report.t2i.ranks;     // Int32Array [1, 2, 1]
 * ```
 */
export async function evaluateSimilarity(
  sim: MatrixLike,
  captionToImage: ArrayLike<number>,
  opts: RetrievalOptions = {},
): Promise<RetrievalReport> {
  const where = 'evaluateSimilarity';
  const [nImages, nTexts] = matrixShape(where, 'sim', sim);
  checkSizes(where, ['sim', 'sim rows (images)', nImages], ['sim', 'sim columns (texts)', nTexts]);
  const o = resolveOptions(where, opts, nImages, nTexts);
  const groups = groupCaptions(where, captionToImage, nImages, nTexts, o.imagesWithoutCaptions);
  const origin = { where, argument: 'sim', name: 'sim' };
  return evaluate((r0, r1) => rowBlock(sim, r0, r1), groups, nImages, nTexts, o, origin);
}

/** Each of `[argument, name in the message, count]` must be in [1, MAX_ROWS]. */
function checkSizes(where: string, ...sizes: [argument: string, name: string, n: number][]): void {
  for (const [argument, name, n] of sizes) {
    if (n === 0) throw new MetricsInputError(where, argument, `${name}: need at least one, got 0`);
    if (n > MAX_ROWS) {
      throw new MetricsInputError(
        where,
        argument,
        `${name}: at most ${MAX_ROWS} supported (exact counts), got ${n}`,
      );
    }
  }
}

async function evaluate(
  source: RowBlockSource,
  groups: ReturnType<typeof groupCaptions>,
  nImages: number,
  nTexts: number,
  o: ResolvedOptions,
  origin: ScoresOrigin,
): Promise<RetrievalReport> {
  const r = await rankPositives(source, groups, nImages, nTexts, o.chunkSize, o.ties, origin);
  const i2t = { ...summarizeRanks(r.i2tRanks, o.ks), bestCaption: r.bestCaption };
  const t2i = summarizeRanks(r.t2iRanks, o.ks);
  let rsum = 0;
  for (const k of o.ks) rsum += (i2t.recall[k] as number) + (t2i.recall[k] as number);
  return { i2t, t2i, mR: rsum / (2 * o.ks.length), rsum, ks: o.ks, ties: o.ties, nImages, nTexts };
}
