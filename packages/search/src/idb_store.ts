/**
 * {@link IdbStore}: a {@link VectorStore} in the browser's IndexedDB, so that a page that embedded an archive
 * finds it again after a reload. One database per store: `meta` holds the model identity (another model is
 * refused), `items` one record per item (`{ id, kind, item, vector }`, the vector a Float32Array). A batch is
 * one IndexedDB transaction: all of it is stored or none. Opening reads every record into memory; searches
 * are exact ({@link exactTopK} on the active tfjs backend, WebGPU or wasm in a page).
 */

import { Gallery } from './gallery.js';
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
} from './index.js';

interface ItemRecord {
  id: string;
  kind: ItemKind;
  item: StoreItem;
  vector: Float32Array;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((ok, fail) => {
    tx.oncomplete = () => ok();
    tx.onabort = () => fail(tx.error ?? new Error('transaction aborted'));
    tx.onerror = () => fail(tx.error ?? new Error('transaction failed'));
  });
}

/** The {@link VectorStore} of a browser page (see the module doc). Open it with {@link openIdbStore}. */
export class IdbStore implements VectorStore {
  private readonly gallery: Gallery;

  private constructor(
    private readonly db: IDBDatabase,
    private readonly model: ModelIdentity,
    /** The IndexedDB database name. */
    readonly name: string,
  ) {
    this.gallery = new Gallery(model.dim);
  }

  get identity(): ModelIdentity {
    return { ...this.model };
  }

  /**
   * Open (or, with `create`, create) the store in IndexedDB database `name`.
   * @throws StoreError when IndexedDB is missing, the store does not exist (without `create`) or holds
   *   another model's vectors, or a record is not a store item
   */
  static async open(name: string, options: { create?: ModelIdentity } = {}): Promise<IdbStore> {
    const where = 'openIdbStore';
    if (typeof name !== 'string' || name === '')
      throw new StoreError(where, 'name', 'expected a database name, e.g. "pir-archive"');
    const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (idb === undefined)
      throw new StoreError(
        where,
        'indexedDB',
        'this runtime has no IndexedDB: use the file store of @pir/search/node in Node',
      );
    const open = idb.open(name, 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
      if (!db.objectStoreNames.contains('items')) db.createObjectStore('items', { keyPath: 'id' });
    };
    let db: IDBDatabase;
    try {
      db = await request(open);
    } catch (e) {
      throw new StoreError(
        where,
        'name',
        `cannot open IndexedDB database '${name}': ${(e as Error)?.message}`,
        {
          cause: e,
        },
      );
    }
    try {
      const c = options.create;
      const tx = db.transaction('meta', c === undefined ? 'readonly' : 'readwrite');
      const meta = tx.objectStore('meta');
      let model = (await request(meta.get('model'))) as ModelIdentity | undefined;
      if (model === undefined && c !== undefined) {
        model = { name: c.name, configHash: c.configHash, dim: c.dim };
        meta.put(model, 'model');
      }
      await done(tx);
      if (model === undefined)
        throw new StoreError(
          where,
          'name',
          `no store in IndexedDB database '${name}': index images into it first`,
        );
      if (c !== undefined) checkIdentity(where, model, c);
      const store = new IdbStore(db, model, name);
      await store.load();
      return store;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private async load(): Promise<void> {
    const tx = this.db.transaction('items', 'readonly');
    const all = (await request(tx.objectStore('items').getAll())) as ItemRecord[];
    const dim = this.model.dim;
    for (const r of all) {
      if (
        typeof r?.id !== 'string' ||
        !(r.vector instanceof Float32Array) ||
        r.vector.length !== dim ||
        typeof r.item?.path !== 'string'
      )
        throw new StoreError(
          'openIdbStore',
          'items',
          `record '${String(r?.id)}' of '${this.name}' is not a store item of dim ${dim}`,
        );
    }
    const vectors = new Float32Array(all.length * dim);
    all.forEach((r, i) => {
      vectors.set(r.vector, i * dim);
    });
    this.gallery.append(
      all.map((r) => r.item),
      vectors,
    );
  }

  async count(kind?: ItemKind): Promise<number> {
    return this.gallery.size(kind);
  }

  async missing(ids: readonly string[]): Promise<string[]> {
    return this.gallery.missing(ids);
  }

  async get(id: string): Promise<StoreItem | undefined> {
    return this.gallery.get(id);
  }

  /** A copy of an item's stored vector [dim] (to search with it), or `undefined`. */
  vector(id: string): Float32Array | undefined {
    return this.gallery.vector(id);
  }

  async add(identity: ModelIdentity, items: readonly StoreItem[], vectors: Float32Array): Promise<number> {
    const where = 'IdbStore.add';
    checkIdentity(where, this.model, identity);
    const dim = this.model.dim;
    if (
      !Array.isArray(items) ||
      items.some((it) => typeof it?.id !== 'string' || typeof it.path !== 'string')
    )
      throw new StoreError(where, 'items', 'expected items {id, path, …}');
    if (!(vectors instanceof Float32Array) || vectors.length !== items.length * dim)
      throw new StoreError(
        where,
        'vectors',
        `expected a Float32Array of ${items.length} × ${dim} = ${items.length * dim} values`,
      );
    const seen = new Set<string>();
    const fresh: { item: StoreItem; vector: Float32Array }[] = [];
    items.forEach((it, i) => {
      if (this.gallery.has(it.id) || seen.has(it.id)) return;
      seen.add(it.id);
      fresh.push({ item: it, vector: vectors.slice(i * dim, (i + 1) * dim) });
    });
    if (fresh.length === 0) return 0;
    const tx = this.db.transaction('items', 'readwrite');
    const os = tx.objectStore('items');
    for (const f of fresh)
      os.put({ id: f.item.id, kind: kindOf(f.item), item: f.item, vector: f.vector } satisfies ItemRecord);
    try {
      await done(tx);
    } catch (e) {
      throw new StoreError(
        where,
        'items',
        `the batch was not stored in '${this.name}': ${(e as Error)?.message}`,
        {
          cause: e,
        },
      );
    }
    const rows = new Float32Array(fresh.length * dim);
    fresh.forEach((f, i) => {
      rows.set(f.vector, i * dim);
    });
    return this.gallery.append(
      fresh.map((f) => f.item),
      rows,
    );
  }

  async search(
    identity: ModelIdentity,
    queries: Float32Array,
    k: number,
    options: SearchOptions = {},
  ): Promise<SearchHit[][]> {
    checkIdentity('IdbStore.search', this.model, identity);
    const part = this.gallery.part(options.kind ?? 'image', 'IdbStore.search');
    const dim = this.model.dim;
    const top = await exactTopK(queries, part.vectors.subarray(0, part.size * dim), dim, k);
    return top.map((hits) =>
      hits.map((h, r) => ({ rank: r + 1, score: h.score, item: part.items[h.index] as StoreItem })),
    );
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** Delete the store's database (closing this handle first). */
  async destroy(): Promise<void> {
    this.db.close();
    const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB as IDBFactory;
    await request(idb.deleteDatabase(this.name) as unknown as IDBRequest<unknown>);
  }
}

/**
 * Open the browser store in IndexedDB database `name` (with `create`, create it for that model).
 * @example
 * ```ts no-run
 * const store = await openIdbStore('pir-archive', { create: { name: 'pir-itr-tiny', configHash, dim: 64 } });
 * await store.add(store.identity, [{ id: 'a.png', path: 'a.png' }], vector);
 * ```
 */
export function openIdbStore(name: string, options: { create?: ModelIdentity } = {}): Promise<IdbStore> {
  return IdbStore.open(name, options);
}
