/**
 * The core: 1-based ranks of the positives in both directions from row blocks of the similarity matrix
 * S [nImages, nTexts], without sorting and without holding S whole.
 *
 * For a query with positive score p, rank = 1 + (number of negatives that come first), counted on the
 * backend as a comparison and a sum — O(gallery) per query instead of an O(gallery · log gallery) sort:
 *
 * | direction | query → gallery | pessimistic rank                         | optimistic rank             |
 * |-----------|-----------------|------------------------------------------|-----------------------------|
 * | I2T       | image → captions | 1 + #{negative t: S[i,t] ≥ best_i}      | 1 + #{t: S[i,t] > best_i}   |
 * | T2I       | caption → images | 1 + #{i ≠ img(t): S[i,t] ≥ S[img(t),t]} | 1 + #{i: S[i,t] > S[img(t),t]} |
 *
 * best_i is image i's highest-scoring caption (its best rank is the rank of that caption). The comparisons
 * use step(a − b), exact for floats (a − b is 0 only when a = b, and has the sign of a − b); step propagates
 * NaN, so a NaN anywhere in S shows up as a NaN count and is reported with its position.
 *
 * Positive scores are gathered from the very blocks that are compared, so a positive always ties with itself
 * and with identical scores (duplicate captions) exactly. With one block (the default up to 2^24 scores) S is
 * built once; with several blocks, pass 1 (I2T, collecting T2I positives) and pass 2 (T2I counts) each
 * rebuild every block: twice the matmul work, memory bounded by one block.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CaptionGroups } from './caption_map.js';
import { MetricsInputError } from './errors.js';
import type { TiePolicy } from './options.js';

/** Who asks for the ranks, for errors about non-finite scores. */
export interface ScoresOrigin {
  /** The public function. */
  where: string;
  /** The argument the scores come from (`'sim'`; `''` when they are computed from several). */
  argument: string;
  /** How the matrix is called in messages (`'sim'`, `'similarity'`). */
  name: string;
}

/** Returns S[r0:r1, :] as a new float32 tensor `[r1 − r0, nTexts]` that the caller disposes. */
export type RowBlockSource = (r0: number, r1: number) => tf.Tensor2D;

export interface PositiveRanks {
  /** `[nImages]` I2T: best 1-based rank among each image's captions (0 for a skipped image). */
  i2tRanks: Int32Array;
  /** `[nImages]` I2T: the caption (global index) at that best rank (−1 for a skipped image). */
  bestCaption: Int32Array;
  /** `[nTexts]` T2I: 1-based rank of each caption's image. */
  t2iRanks: Int32Array;
}

/**
 * Rank every positive in both directions.
 * @param source row blocks of S [nImages, nTexts]
 * @param origin names used in errors about non-finite scores
 */
export async function rankPositives(
  source: RowBlockSource,
  groups: CaptionGroups,
  nImages: number,
  nTexts: number,
  chunkSize: number,
  ties: TiePolicy,
  origin: ScoresOrigin,
): Promise<PositiveRanks> {
  const { start, captions } = groups;
  const i2tRanks = new Int32Array(nImages);
  const bestCaption = new Int32Array(nImages).fill(-1);
  const positive = new Float32Array(nTexts); // S[img(t), t], exactly as the blocks hold it
  const t2iCount = new Float64Array(nTexts);
  const pessimistic = ties === 'pessimistic';
  const singleBlock = chunkSize >= nImages;

  // Pass 1: I2T per block, collecting the T2I positive scores (and T2I counts too when S is one block).
  for (let r0 = 0; r0 < nImages; r0 += chunkSize) {
    const r1 = Math.min(nImages, r0 + chunkSize);
    const b = r1 - r0;
    const S = source(r0, r1); // [b, nTexts]
    try {
      // Positive scores of this block's images: flat indices into S, grouped by image (CSR order).
      const p0 = start[r0] as number;
      const p1 = start[r1] as number;
      const flat = new Int32Array(p1 - p0);
      for (let i = r0; i < r1; i++) {
        for (let k = start[i] as number; k < (start[i + 1] as number); k++) {
          flat[k - p0] = (i - r0) * nTexts + (captions[k] as number);
        }
      }
      let pos: ArrayLike<number> = new Float32Array(0);
      if (flat.length > 0) {
        const gathered = tf.tidy(() => tf.gather(tf.reshape(S, [-1]), tf.tensor1d(flat, 'int32'))); // [p1 − p0]
        pos = await gathered.data();
        gathered.dispose();
      }
      // Per image: best positive score, its (lowest-index) caption, and how many positives tie with it.
      const best = new Float32Array(b);
      const tiedPositives = new Int32Array(b);
      for (let i = r0; i < r1; i++) {
        let top = Number.NEGATIVE_INFINITY;
        let arg = -1;
        let tied = 0;
        for (let k = start[i] as number; k < (start[i + 1] as number); k++) {
          const s = pos[k - p0] as number;
          const t = captions[k] as number;
          positive[t] = s;
          if (s > top || arg < 0) {
            top = s;
            arg = t;
            tied = 1;
          } else if (s === top) {
            tied++;
            if (t < arg) arg = t;
          }
        }
        best[i - r0] = arg < 0 ? 0 : top;
        tiedPositives[i - r0] = tied;
        bestCaption[i] = arg;
      }
      const counts = tf.tidy(() => {
        const bestCol = tf.tensor2d(best, [b, 1]); // [b, 1]
        // pessimistic: #{t: S < best}; optimistic: #{t: S > best}
        return tf.sum(tf.step(pessimistic ? tf.sub(bestCol, S) : tf.sub(S, bestCol)), 1); // [b]
      });
      const c = await counts.data();
      counts.dispose();
      for (let i = r0; i < r1; i++) {
        const n = c[i - r0] as number;
        if (Number.isNaN(n)) await throwNonFinite(origin, S, r0, i - r0, null);
        if (bestCaption[i] < 0) continue; // skipped image: no caption
        i2tRanks[i] = pessimistic ? 1 + nTexts - n - (tiedPositives[i - r0] as number) : 1 + n;
      }
      if (singleBlock) await addT2ICounts(S, positive, pessimistic, t2iCount, origin, r0);
    } finally {
      S.dispose();
    }
  }

  // Pass 2 (several blocks only): T2I counts, now that every positive score is known.
  if (!singleBlock) {
    for (let r0 = 0; r0 < nImages; r0 += chunkSize) {
      const S = source(r0, Math.min(nImages, r0 + chunkSize));
      try {
        await addT2ICounts(S, positive, pessimistic, t2iCount, origin, r0);
      } finally {
        S.dispose();
      }
    }
  }

  const t2iRanks = new Int32Array(nTexts);
  for (let t = 0; t < nTexts; t++) {
    const n = t2iCount[t] as number;
    // pessimistic: n = #{i: S < p}, so #{i ≠ img(t): S ≥ p} = nImages − n − 1; optimistic: n = #{i: S > p}
    t2iRanks[t] = pessimistic ? nImages - n : 1 + n;
  }
  return { i2tRanks, bestCaption, t2iRanks };
}

/** Add, per caption column, the block's count of images scoring below (pessimistic) / above its positive. */
async function addT2ICounts(
  S: tf.Tensor2D,
  positive: Float32Array,
  pessimistic: boolean,
  into: Float64Array,
  origin: ScoresOrigin,
  r0: number,
): Promise<void> {
  const b = S.shape[0];
  const counts = tf.tidy(() => {
    const p = tf.tensor1d(positive); // [nTexts], broadcast along rows
    const hits = tf.step(pessimistic ? tf.sub(p, S) : tf.sub(S, p)); // [b, nTexts] of 0/1
    return tf.matMul(tf.ones([1, b]), hits); // [1, nTexts] column sums (exact: integers < 2^24)
  });
  const c = await counts.data();
  counts.dispose();
  for (let t = 0; t < c.length; t++) {
    const n = c[t] as number;
    if (Number.isNaN(n)) await throwNonFinite(origin, S, r0, null, t);
    into[t] += n;
  }
}

/** Locate a non-finite score in row `row` or column `col` of the block and throw naming it. */
async function throwNonFinite(
  origin: ScoresOrigin,
  S: tf.Tensor2D,
  r0: number,
  row: number | null,
  col: number | null,
): Promise<never> {
  const [b, n] = S.shape;
  const line = tf.tidy(() =>
    row !== null ? tf.slice(S, [row, 0], [1, n]) : tf.slice(S, [0, col as number], [b, 1]),
  );
  const v = await line.data();
  line.dispose();
  for (let k = 0; k < v.length; k++) {
    if (!Number.isFinite(v[k] as number)) {
      const at = row !== null ? `[${r0 + row}, ${k}]` : `[${r0 + k}, ${col}]`;
      throw new MetricsInputError(
        origin.where,
        origin.argument,
        `${origin.name}${at} is ${v[k]}: similarity scores must be finite to be ranked`,
      );
    }
  }
  const place = row !== null ? `row ${r0 + row}` : `column ${col}`;
  throw new MetricsInputError(
    origin.where,
    origin.argument,
    `${origin.name}: ${place} holds scores that cannot be compared (NaN from Infinity − Infinity)`,
  );
}
