/**
 * Top-k retrieval from embeddings, both ways (image → captions, caption → images), block by block so that a
 * large gallery never needs the whole similarity matrix: at most `queryChunk × galleryChunk` scores exist at
 * once (2^24 by default, 64 MiB of float32), as `@pir/metrics` bounds its blocks. Each block's top k is
 * merged into the running top k of its queries on the CPU, so memory is the inputs plus one block.
 *
 * Scores are cosine similarities (rows L2-normalised first; `normalize: false` for raw dot products). Order:
 * score descending, then gallery index ascending (ties are deterministic, whatever the backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './errors.js';

/** Row-major float32 values of a `[rows, cols]` matrix (the same shape as `@pir/metrics`' `PlainMatrix`). */
export interface EmbeddingRows {
  /** `rows × cols` values, row after row. */
  readonly data: Float32Array;
  /** `[rows, cols]`. */
  readonly shape: readonly [number, number];
}

/** Embeddings `[N, D]`: a `tf.Tensor2D` or plain rows. Inputs are never modified or disposed. */
export type EmbeddingMatrix = tf.Tensor2D | EmbeddingRows;

/** Options of {@link searchEmbeddings} and {@link retrieve}. */
export interface SearchOptions {
  /** Matches per query (default 10; fewer when the gallery is smaller). */
  k?: number;
  /** L2-normalise the rows first, so scores are cosine similarities (default `true`). */
  normalize?: boolean;
  /** Query rows per block (default: as many as fit in 2^24 scores with the gallery chunk, at least 1). */
  queryChunk?: number;
  /** Gallery rows per block (default: the whole gallery up to 2^22 rows). */
  galleryChunk?: number;
}

/**
 * The top k gallery items of every query: row `q` holds `indices[q·k … q·k + k)` and their `scores`, best
 * first (plain data: it can be posted to a worker or written to a file).
 */
export interface TopKMatches {
  /** Number of queries. */
  readonly queries: number;
  /** Matches per query (the requested k, or the gallery size when smaller). */
  readonly k: number;
  /** `[queries × k]` gallery indices (0-based), best first. */
  readonly indices: Int32Array;
  /** `[queries × k]` scores, descending. */
  readonly scores: Float32Array;
}

/** Options of {@link retrieve}. */
export interface RetrieveOptions extends SearchOptions {
  /** Which directions (default `'both'`). */
  direction?: 'both' | 'i2t' | 't2i';
}

/** What {@link retrieve} returns: the directions asked for. */
export interface RetrievalMatches {
  /** Image → captions: per image, the indices of the best captions. */
  i2t?: TopKMatches;
  /** Caption → images: per caption, the indices of the best images. */
  t2i?: TopKMatches;
}

/** Largest block, in scores. */
const BLOCK_SCORES = 2 ** 24;
/** Largest default gallery chunk, in rows. */
const GALLERY_ROWS = 2 ** 22;

function fail(where: string, argument: string, message: string): never {
  throw new ModelInputError(where, argument, message);
}

/** Shape of an embedding matrix, checked. */
function shapeOf(where: string, name: string, m: EmbeddingMatrix): [number, number] {
  if (m instanceof tf.Tensor) {
    if (m.isDisposed) fail(where, name, `${name} is a disposed tensor`);
    if (m.rank !== 2)
      fail(where, name, `${name} must be [N, D] embeddings, got shape [${m.shape.join(', ')}]`);
    if (m.dtype !== 'float32') fail(where, name, `${name} must be float32, got ${m.dtype}`);
    return [m.shape[0], m.shape[1]];
  }
  const ok =
    typeof m === 'object' &&
    m !== null &&
    m.data instanceof Float32Array &&
    Array.isArray(m.shape) &&
    m.shape.length === 2 &&
    m.shape.every((d) => Number.isInteger(d) && d >= 0);
  if (!ok) fail(where, name, `${name} must be a tf.Tensor2D or { data: Float32Array, shape: [rows, cols] }`);
  const [r, c] = m.shape;
  if (m.data.length !== r * c)
    fail(where, name, `${name}.data has ${m.data.length} values but shape [${r}, ${c}] needs ${r * c}`);
  return [r, c];
}

/** Throws naming the first NaN / ±Infinity. */
async function checkFinite(where: string, name: string, m: EmbeddingMatrix): Promise<void> {
  let values: ArrayLike<number> = (m as EmbeddingRows).data;
  if (m instanceof tf.Tensor) {
    const ok = tf.tidy(() => tf.all(tf.isFinite(m)));
    const all = (await ok.data())[0] === 1;
    ok.dispose();
    if (all) return;
    values = await m.data();
  }
  const cols = m.shape[1] || 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      const r = Math.floor(i / cols);
      fail(where, name, `${name}[${r}, ${i - r * cols}] is ${v}: embeddings must be finite`);
    }
  }
}

/** Rows [r0, r1) as a float32 tensor the caller owns, L2-normalised when asked. */
function rows(m: EmbeddingMatrix, r0: number, r1: number, normalize: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const d = m.shape[1];
    const x =
      m instanceof tf.Tensor
        ? tf.slice(m, [r0, 0], [r1 - r0, d])
        : tf.tensor2d(m.data.subarray(r0 * d, r1 * d), [r1 - r0, d], 'float32');
    if (!normalize) return x;
    return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
  });
}

function positiveInt(where: string, name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) fail(where, name, `${name} must be a positive integer, got ${v}`);
  return v;
}

/** Merge sorted (score desc, index asc) candidates into the running top k of one row. */
function better(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa > sb || (sa === sb && ia < ib);
}

async function topK(
  where: string,
  queries: EmbeddingMatrix,
  gallery: EmbeddingMatrix,
  names: [string, string],
  options: SearchOptions,
): Promise<TopKMatches> {
  const [nq, dq] = shapeOf(where, names[0], queries);
  const [ng, dg] = shapeOf(where, names[1], gallery);
  if (dq !== dg)
    fail(
      where,
      names[1],
      `${names[0]} [${nq}, ${dq}] and ${names[1]} [${ng}, ${dg}] must have the same width D`,
    );
  const kWanted = positiveInt(where, 'k', options.k, 10);
  const normalize = options.normalize ?? true;
  const gc = Math.min(
    positiveInt(where, 'galleryChunk', options.galleryChunk, GALLERY_ROWS),
    Math.max(1, ng),
  );
  const qc = Math.min(
    positiveInt(where, 'queryChunk', options.queryChunk, Math.max(1, Math.floor(BLOCK_SCORES / gc))),
    Math.max(1, nq),
  );
  await checkFinite(where, names[0], queries);
  await checkFinite(where, names[1], gallery);
  const k = Math.min(kWanted, ng);
  const indices = new Int32Array(nq * k);
  const scores = new Float32Array(nq * k);
  if (k === 0 || nq === 0) return { queries: nq, k, indices, scores };
  const singleGallery = gc >= ng ? rows(gallery, 0, ng, normalize) : undefined;
  try {
    for (let q0 = 0; q0 < nq; q0 += qc) {
      const q1 = Math.min(nq, q0 + qc);
      const b = q1 - q0;
      const q = rows(queries, q0, q1, normalize); // [b, D]
      // running top k of this block's queries: -Infinity / -1 until filled
      const bestS = new Float32Array(b * k).fill(Number.NEGATIVE_INFINITY);
      const bestI = new Int32Array(b * k).fill(-1);
      try {
        for (let g0 = 0; g0 < ng; g0 += gc) {
          const g1 = Math.min(ng, g0 + gc);
          const kk = Math.min(k, g1 - g0);
          const { values, indices: idx } = tf.tidy(() => {
            const g = singleGallery ?? rows(gallery, g0, g1, normalize);
            return tf.topk(tf.matMul(q, g, false, true), kk, true); // [b, kk]
          });
          const [vs, is] = await Promise.all([values.data(), idx.data()]);
          tf.dispose([values, idx]);
          const candS = new Float32Array(kk);
          const candI = new Int32Array(kk);
          const order = new Int32Array(kk);
          const mergedS = new Float32Array(k);
          const mergedI = new Int32Array(k);
          for (let r = 0; r < b; r++) {
            for (let j = 0; j < kk; j++) {
              candS[j] = vs[r * kk + j] as number;
              candI[j] = (is[r * kk + j] as number) + g0;
              order[j] = j;
            }
            // the backend's order among equal scores is not specified: sort them by index
            order.sort((x, y) =>
              better(candS[x] as number, candI[x] as number, candS[y] as number, candI[y] as number) ? -1 : 1,
            );
            let a = 0;
            let c = 0;
            for (let m = 0; m < k; m++) {
              const sa = bestS[r * k + a] as number;
              const ia = bestI[r * k + a] as number;
              const takeRunning =
                c >= kk ||
                (a < k &&
                  ia >= 0 &&
                  better(sa, ia, candS[order[c] as number] as number, candI[order[c] as number] as number));
              if (takeRunning) {
                mergedS[m] = sa;
                mergedI[m] = ia;
                a++;
              } else {
                mergedS[m] = candS[order[c] as number] as number;
                mergedI[m] = candI[order[c] as number] as number;
                c++;
              }
            }
            bestS.set(mergedS, r * k);
            bestI.set(mergedI, r * k);
          }
        }
      } finally {
        q.dispose();
      }
      scores.set(bestS, q0 * k);
      indices.set(bestI, q0 * k);
    }
  } finally {
    singleGallery?.dispose();
  }
  return { queries: nq, k, indices, scores };
}

/**
 * The k best gallery rows of every query row, by cosine similarity — one direction of retrieval (e.g. a
 * caption against an indexed image gallery: what a search command needs).
 * @param queries [nQueries, D] embeddings
 * @param gallery [nGallery, D] embeddings
 * @returns per query, the gallery indices and scores, best first
 * @throws ModelInputError (`where` `'searchEmbeddings'`, `argument` the input or option) for a matrix that is
 *   not [N, D] float32, widths that differ, NaN/±Infinity, a bad `k` or chunk size
 * @example
 * ```ts
 * const gallery = tf.tensor2d([[1, 0], [0, 1], [0.6, 0.8]]); // [3, 2]
 * const query = tf.tensor2d([[0, 2]]); // [1, 2]
 * const m = await searchEmbeddings(query, gallery, { k: 2 });
 * Array.from(m.indices); // [1, 2]
 * ```
 */
export async function searchEmbeddings(
  queries: EmbeddingMatrix,
  gallery: EmbeddingMatrix,
  options: SearchOptions = {},
): Promise<TopKMatches> {
  return topK('searchEmbeddings', queries, gallery, ['queries', 'gallery'], options);
}

/**
 * Top-k retrieval both ways between image and caption embeddings: `i2t` (per image, the best captions) and
 * `t2i` (per caption, the best images), with their cosine similarities.
 * @param images [nImages, D] image embeddings
 * @param texts [nTexts, D] caption embeddings
 * @param options `k`, `direction`, `normalize`, chunk sizes
 * @throws ModelInputError (`where` `'retrieve'`) naming the input or option at fault
 * @example
 * ```ts
 * const images = tf.tensor2d([[1, 0], [0, 1]]);
 * const texts = tf.tensor2d([[0.9, 0.1], [0.1, 0.9], [1, 1]]);
 * const { i2t, t2i } = await retrieve(images, texts, { k: 1 });
 * Array.from(i2t.indices); // [0, 1]
 * Array.from(t2i.indices); // [0, 1, 0]
 * ```
 */
export async function retrieve(
  images: EmbeddingMatrix,
  texts: EmbeddingMatrix,
  options: RetrieveOptions = {},
): Promise<RetrievalMatches> {
  const where = 'retrieve';
  const direction = options.direction ?? 'both';
  if (direction !== 'both' && direction !== 'i2t' && direction !== 't2i')
    fail(where, 'direction', `direction must be 'both', 'i2t' or 't2i', got ${JSON.stringify(direction)}`);
  const out: RetrievalMatches = {};
  if (direction !== 't2i') out.i2t = await topK(where, images, texts, ['images', 'texts'], options);
  if (direction !== 'i2t') out.t2i = await topK(where, texts, images, ['texts', 'images'], options);
  return out;
}

/**
 * The matches of one query as objects, best first.
 * @example
 * ```ts
 * matchesOf({ queries: 1, k: 2, indices: Int32Array.of(4, 1), scores: Float32Array.of(0.5, 0.25) }, 0);
 * // [{ index: 4, score: 0.5 }, { index: 1, score: 0.25 }]
 * ```
 */
export function matchesOf(m: TopKMatches, query: number): { index: number; score: number }[] {
  if (!Number.isInteger(query) || query < 0 || query >= m.queries)
    fail('matchesOf', 'query', `query must be an integer in [0, ${m.queries}), got ${query}`);
  const out: { index: number; score: number }[] = [];
  for (let j = 0; j < m.k; j++)
    out.push({ index: m.indices[query * m.k + j] as number, score: m.scores[query * m.k + j] as number });
  return out;
}
