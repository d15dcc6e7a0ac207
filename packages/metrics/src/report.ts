/**
 * The report: R@K per direction, mR, rsum, median/mean rank and per-query ranks — and how they are summarised.
 */
import type { TiePolicy } from './options.js';

/** Metrics of one retrieval direction. Recalls are percentages (0–100), as in the papers. */
export interface DirectionReport {
  /** R@K in percent, keyed by K: the share of queries whose (best) positive has rank ≤ K. */
  recall: Readonly<Record<number, number>>;
  /** Median 1-based rank over the queries (mean of the two middle ranks for an even count). */
  medianRank: number;
  /** Mean 1-based rank over the queries. */
  meanRank: number;
  /** How many queries were ranked (I2T: images with at least one caption; T2I: every caption). */
  queries: number;
  /** Per query, the 1-based rank of its (best) positive; 0 marks an image skipped for having no caption. */
  ranks: Int32Array;
}

/** Image → text: per image, the best rank among its captions and which caption reached it. */
export interface ImageToTextReport extends DirectionReport {
  /** `[nImages]` per image, the 1-based rank of its best-ranked caption (0: skipped, no caption). */
  ranks: Int32Array;
  /** `[nImages]` per image, the index of that caption (lowest index among equal scores; −1: skipped). */
  bestCaption: Int32Array;
}

/** Text → image: per caption, the rank of its image. */
export interface TextToImageReport extends DirectionReport {
  /** `[nTexts]` per caption, the 1-based rank of its image. */
  ranks: Int32Array;
}

/** Everything {@link evaluateRetrieval} / {@link evaluateSimilarity} measure. */
export interface RetrievalReport {
  /** Image → text retrieval (text retrieval, image queries). */
  i2t: ImageToTextReport;
  /** Text → image retrieval (image retrieval, caption queries). */
  t2i: TextToImageReport;
  /** Mean of the 2·|ks| recalls (R@K of both directions), percent. */
  mR: number;
  /** Sum of the 2·|ks| recalls, percent. */
  rsum: number;
  /** The cut-offs, ascending. */
  ks: number[];
  /** The tie policy the ranks follow. */
  ties: TiePolicy;
  /** Number of images (rows of the similarity matrix). */
  nImages: number;
  /** Number of captions (columns of the similarity matrix). */
  nTexts: number;
}

/**
 * R@K, median and mean rank of one direction from its 1-based ranks (0 = not a query).
 * @param ranks [nQueries]
 */
export function summarizeRanks(ranks: Int32Array, ks: readonly number[]): DirectionReport {
  const used: number[] = [];
  for (const r of ranks) if (r > 0) used.push(r);
  const n = used.length;
  used.sort((a, b) => a - b);
  const recall: Record<number, number> = {};
  let j = 0;
  for (const k of ks) {
    while (j < n && (used[j] as number) <= k) j++;
    recall[k] = n === 0 ? 0 : (100 * j) / n;
  }
  let sum = 0;
  for (const r of used) sum += r;
  const mid = n >> 1;
  const medianRank =
    n === 0
      ? Number.NaN
      : n % 2 === 1
        ? (used[mid] as number)
        : ((used[mid - 1] as number) + (used[mid] as number)) / 2;
  return { recall, medianRank, meanRank: n === 0 ? Number.NaN : sum / n, queries: n, ranks };
}
