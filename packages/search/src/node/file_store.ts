/**
 * The embedded store on disk (`file:` URIs): a folder, no server.
 *
 * ```
 * archive.pirdb/
 *   manifest.json              {format: 'pir-store', version: 1, model: {name, configHash, dim}} — created once,
 *                              atomically (written aside, then hard-linked into place: two writers starting
 *                              together cannot both create it)
 *   segments/seg-<hex>/        one committed batch: items.json (ids, paths, windows) + vectors.f32 (float32 LE,
 *                              items × dim) + meta.json (count, dim, SHA-256 of vectors.f32)
 *   segments/.tmp-<hex>/       a batch being written (fsync'ed, then renamed to seg-<hex>: atomic)
 *   ann.json                   optional: the approximate index — the segments it covers, in row order, and per
 *                              kind (image, caption) its graph file with size and SHA-256
 *   ann-<kind>-<hex>.usearch   an HNSW graph (usearch), written aside and fsync'ed before ann.json names it
 * ```
 *
 * A crash (SIGKILL, power loss) loses at most the batch being written, never leaves half a segment that a
 * reader would take: a reader only looks at `seg-*` folders, and checks each one's sizes and hash. Several
 * processes may add to one store at once (`--shard i/n`): segment names are random, and an id written by two
 * processes is kept once (the first segment read wins: those the approximate index covers, in its order, then
 * the rest in name order). Opening reads every segment into memory (4 bytes × dim per item: 2 GB for 1 M
 * 512-d vectors) and maps the approximate index; a store that outgrows one machine's memory wants PostgreSQL.
 *
 * The approximate index is derived data: when it is damaged, missing or older than the segments it claims,
 * the store says why ({@link FileStore.annProblem}) and searches exactly — slower, never wrong. A graph file is
 * parsed by native code: it is checked against its SHA-256 first, but a store from someone you do not trust
 * should be re-indexed (`buildIndex()` after deleting `ann.json`) rather than mapped.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Gallery, KINDS } from '../gallery.js';
import {
  checkIdentity,
  exactTopK,
  type ItemKind,
  kindOf,
  type ModelIdentity,
  type SearchHit,
  type SearchOptions,
  StoreError,
  type StoreItem,
  type VectorStore,
} from '../index.js';
import { AnnIndex, type AnnMeta, type AnnOptions, nativeExact } from './ann.js';

const FORMAT = 'pir-store';
const VERSION = 1;
/** Largest metadata file read (items.json of one segment, manifest.json): bounded memory on a hostile store. */
const MAX_JSON_BYTES = 64 * 2 ** 20;

interface Manifest {
  format: typeof FORMAT;
  version: number;
  model: ModelIdentity;
  created: string;
}

interface SegmentMeta {
  count: number;
  dim: number;
  sha256: string;
}

function code(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let stat: import('node:fs').Stats;
  try {
    stat = await fs.stat(file);
  } catch (e) {
    throw new StoreError('openStore', what, `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (stat.size > MAX_JSON_BYTES)
    throw new StoreError(
      'openStore',
      what,
      `${file} is ${stat.size} bytes, more than the ${MAX_JSON_BYTES} a store file may have: not a store written by @pir/search`,
    );
  const text = await fs.readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new StoreError('openStore', what, `${file} is not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
}

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const h = await fs.open(file, 'wx', 0o644);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch (e) {
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF'].includes(code(e) ?? '')) throw e;
  } finally {
    await h?.close();
  }
}

function isIdentity(x: unknown): x is ModelIdentity {
  const m = x as Partial<ModelIdentity> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.name === 'string' &&
    typeof m.configHash === 'string' &&
    Number.isInteger(m.dim) &&
    (m.dim as number) > 0
  );
}

/** Whether `x` is a well-formed {@link StoreItem} (untrusted metadata is checked with this). @internal */
export function isItem(x: unknown): x is StoreItem {
  const it = x as Partial<StoreItem> | null;
  if (typeof it !== 'object' || it === null || typeof it.id !== 'string' || typeof it.path !== 'string')
    return false;
  if (it.root !== undefined && typeof it.root !== 'string') return false;
  if (it.caption !== undefined && typeof it.caption !== 'string') return false;
  if (it.of !== undefined && typeof it.of !== 'string') return false;
  if (
    it.bands !== undefined &&
    !(Array.isArray(it.bands) && it.bands.every((b) => Number.isInteger(b) && b >= 0))
  )
    return false;
  if (it.bounds !== undefined) {
    const b = it.bounds as unknown as Record<string, unknown>;
    if (typeof b !== 'object' || b === null) return false;
    if (!(b.crs === null || typeof b.crs === 'string')) return false;
    if (!['minX', 'minY', 'maxX', 'maxY'].every((k) => Number.isFinite(b[k]))) return false;
  }
  if (it.window === undefined) return true;
  const w = it.window as unknown as Record<string, unknown>;
  return ['x', 'y', 'width', 'height'].every((k) => Number.isInteger(w[k]));
}

/** How a store's approximate index is searched. */
export interface SearchTuning {
  /**
   * HNSW candidate list (ef) per query: higher finds more of the exact top-k, more slowly. The embedded store's
   * default is 512 (at 1 M × 512 clustered vectors: recall@10 0.98 / 0.97 on the low-rank / isotropic mixture,
   * p50 2.5–2.7 ms on 2 cores; 256 gives 0.97 / 0.94 at 1.3–1.5 ms — `benchmarks/README.md`). PostgreSQL's
   * default is 128 (`hnsw.ef_search`; pgvector's own is 40), not measured at scale here.
   */
  expansionSearch?: number;
}

/** `ann.json`: which segments (in row order) the approximate indexes cover, and their graph files. */
interface AnnRecord {
  format: 'pir-ann-record';
  segments: string[];
  indexes: Partial<Record<ItemKind, AnnMeta & { file: string }>>;
}

/** The embedded {@link VectorStore} in a folder (see the module doc). Open it with {@link openFileStore}. */
export class FileStore implements VectorStore {
  /** The rows in memory. */
  private readonly gallery: Gallery;
  /** The approximate index of each kind that has one (over its first `index.rows` rows), and its file. */
  private ann: Partial<Record<ItemKind, { index: AnnIndex; file: string }>> = {};
  /** Segment names in row order (loaded, then added by this process). */
  private order: string[] = [];
  /** How the approximate index is searched (see {@link SearchTuning}). */
  private tuning: SearchTuning = {};
  /** Why the approximate index is not used, when it exists but cannot be (the search is then exact). */
  annProblem: string | undefined;

  private constructor(
    /** The store's folder. */
    readonly dir: string,
    private readonly manifest: Manifest,
  ) {
    this.gallery = new Gallery(manifest.model.dim);
  }

  get identity(): ModelIdentity {
    return { ...this.manifest.model };
  }

  async count(kind?: ItemKind): Promise<number> {
    return this.gallery.size(kind);
  }

  /** Items stored (of one kind, or all), synchronously. */
  size(kind?: ItemKind): number {
    return this.gallery.size(kind);
  }

  /** Whether an item with this id is stored. */
  has(id: string): boolean {
    return this.gallery.has(id);
  }

  async missing(ids: readonly string[]): Promise<string[]> {
    return this.gallery.missing(ids);
  }

  async get(id: string): Promise<StoreItem | undefined> {
    return this.gallery.get(id);
  }

  /** A copy of the stored vector [dim] of an item (to search with it: an image's nearest images), or `undefined`. */
  vector(id: string): Float32Array | undefined {
    return this.gallery.vector(id);
  }

  /** Every stored item of one kind (default images), in store order. */
  list(kind: ItemKind = 'image'): readonly StoreItem[] {
    return this.gallery.list(kind);
  }

  /** Rows covered by the approximate index, per kind (0 where there is none). */
  indexed(): Record<ItemKind, number> {
    return { image: this.ann.image?.index.rows ?? 0, caption: this.ann.caption?.index.rows ?? 0 };
  }

  /** Open (or, with `create`, create) the store in `dir`. */
  static async open(dir: string, create?: ModelIdentity, search: SearchTuning = {}): Promise<FileStore> {
    const where = 'openStore';
    const root = path.resolve(dir);
    const manifestFile = path.join(root, 'manifest.json');
    let exists = true;
    try {
      await fs.access(manifestFile);
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e;
      exists = false;
    }
    let raw: unknown;
    if (exists) raw = await readJson(manifestFile, 'manifest.json');
    else if (create === undefined)
      throw new StoreError(
        where,
        'store',
        `no store at ${root} (no manifest.json): index images into it first (pir index … --store file:${dir})`,
      );
    else raw = await FileStore.create(root, create);
    const m = raw as Partial<Manifest>;
    if (m?.format !== FORMAT || !isIdentity(m.model))
      throw new StoreError(
        where,
        'manifest.json',
        `${manifestFile} is not a @pir/search store manifest (expected format '${FORMAT}' and a model {name, configHash, dim})`,
      );
    if (m.version !== VERSION)
      throw new StoreError(
        where,
        'manifest.json',
        `${manifestFile} has store version ${m.version}; this @pir/search reads version ${VERSION}`,
      );
    if (create !== undefined) checkIdentity(where, m.model, create);
    const store = new FileStore(root, m as Manifest);
    store.tuning = { ...search };
    await store.load();
    return store;
  }

  private static async create(root: string, identity: ModelIdentity): Promise<Manifest> {
    if (!isIdentity(identity))
      throw new StoreError('openStore', 'identity', 'expected a model identity {name, configHash, dim}');
    await fs.mkdir(path.join(root, 'segments'), { recursive: true });
    const manifest: Manifest = {
      format: FORMAT,
      version: VERSION,
      model: identity,
      created: new Date().toISOString(),
    };
    const tmp = path.join(root, `.manifest-${randomBytes(6).toString('hex')}.tmp`);
    await writeSynced(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await fs.link(tmp, path.join(root, 'manifest.json')); // fails if another writer created it first
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    } finally {
      await fs.rm(tmp, { force: true });
    }
    await syncDir(root);
    return (await readJson(path.join(root, 'manifest.json'), 'manifest.json')) as Manifest;
  }

  /**
   * (Re)read every committed segment (another process may have added some), and map the approximate index
   * where `ann.json` describes one that covers what was read (the segments it covers are read first, in its
   * order, so that its row numbers are the store's).
   */
  async load(): Promise<void> {
    await this.close();
    const segDir = path.join(this.dir, 'segments');
    let names: string[];
    try {
      names = (await fs.readdir(segDir)).filter((n) => n.startsWith('seg-')).sort();
    } catch (e) {
      if (code(e) === 'ENOENT') names = [];
      else throw e;
    }
    this.gallery.clear();
    this.order = [];
    this.annProblem = undefined;
    const record = await this.readAnnRecord();
    let covered: string[] = [];
    if (record !== undefined) {
      const present = new Set(names);
      const gone = record.segments.filter((n) => !present.has(n));
      if (gone.length > 0)
        this.annProblem = `the approximate index covers ${gone.length} segment(s) that are gone (${gone[0]}…); searching exactly until it is rebuilt (pir index --ann on)`;
      else covered = record.segments;
    }
    const coveredSet = new Set(covered);
    const rest = names.filter((n) => !coveredSet.has(n));
    // every meta first: the image rows are allocated once, at their final size
    const metas = new Map<string, SegmentMeta>();
    for (const name of [...covered, ...rest]) metas.set(name, await this.readMeta(segDir, name));
    this.gallery.reserve(
      'image',
      [...metas.values()].reduce((a, m) => a + m.count, 0),
    );
    for (const name of covered) await this.readSegment(segDir, name, metas.get(name) as SegmentMeta);
    if (record !== undefined && this.annProblem === undefined) await this.openAnn(record);
    for (const name of rest) await this.readSegment(segDir, name, metas.get(name) as SegmentMeta);
  }

  private async readAnnRecord(): Promise<AnnRecord | undefined> {
    const file = path.join(this.dir, 'ann.json');
    const st = await fs.stat(file).catch(() => undefined);
    if (st === undefined) return undefined;
    const raw = (await readJson(file, 'ann.json')) as Partial<AnnRecord>;
    if (
      raw?.format !== 'pir-ann-record' ||
      !Array.isArray(raw.segments) ||
      !raw.segments.every((n) => typeof n === 'string' && /^seg-[0-9a-f-]+$/.test(n)) ||
      typeof raw.indexes !== 'object' ||
      raw.indexes === null
    ) {
      this.annProblem = `${file} is not an approximate-index record of @pir/search; searching exactly until it is rebuilt (pir index --ann on)`;
      return undefined;
    }
    return raw as AnnRecord;
  }

  private async openAnn(record: AnnRecord): Promise<void> {
    const dim = this.manifest.model.dim;
    for (const kind of KINDS) {
      const meta = record.indexes[kind];
      if (meta === undefined) continue;
      const part = this.gallery.parts[kind];
      const bad = (why: string) => {
        this.annProblem = `the approximate ${kind} index is not used: ${why}; searching exactly until it is rebuilt (pir index --ann on)`;
      };
      if (typeof meta.file !== 'string' || !/^ann-[a-z]+-[0-9a-f]+\.usearch$/.test(meta.file)) {
        bad('ann.json names no valid graph file');
        continue;
      }
      if (meta.dim !== dim || meta.rows !== part.size) {
        bad(`it holds ${meta.rows} × ${meta.dim} rows, the segments it covers ${part.size} × ${dim}`);
        continue;
      }
      const file = path.join(this.dir, meta.file);
      try {
        this.ann[kind] = { index: await AnnIndex.open(file, meta, this.tuning), file };
      } catch (e) {
        bad((e as Error).message);
      }
    }
  }

  /** A segment's meta.json, checked (count, dim, hash) and its vector file's size. */
  private async readMeta(segDir: string, name: string): Promise<SegmentMeta> {
    const dim = this.manifest.model.dim;
    const folder = path.join(segDir, name);
    const meta = (await readJson(
      path.join(folder, 'meta.json'),
      `${name}/meta.json`,
    )) as Partial<SegmentMeta>;
    if (!Number.isInteger(meta.count) || meta.dim !== dim || typeof meta.sha256 !== 'string')
      throw new StoreError(
        'openStore',
        `${name}/meta.json`,
        `segment ${folder} is damaged or of another model (meta ${JSON.stringify(meta).slice(0, 200)}, store dim ${dim})`,
      );
    const count = meta.count as number;
    const vfile = path.join(folder, 'vectors.f32');
    const stat = await fs.stat(vfile);
    if (stat.size !== count * dim * 4)
      throw new StoreError(
        'openStore',
        `${name}/vectors.f32`,
        `${vfile} has ${stat.size} bytes, expected ${count} × ${dim} × 4 = ${count * dim * 4}: the segment is damaged; delete the folder and index again (the indexer adds what is missing)`,
      );
    return meta as SegmentMeta;
  }

  /**
   * Read one segment. The common case — every item a new image — reads the vector file straight into the
   * image rows (no second copy: at 1 M × 512 the copies, not the disk, were what opening waited for).
   */
  private async readSegment(segDir: string, name: string, meta: SegmentMeta): Promise<void> {
    const dim = this.manifest.model.dim;
    const folder = path.join(segDir, name);
    const count = meta.count;
    const vfile = path.join(folder, 'vectors.f32');
    const items = await readJson(path.join(folder, 'items.json'), `${name}/items.json`);
    if (!Array.isArray(items) || items.length !== count || !items.every(isItem))
      throw new StoreError(
        'openStore',
        `${name}/items.json`,
        `${folder}/items.json must list ${count} items {id, path, window?, caption?}`,
      );
    const seen = new Set<string>();
    const direct = items.every((it) => {
      if (kindOf(it) !== 'image' || this.gallery.has(it.id) || seen.has(it.id)) return false;
      seen.add(it.id);
      return true;
    });
    const part = this.gallery.parts.image;
    let target: Float32Array;
    if (direct) {
      this.gallery.reserve('image', count);
      target = part.vectors.subarray(part.size * dim, (part.size + count) * dim);
    } else target = new Float32Array(count * dim);
    const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
    const h = await fs.open(vfile, 'r');
    try {
      for (let off = 0; off < bytes.length; ) {
        const { bytesRead } = await h.read(bytes, off, Math.min(bytes.length - off, 64 * 2 ** 20), off);
        if (bytesRead === 0)
          throw new StoreError(
            'openStore',
            `${name}/vectors.f32`,
            `${vfile} ended early: the segment is damaged`,
          );
        off += bytesRead;
      }
    } finally {
      await h.close();
    }
    if (createHash('sha256').update(bytes).digest('hex') !== meta.sha256)
      throw new StoreError(
        'openStore',
        `${name}/vectors.f32`,
        `${vfile} does not match its SHA-256 in meta.json: the segment is damaged; delete the folder and index again`,
      );
    if (direct) this.gallery.claim('image', items);
    else this.gallery.append(items, target);
    this.order.push(name);
  }

  async add(identity: ModelIdentity, items: readonly StoreItem[], vectors: Float32Array): Promise<number> {
    const where = 'FileStore.add';
    checkIdentity(where, this.manifest.model, identity);
    const dim = this.manifest.model.dim;
    if (!Array.isArray(items) || !items.every(isItem))
      throw new StoreError(where, 'items', 'expected items {id, path, window?, caption?}');
    if (!(vectors instanceof Float32Array) || vectors.length !== items.length * dim)
      throw new StoreError(
        where,
        'vectors',
        `expected a Float32Array of ${items.length} × ${dim} = ${items.length * dim} values, got ${vectors instanceof Float32Array ? vectors.length : typeof vectors}`,
      );
    const seen = new Set<string>();
    const fresh = items
      .map((it, i) => [it, i] as const)
      .filter(([it]) => {
        if (this.gallery.has(it.id) || seen.has(it.id)) return false;
        seen.add(it.id);
        return true;
      });
    if (fresh.length === 0) return 0;
    const rows = fresh.map(([it]) => it);
    let vecs = vectors;
    if (fresh.length < items.length) {
      vecs = new Float32Array(fresh.length * dim);
      fresh.forEach(([, i], r) => {
        vecs.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim);
      });
    }
    const bytes = new Uint8Array(vecs.buffer, vecs.byteOffset, vecs.byteLength);
    const tag = `${Date.now().toString(16).padStart(12, '0')}-${randomBytes(8).toString('hex')}`;
    const segDir = path.join(this.dir, 'segments');
    await fs.mkdir(segDir, { recursive: true });
    const tmp = path.join(segDir, `.tmp-${tag}`);
    await fs.mkdir(tmp);
    try {
      await writeSynced(path.join(tmp, 'vectors.f32'), bytes);
      await writeSynced(path.join(tmp, 'items.json'), JSON.stringify(rows));
      const meta: SegmentMeta = {
        count: rows.length,
        dim,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
      await writeSynced(path.join(tmp, 'meta.json'), JSON.stringify(meta));
      await syncDir(tmp);
      await fs.rename(tmp, path.join(segDir, `seg-${tag}`));
      await syncDir(segDir);
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
    this.order.push(`seg-${tag}`);
    return this.gallery.append(rows, vecs);
  }

  /**
   * Ranked items of one kind. With an approximate index: its candidates (2k, at least k + 16) over the rows it
   * covers and a brute force over the rows added since it was built; without one (or `exact`): a brute force
   * over every row (usearch's native one, else `exactTopK`). The candidates are re-scored with the exact
   * vectors: scores are always the exact cosine.
   */
  async search(
    identity: ModelIdentity,
    queries: Float32Array,
    k: number,
    options: SearchOptions = {},
  ): Promise<SearchHit[][]> {
    const where = 'FileStore.search';
    checkIdentity(where, this.manifest.model, identity);
    const kind = options.kind ?? 'image';
    const part = this.gallery.part(kind, where);
    const dim = this.manifest.model.dim;
    if (!Number.isInteger(k) || k < 1) throw new StoreError(where, 'k', `k must be an integer ≥ 1, got ${k}`);
    if (!(queries instanceof Float32Array) || queries.length % dim !== 0)
      throw new StoreError(where, 'queries', `expected a Float32Array of q × ${dim} values`);
    const ann = options.exact === true ? undefined : this.ann[kind]?.index;
    const from = ann?.rows ?? 0;
    const q = queries.length / dim;
    // candidates: the graph's over the rows it covers, a brute force over the rest (native, else tfjs)
    const want = Math.max(2 * k, k + 16);
    const tail = part.vectors.subarray(from * dim, part.size * dim);
    const exactRows =
      nativeExact(tail, queries, dim, want) ??
      (await exactTopK(queries, tail, dim, want)).map((hits) => hits.map((h) => h.index));
    const graphRows = ann?.candidates(queries, want);
    // re-scored here with the exact vectors: every hit's score is its exact cosine (float64 sum, rounded once)
    const top: { index: number; score: number }[][] = [];
    for (let qi = 0; qi < q; qi++) {
      const qv = queries.subarray(qi * dim, (qi + 1) * dim);
      const rows = new Set<number>((exactRows[qi] ?? []).map((r) => r + from));
      for (const r of graphRows?.[qi] ?? []) rows.add(r);
      const scored = [...rows].map((r) => {
        let s = 0;
        const off = r * dim;
        for (let j = 0; j < dim; j++) s += (qv[j] as number) * (part.vectors[off + j] as number);
        return { index: r, score: Math.fround(s) };
      });
      scored.sort((a, b) => b.score - a.score || a.index - b.index);
      top.push(scored.slice(0, k));
    }
    return top.map((hits) =>
      hits.map((h, r) => ({ rank: r + 1, score: h.score, item: part.items[h.index] as StoreItem })),
    );
  }

  /**
   * Build (or extend) the approximate index of each kind over every stored row, save it next to the segments
   * (atomically: the graph under a new name, then `ann.json` renamed over the old record), and use it.
   * Extending an index re-reads it into memory and adds the rows stored since.
   * @returns rows indexed per kind and the seconds it took
   */
  async buildIndex(options: AnnOptions = {}): Promise<{ rows: Record<ItemKind, number>; seconds: number }> {
    const t0 = performance.now();
    const dim = this.manifest.model.dim;
    const record: AnnRecord = { format: 'pir-ann-record', segments: [...this.order], indexes: {} };
    const made: string[] = [];
    try {
      for (const kind of KINDS) {
        const part = this.gallery.parts[kind];
        if (part.size === 0) continue;
        let base: AnnIndex | undefined;
        const had = this.ann[kind];
        if (had !== undefined && had.index.rows <= part.size) {
          const old = await this.readAnnRecord();
          const meta = old?.indexes[kind];
          if (meta !== undefined && had.index.rows === meta.rows)
            base = await AnnIndex.open(had.file, meta, { ...options, load: true }).catch(() => undefined);
        }
        const ann =
          base !== undefined && base.rows === part.size
            ? base
            : AnnIndex.build(part.vectors.subarray(0, part.size * dim), dim, options, base);
        const file = `ann-${kind}-${randomBytes(6).toString('hex')}.usearch`;
        const meta = await ann.save(path.join(this.dir, file));
        made.push(file);
        record.indexes[kind] = { ...meta, file };
        this.ann[kind] = { index: ann, file: path.join(this.dir, file) };
      }
      const tmp = path.join(this.dir, `.ann-${randomBytes(6).toString('hex')}.tmp`);
      await writeSynced(tmp, `${JSON.stringify(record, null, 2)}\n`);
      await fs.rename(tmp, path.join(this.dir, 'ann.json'));
      await syncDir(this.dir);
    } catch (e) {
      for (const f of made) await fs.rm(path.join(this.dir, f), { force: true });
      throw e;
    }
    // graph files no record names any more (readers that mapped one keep their mapping)
    for (const n of await fs.readdir(this.dir)) {
      if (/^ann-[a-z]+-[0-9a-f]+\.usearch$/.test(n) && !made.includes(n))
        await fs.rm(path.join(this.dir, n), { force: true });
    }
    this.annProblem = undefined;
    return { rows: this.indexed(), seconds: (performance.now() - t0) / 1000 };
  }

  async close(): Promise<void> {
    this.ann = {};
  }

  /** Remove leftovers of crashed writers (`.tmp-*` folders older than `olderThanMs`, default 1 hour). */
  async clean(olderThanMs = 3_600_000): Promise<number> {
    const segDir = path.join(this.dir, 'segments');
    let removed = 0;
    for (const n of await fs.readdir(segDir).catch(() => [] as string[])) {
      if (!n.startsWith('.tmp-')) continue;
      const st = await fs.stat(path.join(segDir, n)).catch(() => undefined);
      if (st !== undefined && Date.now() - st.mtimeMs > olderThanMs) {
        await fs.rm(path.join(segDir, n), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
