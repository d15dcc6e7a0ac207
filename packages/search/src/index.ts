/**
 * `@pir/search` — search an archive of remote sensing images with a PIR model.
 *
 * - {@link ModelIdentity}: which model made a store's vectors (name, configuration hash, embedding width);
 *   adding or querying with another model is refused ({@link StoreError}).
 * - {@link StoreItem} / {@link SearchHit}: what a store holds per image (path, pixel window of a tile) and
 *   what a query returns.
 * - {@link exactTopK}: exact inner-product top-k of queries against a gallery, in chunks (bounded memory).
 * - {@link VectorStore}: the interface every backend implements; `@pir/search/node` has the embedded one on
 *   disk (`openStore('file:./archive.pirdb')`), the indexer and the text search.
 * - {@link IdbStore}: the store of a browser page, in IndexedDB (a reload finds the archive again).
 *
 * This entry is backend-agnostic (browser-safe): it imports `@tensorflow/tfjs-core` and `@pir/runtime` only.
 */
import { PirError } from '@pir/runtime/errors';
import * as tf from '@tensorflow/tfjs-core';

/** Which model made a store's vectors. Two identities match when all three fields are equal. */
export interface ModelIdentity {
  /** The configuration's name (`pir-itr-tiny`, …). */
  name: string;
  /** `modelConfigHash` of the configuration (`RetrievalModel.configHash`). */
  configHash: string;
  /** D of the embeddings. */
  dim: number;
}

/** A tile's pixel window in its source image: columns `[x, x + width)`, rows `[y, y + height)`. */
export interface PixelWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where a tile lies on the ground: a box in the scene's coordinate reference system. */
export interface GeoBounds {
  /** `EPSG:<code>` from the GeoTIFF's keys (projected, else geographic), or null when the file names none. */
  crs: string | null;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** One indexed image (or tile). */
export interface StoreItem {
  /** Unique key: the path relative to the indexed root, plus `#x,y,w,h` for a tile. */
  id: string;
  /** The file, relative to the indexed folder. */
  path: string;
  /** The indexed folder (absolute, as the indexing machine saw it): `root/path` is the file. */
  root?: string;
  /** The tile's window; absent for a whole image. */
  window?: PixelWindow;
  /** The tile's (or image's) box on the ground, from the GeoTIFF's georeferencing. */
  bounds?: GeoBounds;
  /** The GeoTIFF bands composed as RGB when the tile was indexed (0-based). */
  bands?: number[];
  /**
   * The text, when the item is a caption rather than an image (`path` is then its annotation file, `id`
   * `file#n`). A store may hold both; searches ask for one kind ({@link SearchOptions.kind}).
   */
  caption?: string;
  /** For a caption from an annotation file: the image file it was written for. */
  of?: string;
}

/** What a store item is: an image (or tile) or a caption. */
export type ItemKind = 'image' | 'caption';

/** The kind of a stored item. */
export function kindOf(item: StoreItem): ItemKind {
  return item.caption === undefined ? 'image' : 'caption';
}

/** How {@link VectorStore.search} searches. */
export interface SearchOptions {
  /** Which items to rank (default `'image'`). */
  kind?: ItemKind;
  /** Exact search even where the store has an approximate index (default false). */
  exact?: boolean;
}

/** One result of a query. */
export interface SearchHit {
  /** 1-based rank. */
  rank: number;
  /** Inner product of the L2-normalised embeddings (cosine similarity). */
  score: number;
  item: StoreItem;
}

/** Thrown for a store that cannot be used as asked: another model's vectors, a damaged file, a bad URI. */
export class StoreError extends PirError {
  constructor(where: string, argument: string, message: string, options?: { cause?: unknown }) {
    super(where, argument, message, options);
    this.name = 'StoreError';
  }
}

/**
 * Throws a {@link StoreError} unless `got` equals `expected`, naming what differs and what to do.
 * @param where e.g. `'pir search'`
 */
export function checkIdentity(where: string, expected: ModelIdentity, got: ModelIdentity): void {
  const diffs = (['name', 'configHash', 'dim'] as const).filter((k) => expected[k] !== got[k]);
  if (diffs.length === 0) return;
  throw new StoreError(
    where,
    'model',
    `the store holds vectors of model '${expected.name}' (config ${expected.configHash}, ${expected.dim}-d) but this is '${got.name}' (config ${got.configHash}, ${got.dim}-d): ${diffs.join(', ')} differ. Query it with the model that built it, or index into a new store`,
  );
}

/** A vector store: items with one L2-normalised embedding each, made by one model. */
export interface VectorStore {
  /** The model whose vectors the store holds (`undefined` while empty and unclaimed). */
  readonly identity: ModelIdentity | undefined;
  /** Items stored (of one kind, or all). */
  count(kind?: ItemKind): Promise<number>;
  /** The ids among `ids` that the store does not hold (in the given order). */
  missing(ids: readonly string[]): Promise<string[]>;
  /** The stored item with this id, or `undefined`. */
  get(id: string): Promise<StoreItem | undefined>;
  /**
   * Add items and their vectors (`vectors` [items.length × dim], row-major) as one atomic unit: after a crash
   * either all of them are stored or none. Items whose id is already stored are skipped.
   * @returns how many were added
   */
  add(identity: ModelIdentity, items: readonly StoreItem[], vectors: Float32Array): Promise<number>;
  /**
   * The `k` items (of `options.kind`, images by default) most similar to each query (`queries` [q × dim]).
   * @returns one ranked list per query
   */
  search(
    identity: ModelIdentity,
    queries: Float32Array,
    k: number,
    options?: SearchOptions,
  ): Promise<SearchHit[][]>;
  /** Release connections and mapped files. The store cannot be used afterwards. */
  close(): Promise<void>;
}

/**
 * Exact top-k by inner product: `queries` [q × d] against `gallery` [n × d] (row-major), the gallery taken
 * `chunk` rows at a time (memory: q × chunk scores, not q × n), the running best k merged after each chunk.
 * Ties keep the lower index first.
 * @returns per query, `k` (or n) `{ index, score }` by decreasing score
 * @example
 * ```ts
 * const top = await exactTopK(new Float32Array([1, 0]), new Float32Array([0, 1, 1, 0, 0.6, 0.8]), 2, 2);
 * top[0]?.map((h) => h.index); // [1, 2]
 * ```
 */
export async function exactTopK(
  queries: Float32Array,
  gallery: Float32Array,
  dim: number,
  k: number,
  chunk = 65536,
): Promise<{ index: number; score: number }[][]> {
  const where = 'exactTopK';
  if (!Number.isInteger(dim) || dim < 1)
    throw new StoreError(where, 'dim', `dim must be an integer ≥ 1, got ${dim}`);
  if (!Number.isInteger(k) || k < 1) throw new StoreError(where, 'k', `k must be an integer ≥ 1, got ${k}`);
  if (queries.length % dim !== 0 || gallery.length % dim !== 0)
    throw new StoreError(
      where,
      'queries',
      `lengths ${queries.length} (queries) and ${gallery.length} (gallery) must be multiples of dim ${dim}`,
    );
  const q = queries.length / dim;
  const n = gallery.length / dim;
  const best: { index: number; score: number }[][] = Array.from({ length: q }, () => []);
  if (q === 0 || n === 0) return best;
  const qt = tf.tensor2d(queries, [q, dim]);
  try {
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const kk = Math.min(k, rows);
      const [values, indices] = tf.tidy(() => {
        const g = tf.tensor2d(gallery.subarray(start * dim, (start + rows) * dim), [rows, dim]);
        const r = tf.topk(tf.matMul(qt, g, false, true), kk, true); // [q, kk]
        return [r.values, r.indices];
      });
      const [v, ix] = await Promise.all([values.data(), indices.data()]);
      tf.dispose([values, indices]);
      for (let i = 0; i < q; i++) {
        const merged = best[i] as { index: number; score: number }[];
        for (let j = 0; j < kk; j++)
          merged.push({ index: start + (ix[i * kk + j] as number), score: v[i * kk + j] as number });
        merged.sort((a, b) => b.score - a.score || a.index - b.index);
        merged.length = Math.min(merged.length, k);
      }
    }
  } finally {
    qt.dispose();
  }
  return best;
}

export {
  type BeliefGrid,
  beliefGrids,
  identityOf,
  imageBatch,
  imageVector,
  imageVectors,
  modelImageSize,
  searchTexts,
} from './embed.js';
export { IdbStore, openIdbStore } from './idb_store.js';
