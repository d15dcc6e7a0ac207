/**
 * The approximate index of the embedded store: an HNSW graph (`usearch`, native, multi-threaded build) over
 * the store's vectors, kept next to the segments and reloaded by memory-mapping it.
 *
 * Why usearch and not PGlite + pgvector for the embedded store: measured in `benchmarks/search_ann.ts` (the
 * numbers are in `benchmarks/README.md`) — PGlite is PostgreSQL compiled to wasm, one thread, and its HNSW build
 * of 20k × 512 vectors already takes minutes, while usearch builds 1 M × 512 on two cores in minutes and
 * answers in well under a millisecond. PGlite stays the test server of the PostgreSQL backend.
 *
 * Quantisation: the graph holds f16 copies of the vectors by default (half the memory, faster build, recall
 * unchanged in the benchmark); the candidates it returns are re-scored with the store's exact f32 vectors, so
 * a hit's score is always the exact cosine.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { StoreError } from '../index.js';

/** How the approximate index is built and searched. */
export interface AnnOptions {
  /** Scalar type of the vectors inside the graph (default `'f16'`; `'f32'` doubles memory, `'i8'` halves it). */
  quantization?: 'f32' | 'f16' | 'i8';
  /** Neighbours per node (HNSW M; default 16). */
  connectivity?: number;
  /** Candidate list while building (efConstruction; default 128). */
  expansionAdd?: number;
  /** Candidate list while searching (ef; default 512: recall@10 ≥ 0.95 at 1 M × 512 in the benchmark; usearch takes max(ef, candidates)). */
  expansionSearch?: number;
  /** Threads for building (default: every core). */
  threads?: number;
}

/** What `ann.json` records about the graph file. */
export interface AnnMeta {
  format: 'pir-ann';
  version: 1;
  dim: number;
  /** Rows in the graph: the store's first `rows` rows of this kind. */
  rows: number;
  quantization: 'f32' | 'f16' | 'i8';
  connectivity: number;
  expansionAdd: number;
  /** Bytes and SHA-256 of the graph file (checked before it is mapped). */
  bytes: number;
  sha256: string;
}

interface UsearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(
    vectors: Float32Array,
    k: number,
    threads: number,
  ): { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
  size(): number;
  dimensions(): number;
  save(path: string): void;
  load(path: string): void;
  view(path: string): void;
}

interface UsearchModule {
  exactSearch(
    dataset: Float32Array,
    queries: Float32Array,
    dimensions: number,
    count: number,
    metric: string,
    threads?: number,
  ): { keys: BigUint64Array; distances: Float32Array };
  Index: new (config: {
    dimensions: number;
    metric: string;
    quantization: string;
    connectivity: number;
    expansion_add: number;
    expansion_search: number;
    multi: boolean;
  }) => UsearchIndex;
}

let usearchModule: UsearchModule | undefined;

/** usearch, loaded on first use (a native addon: a store that never builds an index never loads it). */
function usearch(): UsearchModule {
  if (usearchModule !== undefined) return usearchModule;
  try {
    usearchModule = createRequire(import.meta.url)('usearch') as UsearchModule;
  } catch (e) {
    throw new StoreError(
      'ann',
      'usearch',
      `the approximate index needs the 'usearch' package (native HNSW; prebuilt for linux x64/arm64, macOS, Windows x64), which could not be loaded: ${(e as Error).message}. Reinstall @pir/search, or search exactly (--exact)`,
      { cause: e },
    );
  }
  return usearchModule;
}

/**
 * The `count` rows of `gallery` [n × dim] with the largest inner product with each query (`queries`
 * [q × dim]), by usearch's native brute force (SIMD, every core): row numbers per query, best first (fewer
 * when n < count). `undefined` when usearch cannot be loaded (the caller falls back to `exactTopK`).
 */
export function nativeExact(
  gallery: Float32Array,
  queries: Float32Array,
  dim: number,
  count: number,
): number[][] | undefined {
  let u: UsearchModule;
  try {
    u = usearch();
  } catch {
    return undefined;
  }
  const q = queries.length / dim;
  const n = gallery.length / dim;
  if (n === 0 || q === 0) return Array.from({ length: q }, () => []);
  const want = Math.min(count, n);
  // usearch 2.x's exactSearch reads a typed array from the start of its buffer, ignoring byteOffset (Index.add
  // and Index.search honour it): views that do not start their buffer are copied first
  const own = (a: Float32Array) => (a.byteOffset === 0 ? a : a.slice());
  const m = u.exactSearch(own(gallery), own(queries), dim, want, 'ip', os.availableParallelism());
  const out: number[][] = [];
  for (let i = 0; i < q; i++) {
    const rows: number[] = [];
    for (let j = 0; j < want; j++) rows.push(Number(m.keys[i * want + j]));
    out.push(rows);
  }
  return out;
}

const DEFAULTS = { quantization: 'f16', connectivity: 16, expansionAdd: 128, expansionSearch: 512 } as const;

/** An HNSW graph over the first `rows` rows of a gallery; keys are row numbers. */
export class AnnIndex {
  private constructor(
    private readonly index: UsearchIndex,
    readonly meta: Omit<AnnMeta, 'bytes' | 'sha256'>,
    /** ef while searching (usearch takes max(ef, k)). */
    readonly expansionSearch: number,
  ) {}

  private static make(dim: number, o: AnnOptions, expansionSearch: number): UsearchIndex {
    const { Index } = usearch();
    return new Index({
      dimensions: dim,
      metric: 'ip',
      quantization: o.quantization ?? DEFAULTS.quantization,
      connectivity: o.connectivity ?? DEFAULTS.connectivity,
      expansion_add: o.expansionAdd ?? DEFAULTS.expansionAdd,
      expansion_search: expansionSearch,
      multi: false,
    });
  }

  /** Rows in the graph. */
  get rows(): number {
    return this.meta.rows;
  }

  /**
   * Build a graph over `vectors` [rows × dim] (row-major), or extend `base` (a graph over the first
   * `base.rows` of them) with the rest.
   */
  static build(vectors: Float32Array, dim: number, options: AnnOptions = {}, base?: AnnIndex): AnnIndex {
    const rows = vectors.length / dim;
    const o = { ...DEFAULTS, ...(base?.meta ?? {}), ...options };
    const es = options.expansionSearch ?? DEFAULTS.expansionSearch;
    let index: UsearchIndex;
    let from = 0;
    if (base !== undefined && base.rows <= rows && base.writable) {
      index = base.index;
      from = base.rows;
    } else index = AnnIndex.make(dim, o, es);
    const threads = options.threads ?? os.availableParallelism();
    const step = 65536;
    for (let start = from; start < rows; start += step) {
      const end = Math.min(rows, start + step);
      const keys = new BigUint64Array(end - start);
      for (let i = 0; i < keys.length; i++) keys[i] = BigInt(start + i);
      index.add(keys, vectors.subarray(start * dim, end * dim), threads);
    }
    const ann = new AnnIndex(
      index,
      {
        format: 'pir-ann',
        version: 1,
        dim,
        rows,
        quantization: o.quantization,
        connectivity: o.connectivity,
        expansionAdd: o.expansionAdd,
      },
      es,
    );
    ann.writable = true;
    return ann;
  }

  /** Whether the graph is in memory (built or loaded) rather than mapped read-only from its file. */
  private writable = false;

  /**
   * Map a saved graph (checked against `meta`: size, SHA-256, dimension, row count). `load: true` reads it
   * into memory instead, so that it can be extended.
   * @throws StoreError when the file does not match its record
   */
  static async open(
    file: string,
    meta: AnnMeta,
    options: AnnOptions & { load?: boolean } = {},
  ): Promise<AnnIndex> {
    const where = 'openStore';
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat === undefined || stat.size !== meta.bytes)
      throw new StoreError(
        where,
        'ann',
        `${file} is ${stat?.size ?? 'missing'} bytes, its record says ${meta.bytes}: the approximate index is damaged; rebuild it (pir index --ann on, or store.buildIndex())`,
      );
    const sha = createHash('sha256');
    const h = await fs.open(file, 'r');
    try {
      for await (const chunk of h.createReadStream({ highWaterMark: 4 * 2 ** 20 })) sha.update(chunk);
    } finally {
      await h.close();
    }
    if (sha.digest('hex') !== meta.sha256)
      throw new StoreError(
        where,
        'ann',
        `${file} does not match its SHA-256 in ann.json: the approximate index is damaged; rebuild it (pir index --ann on)`,
      );
    const es = options.expansionSearch ?? DEFAULTS.expansionSearch;
    const index = AnnIndex.make(meta.dim, { ...meta, ...options }, es);
    if (options.load === true) index.load(file);
    else index.view(file);
    if (index.size() !== meta.rows || index.dimensions() !== meta.dim)
      throw new StoreError(
        where,
        'ann',
        `${file} holds ${index.size()} vectors of ${index.dimensions()} dimensions, its record says ${meta.rows} × ${meta.dim}: rebuild the index`,
      );
    const ann = new AnnIndex(
      index,
      {
        format: 'pir-ann',
        version: 1,
        dim: meta.dim,
        rows: meta.rows,
        quantization: meta.quantization,
        connectivity: meta.connectivity,
        expansionAdd: meta.expansionAdd,
      },
      es,
    );
    ann.writable = options.load === true;
    return ann;
  }

  /**
   * Save to `file` atomically (written aside, fsync'ed, renamed).
   * @returns the record to keep in `ann.json`
   */
  async save(file: string): Promise<AnnMeta> {
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      this.index.save(tmp);
      const h = await fs.open(tmp, 'r+');
      const sha = createHash('sha256');
      let bytes = 0;
      try {
        for await (const chunk of h.createReadStream({ highWaterMark: 4 * 2 ** 20, autoClose: false })) {
          sha.update(chunk);
          bytes += (chunk as Buffer).length;
        }
        await h.sync();
      } finally {
        await h.close();
      }
      await fs.rename(tmp, file);
      return { ...this.meta, bytes, sha256: sha.digest('hex') };
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  }

  /**
   * The `candidates` nearest rows of each query (`queries` [q × dim]) by the graph's (quantised) inner
   * product: row numbers, best first.
   */
  candidates(queries: Float32Array, candidates: number): number[][] {
    const dim = this.meta.dim;
    const q = queries.length / dim;
    const out: number[][] = [];
    if (this.rows === 0) return Array.from({ length: q }, () => []);
    const want = Math.min(candidates, this.rows);
    for (let i = 0; i < q; i++) {
      const m = this.index.search(queries.subarray(i * dim, (i + 1) * dim), want, 1);
      const rows: number[] = [];
      for (let j = 0; j < m.keys.length; j++) rows.push(Number(m.keys[j]));
      out.push(rows);
    }
    return out;
  }
}
