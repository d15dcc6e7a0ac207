/**
 * Options of {@link evaluateRetrieval} / {@link evaluateSimilarity} and their defaults.
 */
import { MetricsInputError } from './errors.js';

/**
 * How a positive's rank treats gallery items with exactly the same score.
 *
 * - `'pessimistic'` (default): ties count **against** the query — every negative that scores ≥ the positive is
 *   ranked before it. rank = 1 + #{negatives with score ≥ positive}.
 * - `'optimistic'`: ties count **for** the query — only strictly greater negatives come first.
 *   rank = 1 + #{negatives with score > positive}.
 *
 * Without ties both agree. The published (numpy `argsort`) code breaks ties by gallery index, which makes the
 * number depend on the order of the test file; the two policies bracket every such order.
 */
export type TiePolicy = 'pessimistic' | 'optimistic';

/** What to do with an image that no caption points at (it cannot be an I2T query). */
export type ImagesWithoutCaptions = 'error' | 'skip';

/** Options of {@link evaluateSimilarity} (and, with {@link EmbeddingOptions}, of {@link evaluateRetrieval}). */
export interface RetrievalOptions {
  /** Cut-offs K of R@K, positive integers (sorted and de-duplicated). Default `[1, 5, 10]`. */
  ks?: readonly number[];
  /** Tie policy, see {@link TiePolicy}. Default `'pessimistic'`. */
  ties?: TiePolicy;
  /**
   * Image rows (queries of the I2T direction) per block of the similarity matrix: memory is bounded by
   * `chunkSize × nTexts` scores (a few tensors of that size at once). Default: as many rows as fit in
   * 2^24 scores (64 MiB of float32), at least 1 — RSICD's 1,093 × 5,465 test split is one block.
   */
  chunkSize?: number;
  /** `'error'` (default) rejects an image without captions, naming it; `'skip'` leaves it out of I2T (rank 0). */
  imagesWithoutCaptions?: ImagesWithoutCaptions;
}

/** Options of {@link evaluateRetrieval}: {@link RetrievalOptions} plus the normalisation of the embeddings. */
export interface EmbeddingOptions extends RetrievalOptions {
  /** L2-normalise the rows of `images` and `texts` first, so scores are cosine similarities. Default `true`. */
  normalize?: boolean;
}

/** Largest block, in scores, that the default `chunkSize` allows. */
export const DEFAULT_BLOCK_SCORES = 2 ** 24;

/** Resolved options (every field present). */
export interface ResolvedOptions {
  ks: number[];
  ties: TiePolicy;
  chunkSize: number;
  imagesWithoutCaptions: ImagesWithoutCaptions;
  normalize: boolean;
}

export const DEFAULTS = {
  /** The paper's cut-offs. */
  ks: [1, 5, 10] as readonly number[],
  /** Count ties against the query (the honest lower bound). */
  ties: 'pessimistic' as TiePolicy,
  /** Reject images without captions rather than silently shrinking the query set. */
  imagesWithoutCaptions: 'error' as ImagesWithoutCaptions,
  /** Cosine similarity, as in the spec. */
  normalize: true,
} as const;

/**
 * Validate and complete options; `nImages`/`nTexts` size the default chunk.
 * @param where the public function, for errors (the argument is the bad option's name)
 * @throws MetricsInputError naming the bad option
 */
export function resolveOptions(
  where: string,
  opts: EmbeddingOptions,
  nImages: number,
  nTexts: number,
): ResolvedOptions {
  const ks = opts.ks ?? DEFAULTS.ks;
  if (!Array.isArray(ks) || ks.length === 0) {
    throw new MetricsInputError(
      where,
      'ks',
      `ks must be a non-empty array of positive integers, got ${JSON.stringify(ks)}`,
    );
  }
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) {
      throw new MetricsInputError(
        where,
        'ks',
        `ks must contain positive integers (K ≥ 1), got ${k} in [${ks.join(', ')}]`,
      );
    }
  }
  const ties = opts.ties ?? DEFAULTS.ties;
  if (ties !== 'pessimistic' && ties !== 'optimistic') {
    throw new MetricsInputError(
      where,
      'ties',
      `ties must be 'pessimistic' or 'optimistic', got ${JSON.stringify(ties)}`,
    );
  }
  const empty = opts.imagesWithoutCaptions ?? DEFAULTS.imagesWithoutCaptions;
  if (empty !== 'error' && empty !== 'skip') {
    throw new MetricsInputError(
      where,
      'imagesWithoutCaptions',
      `imagesWithoutCaptions must be 'error' or 'skip', got ${JSON.stringify(empty)}`,
    );
  }
  // A block must stay addressable with int32 flat indices (gather) whatever the user asks for.
  const maxRows = Math.max(1, Math.floor((2 ** 31 - 1) / Math.max(1, nTexts)));
  let chunkSize: number;
  if (opts.chunkSize === undefined) {
    chunkSize = Math.max(1, Math.floor(DEFAULT_BLOCK_SCORES / Math.max(1, nTexts)));
  } else {
    if (!Number.isInteger(opts.chunkSize) || opts.chunkSize < 1) {
      throw new MetricsInputError(
        where,
        'chunkSize',
        `chunkSize must be a positive integer (image rows per block), got ${opts.chunkSize}`,
      );
    }
    chunkSize = opts.chunkSize;
  }
  chunkSize = Math.min(chunkSize, maxRows, Math.max(1, nImages));
  return {
    ks: [...new Set(ks)].sort((a, b) => a - b),
    ties,
    chunkSize,
    imagesWithoutCaptions: empty,
    normalize: opts.normalize ?? DEFAULTS.normalize,
  };
}
