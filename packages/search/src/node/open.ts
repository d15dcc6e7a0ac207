/**
 * {@link openStore}: the store a URI names — `file:./archive.pirdb` (or a plain folder path): the embedded
 * {@link FileStore}; `postgres://…` (or `postgresql://…`): a {@link PgStore} collection.
 */
import type { ModelIdentity } from '../index.js';
import { StoreError } from '../index.js';
import { FileStore, type SearchTuning } from './file_store.js';
import { PgStore } from './pg_store.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Create the store (collection) for this model when missing; an existing one must be of it. */
  create?: ModelIdentity;
  /** How the approximate index is searched. */
  search?: SearchTuning;
  /** Connections in the pool of a `postgres://` store (default 4). */
  poolSize?: number;
}

/**
 * Open the store a URI names: `file:./archive.pirdb` or a plain path (the embedded store), or
 * `postgres://user@host:5432/db?collection=archive` (PostgreSQL + pgvector). With `create`, a missing store is
 * created for that model and an existing one must be of it.
 * @throws StoreError for another scheme, a missing or damaged store, another model's store, a server that
 *   cannot be reached or has no pgvector
 * @example
 * ```ts
 * const store = await openStore('file:./archive.pirdb', { create: identity });
 * const shared = await openStore('postgres://pir@db.internal/archive?collection=landsat');
 * ```
 */
export async function openStore(uri: string, options: OpenStoreOptions = {}): Promise<FileStore | PgStore> {
  if (typeof uri !== 'string' || uri === '')
    throw new StoreError(
      'openStore',
      'uri',
      'expected a store URI (file:./archive.pirdb, postgres://user@host/db?collection=name) or a folder',
    );
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql')
    return PgStore.open(uri, {
      ...(options.create === undefined ? {} : { create: options.create }),
      ...(options.search === undefined ? {} : { search: options.search }),
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    });
  if (scheme !== undefined && scheme !== 'file' && !/^[a-z]$/i.test(scheme))
    throw new StoreError(
      'openStore',
      'uri',
      `'${scheme}:' is not a store @pir/search knows: use file:./archive.pirdb (embedded) or postgres://user@host/db?collection=name; got ${uri}`,
    );
  const dir = scheme === 'file' ? uri.replace(/^file:(\/\/)?/i, '') : uri;
  return FileStore.open(dir, options.create, options.search);
}

/** Open an embedded store (a `file:` URI or folder) — {@link openStore} typed for the file backend. */
export async function openFileStore(uri: string, options: OpenStoreOptions = {}): Promise<FileStore> {
  if (typeof uri === 'string' && /^postgres(ql)?:/i.test(uri))
    throw new StoreError('openFileStore', 'uri', `expected an embedded store (file:…), got ${uri}`);
  const store = await openStore(uri, options);
  if (!(store instanceof FileStore)) {
    await store.close();
    throw new StoreError('openFileStore', 'uri', `expected an embedded store (file:…), got ${uri}`);
  }
  return store;
}
