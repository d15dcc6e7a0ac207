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
 * ```
 *
 * A crash (SIGKILL, power loss) loses at most the batch being written, never leaves half a segment that a
 * reader would take: a reader only looks at `seg-*` folders, and checks each one's sizes and hash. Several
 * processes may add to one store at once (`--shard i/n`): segment names are random, and an id written by two
 * processes is kept once (the first segment in name order wins). Opening reads every segment into memory:
 * exact search over a few million 512-d vectors; larger archives want an approximate index or PostgreSQL.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  checkIdentity,
  exactTopK,
  type ModelIdentity,
  type SearchHit,
  StoreError,
  type StoreItem,
  type VectorStore,
} from '../index.js';

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

function isItem(x: unknown): x is StoreItem {
  const it = x as Partial<StoreItem> | null;
  if (typeof it !== 'object' || it === null || typeof it.id !== 'string' || typeof it.path !== 'string')
    return false;
  if (it.root !== undefined && typeof it.root !== 'string') return false;
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

/** The embedded {@link VectorStore} in a folder (see the module doc). Open it with {@link openFileStore}. */
export class FileStore implements VectorStore {
  private items: StoreItem[] = [];
  private readonly ids = new Map<string, number>();
  private vectors = new Float32Array(0);
  private size = 0;

  private constructor(
    /** The store's folder. */
    readonly dir: string,
    private readonly manifest: Manifest,
  ) {}

  get identity(): ModelIdentity {
    return { ...this.manifest.model };
  }

  count(): number {
    return this.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** The stored item with this id, or `undefined`. */
  get(id: string): StoreItem | undefined {
    const i = this.ids.get(id);
    return i === undefined ? undefined : this.items[i];
  }

  /** Every stored item, in store order. */
  list(): readonly StoreItem[] {
    return this.items.slice(0, this.size);
  }

  /** Open (or, with `create`, create) the store in `dir`. */
  static async open(dir: string, create?: ModelIdentity): Promise<FileStore> {
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

  /** (Re)read every committed segment (another process may have added some). */
  async load(): Promise<void> {
    const segDir = path.join(this.dir, 'segments');
    let names: string[];
    try {
      names = (await fs.readdir(segDir)).filter((n) => n.startsWith('seg-')).sort();
    } catch (e) {
      if (code(e) === 'ENOENT') names = [];
      else throw e;
    }
    this.items = [];
    this.ids.clear();
    this.size = 0;
    this.vectors = new Float32Array(0);
    const dim = this.manifest.model.dim;
    for (const name of names) {
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
      const bytes = await fs.readFile(vfile);
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== meta.sha256)
        throw new StoreError(
          'openStore',
          `${name}/vectors.f32`,
          `${vfile} does not match its SHA-256 in meta.json: the segment is damaged; delete the folder and index again`,
        );
      const items = await readJson(path.join(folder, 'items.json'), `${name}/items.json`);
      if (!Array.isArray(items) || items.length !== count || !items.every(isItem))
        throw new StoreError(
          'openStore',
          `${name}/items.json`,
          `${folder}/items.json must list ${count} items {id, path, window?}`,
        );
      const vecs = new Float32Array(bytes.buffer, bytes.byteOffset, count * dim);
      this.append(items, vecs);
    }
  }

  /** Append to memory, skipping ids already present. @returns how many were new */
  private append(items: readonly StoreItem[], vecs: Float32Array): number {
    const dim = this.manifest.model.dim;
    const keep: number[] = [];
    const seen = new Set<string>();
    items.forEach((it, i) => {
      if (!this.ids.has(it.id) && !seen.has(it.id)) {
        keep.push(i);
        seen.add(it.id);
      }
    });
    if (keep.length === 0) return 0;
    const need = (this.size + keep.length) * dim;
    if (need > this.vectors.length) {
      const grown = new Float32Array(Math.max(need, Math.ceil(this.vectors.length * 1.5)));
      grown.set(this.vectors.subarray(0, this.size * dim));
      this.vectors = grown;
    }
    for (const i of keep) {
      const it = items[i] as StoreItem;
      this.vectors.set(vecs.subarray(i * dim, (i + 1) * dim), this.size * dim);
      this.items[this.size] = it;
      this.ids.set(it.id, this.size);
      this.size++;
    }
    return keep.length;
  }

  async add(identity: ModelIdentity, items: readonly StoreItem[], vectors: Float32Array): Promise<number> {
    const where = 'FileStore.add';
    checkIdentity(where, this.manifest.model, identity);
    const dim = this.manifest.model.dim;
    if (!Array.isArray(items) || !items.every(isItem))
      throw new StoreError(where, 'items', 'expected items {id, path, window?}');
    if (!(vectors instanceof Float32Array) || vectors.length !== items.length * dim)
      throw new StoreError(
        where,
        'vectors',
        `expected a Float32Array of ${items.length} × ${dim} = ${items.length * dim} values, got ${vectors instanceof Float32Array ? vectors.length : typeof vectors}`,
      );
    const fresh = items.map((it, i) => [it, i] as const).filter(([it]) => !this.ids.has(it.id));
    if (fresh.length === 0) return 0;
    const rows = fresh.map(([it]) => it);
    const vecs = new Float32Array(fresh.length * dim);
    fresh.forEach(([, i], r) => {
      vecs.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim);
    });
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
    return this.append(rows, vecs);
  }

  async search(identity: ModelIdentity, queries: Float32Array, k: number): Promise<SearchHit[][]> {
    checkIdentity('FileStore.search', this.manifest.model, identity);
    const dim = this.manifest.model.dim;
    const top = await exactTopK(queries, this.vectors.subarray(0, this.size * dim), dim, k);
    return top.map((hits) =>
      hits.map((h, r) => ({ rank: r + 1, score: h.score, item: this.items[h.index] as StoreItem })),
    );
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

/**
 * Open the store a URI names: `file:./archive.pirdb` or a plain path (the embedded store). With `create`, a
 * missing store is created for that model and an existing one must be of it.
 * @throws StoreError for another scheme (`postgres://` is not in this release), a missing or damaged store,
 *   another model's store
 * @example
 * ```ts
 * const store = await openStore('file:./archive.pirdb', { create: identity });
 * ```
 */
export async function openStore(uri: string, options: { create?: ModelIdentity } = {}): Promise<FileStore> {
  if (typeof uri !== 'string' || uri === '')
    throw new StoreError('openStore', 'uri', 'expected a store URI (file:./archive.pirdb) or a folder');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'file' && !/^[a-z]$/i.test(scheme))
    throw new StoreError(
      'openStore',
      'uri',
      `'${scheme}:' stores are not available in this release of @pir/search (only the embedded file: store); got ${uri}`,
    );
  const dir = scheme === 'file' ? uri.replace(/^file:(\/\/)?/i, '') : uri;
  return FileStore.open(dir, options.create);
}
