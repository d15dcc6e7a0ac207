/**
 * The naive reference the tests compare against, written independently of the package: the full similarity
 * matrix in plain JS, then one full sort of the gallery per query, the way the published evaluation code does
 * it (numpy argsort per row). Ties are ordered by the tie policy: pessimistic puts negatives before positives
 * among equal scores, optimistic puts positives first; remaining ties by gallery index.
 */

export type Ties = 'pessimistic' | 'optimistic';

/** Row-major [rows, cols] scores of a · bᵀ (float64), optionally with L2-normalised rows. */
export function naiveSimilarity(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rows: number,
  cols: number,
  dim: number,
  normalize: boolean,
): Float64Array {
  const unit = (x: ArrayLike<number>, n: number): Float64Array => {
    const out = Float64Array.from(x);
    if (!normalize) return out;
    for (let r = 0; r < n; r++) {
      let ss = 0;
      for (let d = 0; d < dim; d++) ss += out[r * dim + d] ** 2;
      const norm = Math.max(Math.sqrt(ss), 1e-12);
      for (let d = 0; d < dim; d++) out[r * dim + d] /= norm;
    }
    return out;
  };
  const A = unit(a, rows);
  const B = unit(b, cols);
  const sim = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += A[i * dim + d] * B[j * dim + d];
      sim[i * cols + j] = s;
    }
  }
  return sim;
}

/** Gallery indices sorted best first; `isPositive` orders equal scores by the tie policy. */
function sortGallery(
  score: (g: number) => number,
  n: number,
  isPositive: (g: number) => boolean,
  ties: Ties,
) {
  const order = Array.from({ length: n }, (_, g) => g);
  order.sort((x, y) => {
    const d = score(y) - score(x);
    if (d !== 0) return d;
    const px = isPositive(x) ? 1 : 0;
    const py = isPositive(y) ? 1 : 0;
    if (px !== py) return ties === 'pessimistic' ? px - py : py - px;
    return x - y;
  });
  return order;
}

export interface NaiveRanks {
  /** per image: best 1-based rank of its captions (0 if it has none) */
  i2t: number[];
  /** per image: the caption at that rank (−1 if none) */
  bestCaption: number[];
  /** per caption: 1-based rank of its image */
  t2i: number[];
}

/** Ranks by sorting every query's gallery. `sim` is row-major [nImages, nTexts]. */
export function naiveRanks(
  sim: ArrayLike<number>,
  nImages: number,
  nTexts: number,
  captionToImage: ArrayLike<number>,
  ties: Ties = 'pessimistic',
): NaiveRanks {
  const i2t: number[] = [];
  const bestCaption: number[] = [];
  for (let i = 0; i < nImages; i++) {
    const order = sortGallery(
      (t) => sim[i * nTexts + t],
      nTexts,
      (t) => captionToImage[t] === i,
      ties,
    );
    const at = order.findIndex((t) => captionToImage[t] === i);
    i2t.push(at < 0 ? 0 : at + 1);
    bestCaption.push(at < 0 ? -1 : order[at]);
  }
  const t2i: number[] = [];
  for (let t = 0; t < nTexts; t++) {
    const own = captionToImage[t];
    const order = sortGallery(
      (i) => sim[i * nTexts + t],
      nImages,
      (i) => i === own,
      ties,
    );
    t2i.push(order.indexOf(own) + 1);
  }
  return { i2t, bestCaption, t2i };
}

/** R@K in percent over the non-zero ranks. */
export function naiveRecall(ranks: number[], k: number): number {
  const used = ranks.filter((r) => r > 0);
  return (100 * used.filter((r) => r <= k).length) / used.length;
}

/** Median of the non-zero ranks (mean of the middle two for an even count). */
export function naiveMedian(ranks: number[]): number {
  const used = ranks.filter((r) => r > 0).sort((a, b) => a - b);
  const n = used.length;
  return n % 2 ? used[(n - 1) / 2] : (used[n / 2 - 1] + used[n / 2]) / 2;
}
