/**
 * The PostgreSQL + pgvector store (`postgres://` URIs), for archives that outgrow one machine's memory or that
 * many processes and machines index and query at once. Through the standard `pg` client and a connection pool.
 *
 * ```
 * pir_collections            name text PRIMARY KEY, model_name, config_hash, dim, created — which model made
 *                            each collection's vectors (checked on every open; another model is refused)
 * pir_<collection>           id text PRIMARY KEY, kind text ('image' | 'caption'), item jsonb (path, window,
 *                            bounds, caption…), embedding vector(dim)
 *   pir_<collection>_image_hnsw, pir_<collection>_caption_hnsw
 *                            HNSW indexes (vector_ip_ops, m 16, ef_construction 128), one per kind (partial),
 *                            made by buildIndex() — build them after a bulk load, as pgvector advises
 * ```
 *
 * The URI names the collection: `postgres://user@host:5432/db?collection=archive` (default `pir`). A batch is
 * added in one transaction (multi-row `INSERT … ON CONFLICT (id) DO NOTHING`, ≤ 1,000 rows per statement):
 * after a crash all of it is stored or none, and an id added twice (two shards, a rerun) is stored once.
 * Searches order by pgvector's negative inner product (`<#>`), one kind at a time, with `hnsw.ef_search` set
 * per query (`SET LOCAL`); without the index PostgreSQL scans exactly. Scaling beyond one server: see the
 * package README (read replicas for query load, Citus or a managed PostgreSQL for sharding).
 */
import type { Pool, PoolClient } from 'pg';
import {
  checkIdentity,
  type ItemKind,
  kindOf,
  type ModelIdentity,
  type SearchHit,
  type SearchOptions,
  StoreError,
  type StoreItem,
  type VectorStore,
} from '../index.js';
import { isItem, type SearchTuning } from './file_store.js';

/** Options of {@link PgStore.open}. */
export interface PgStoreOptions {
  /** Create the collection for this model when it does not exist (and check it when it does). */
  create?: ModelIdentity;
  /** HNSW search tuning (`expansionSearch` → `hnsw.ef_search`, default 128). */
  search?: SearchTuning;
  /** Connections in the pool (default 4). */
  poolSize?: number;
}

const KINDS: readonly ItemKind[] = ['image', 'caption'];
/** Rows per INSERT statement (4 parameters each: PostgreSQL allows 65,535). */
const ROWS_PER_STATEMENT = 1000;

/** `postgres://user:secret@host/db` → `postgres://user@host/db` (for messages). */
function redact(uri: string): string {
  try {
    const u = new URL(uri);
    u.password = '';
    return u.toString();
  } catch {
    return 'the PostgreSQL URI';
  }
}

/** A float32 vector as pgvector's text form; `String` gives each float32 back exactly. */
function literal(v: Float32Array): string {
  let s = '[';
  for (let j = 0; j < v.length; j++) s += (j === 0 ? '' : ',') + String(v[j]);
  return `${s}]`;
}

/** The {@link VectorStore} in a PostgreSQL database with pgvector (see the module doc). */
export class PgStore implements VectorStore {
  private constructor(
    private readonly pool: Pool,
    /** The collection (table `pir_<name>`). */
    readonly collection: string,
    private readonly model: ModelIdentity,
    /** The URI without its password. */
    readonly where: string,
    private readonly ef: number,
  ) {}

  get identity(): ModelIdentity {
    return { ...this.model };
  }

  private get table(): string {
    return `"pir_${this.collection}"`;
  }

  /**
   * Connect, check pgvector, and open (or, with `create`, create) the URI's collection.
   * @throws StoreError when the server cannot be reached, pgvector is missing, the collection does not exist
   *   (without `create`) or holds another model's vectors
   */
  static async open(uri: string, options: PgStoreOptions = {}): Promise<PgStore> {
    const where = 'openStore';
    let url: URL;
    try {
      url = new URL(uri);
    } catch (e) {
      throw new StoreError(where, 'uri', `not a URI: expected postgres://user@host:5432/db?collection=name`, {
        cause: e,
      });
    }
    const collection = url.searchParams.get('collection') ?? 'pir';
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(collection))
      throw new StoreError(
        where,
        'collection',
        `collection must be 1–40 lower-case letters, digits or _ starting with a letter, got '${collection}'`,
      );
    url.searchParams.delete('collection');
    const ef = options.search?.expansionSearch ?? 128;
    if (!Number.isInteger(ef) || ef < 1 || ef > 1000)
      throw new StoreError(
        where,
        'expansionSearch',
        `must be an integer in [1, 1000] (pgvector's limit), got ${ef}`,
      );
    const shown = redact(uri);
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: url.toString(), max: options.poolSize ?? 4 });
    pool.on('error', () => {}); // an idle client's broken connection: the next query reports it
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      await pool.end().catch(() => {});
      throw new StoreError(
        where,
        'uri',
        `cannot connect to ${shown}: ${(e as Error).message}. Is the server running and the URI right?`,
        { cause: e },
      );
    }
    try {
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      } catch (e) {
        throw new StoreError(
          where,
          'pgvector',
          `${shown} has no pgvector extension (${(e as Error).message}): install pgvector on the server (https://github.com/pgvector/pgvector) or ask its administrator`,
          { cause: e },
        );
      }
      await client.query(
        'CREATE TABLE IF NOT EXISTS pir_collections (name text PRIMARY KEY, model_name text NOT NULL, config_hash text NOT NULL, dim int NOT NULL, created timestamptz NOT NULL DEFAULT now())',
      );
      const c = options.create;
      if (c !== undefined) {
        if (!Number.isInteger(c.dim) || c.dim < 1 || c.dim > 16000)
          throw new StoreError(where, 'identity', `dim must be an integer in [1, 16000], got ${c.dim}`);
        await client.query('BEGIN');
        await client.query(
          'INSERT INTO pir_collections (name, model_name, config_hash, dim) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING',
          [collection, c.name, c.configHash, c.dim],
        );
        const dim = (
          await client.query<{ dim: number }>('SELECT dim FROM pir_collections WHERE name = $1', [collection])
        ).rows[0]?.dim as number;
        await client.query(
          `CREATE TABLE IF NOT EXISTS "pir_${collection}" (id text PRIMARY KEY, kind text NOT NULL, item jsonb NOT NULL, embedding vector(${dim}) NOT NULL)`,
        );
        await client.query('COMMIT');
      }
      const row = (
        await client.query<{ model_name: string; config_hash: string; dim: number }>(
          'SELECT model_name, config_hash, dim FROM pir_collections WHERE name = $1',
          [collection],
        )
      ).rows[0];
      if (row === undefined)
        throw new StoreError(
          where,
          'collection',
          `${shown} has no collection '${collection}': index images into it first (pir index … --store '${shown}?collection=${collection}')`,
        );
      const model = { name: row.model_name, configHash: row.config_hash, dim: row.dim };
      if (c !== undefined) checkIdentity(where, model, c);
      client.release();
      return new PgStore(pool, collection, model, shown, ef);
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      await pool.end().catch(() => {});
      throw e instanceof StoreError
        ? e
        : new StoreError(where, 'uri', `${shown}: ${(e as Error).message}`, { cause: e });
    }
  }

  async count(kind?: ItemKind): Promise<number> {
    const r =
      kind === undefined
        ? await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`)
        : await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE kind = $1`, [
            kind,
          ]);
    return Number(r.rows[0]?.n ?? 0);
  }

  async missing(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const have = new Set<string>();
    for (let s = 0; s < ids.length; s += 10_000) {
      const r = await this.pool.query<{ id: string }>(
        `SELECT id FROM ${this.table} WHERE id = ANY($1::text[])`,
        [ids.slice(s, s + 10_000)],
      );
      for (const row of r.rows) have.add(row.id);
    }
    return ids.filter((id) => !have.has(id));
  }

  async get(id: string): Promise<StoreItem | undefined> {
    const r = await this.pool.query<{ item: unknown }>(`SELECT item FROM ${this.table} WHERE id = $1`, [id]);
    const item = r.rows[0]?.item;
    if (item === undefined) return undefined;
    if (!isItem(item))
      throw new StoreError('PgStore.get', 'item', `row '${id}' of ${this.table} is not a store item`);
    return item;
  }

  async add(identity: ModelIdentity, items: readonly StoreItem[], vectors: Float32Array): Promise<number> {
    const where = 'PgStore.add';
    checkIdentity(where, this.model, identity);
    const dim = this.model.dim;
    if (!Array.isArray(items) || !items.every(isItem))
      throw new StoreError(where, 'items', 'expected items {id, path, window?, caption?}');
    if (!(vectors instanceof Float32Array) || vectors.length !== items.length * dim)
      throw new StoreError(
        where,
        'vectors',
        `expected a Float32Array of ${items.length} × ${dim} = ${items.length * dim} values, got ${vectors instanceof Float32Array ? vectors.length : typeof vectors}`,
      );
    if (items.length === 0) return 0;
    const client = await this.pool.connect();
    let added = 0;
    try {
      await client.query('BEGIN');
      for (let s = 0; s < items.length; s += ROWS_PER_STATEMENT) {
        const chunk = items.slice(s, s + ROWS_PER_STATEMENT);
        const params: unknown[] = [];
        const rows = chunk.map((it, i) => {
          const r = s + i;
          params.push(
            it.id,
            kindOf(it),
            JSON.stringify(it),
            literal(vectors.subarray(r * dim, (r + 1) * dim)),
          );
          const b = i * 4;
          return `($${b + 1}, $${b + 2}, $${b + 3}::jsonb, $${b + 4}::vector)`;
        });
        const r = await client.query(
          `INSERT INTO ${this.table} (id, kind, item, embedding) VALUES ${rows.join(',')} ON CONFLICT (id) DO NOTHING`,
          params,
        );
        added += r.rowCount ?? 0;
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw new StoreError(
        where,
        'items',
        `${this.where}: the batch was not stored (${(e as Error).message})`,
        {
          cause: e,
        },
      );
    } finally {
      client.release();
    }
    return added;
  }

  async search(
    identity: ModelIdentity,
    queries: Float32Array,
    k: number,
    options: SearchOptions = {},
  ): Promise<SearchHit[][]> {
    const where = 'PgStore.search';
    checkIdentity(where, this.model, identity);
    const kind = options.kind ?? 'image';
    if (!KINDS.includes(kind))
      throw new StoreError(where, 'kind', `kind must be 'image' or 'caption', got ${String(kind)}`);
    if (!Number.isInteger(k) || k < 1 || k > 1000)
      throw new StoreError(where, 'k', `k must be an integer in [1, 1000], got ${k}`);
    const dim = this.model.dim;
    if (queries.length % dim !== 0)
      throw new StoreError(where, 'queries', `length ${queries.length} is not a multiple of dim ${dim}`);
    const out: SearchHit[][] = [];
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // exact (no index scan) when asked; else the HNSW index with a candidate list of at least k
      if (options.exact === true) await client.query('SET LOCAL enable_indexscan = off');
      else await client.query(`SET LOCAL hnsw.ef_search = ${Math.max(this.ef, k)}`);
      for (let q = 0; q < queries.length / dim; q++) {
        const r = await client.query<{ item: unknown; score: number }>(
          `SELECT item, -(embedding <#> $1::vector) AS score FROM ${this.table} WHERE kind = '${kind}' ORDER BY embedding <#> $1::vector LIMIT ${k}`,
          [literal(queries.subarray(q * dim, (q + 1) * dim))],
        );
        out.push(
          r.rows.map((row, i) => {
            if (!isItem(row.item))
              throw new StoreError(where, 'item', `a row of ${this.table} is not a store item`);
            return { rank: i + 1, score: Number(row.score), item: row.item };
          }),
        );
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e instanceof StoreError
        ? e
        : new StoreError(where, 'queries', `${this.where}: ${(e as Error).message}`, { cause: e });
    } finally {
      client.release();
    }
    return out;
  }

  /**
   * Create the HNSW index of each kind (if missing); PostgreSQL keeps them up to date as rows are added.
   * @returns the seconds it took
   */
  async buildIndex(): Promise<{ seconds: number }> {
    const t0 = performance.now();
    for (const kind of KINDS)
      await this.pool.query(
        `CREATE INDEX IF NOT EXISTS "pir_${this.collection}_${kind}_hnsw" ON ${this.table} USING hnsw (embedding vector_ip_ops) WITH (m = 16, ef_construction = 128) WHERE kind = '${kind}'`,
      );
    return { seconds: (performance.now() - t0) / 1000 };
  }

  /** Whether each kind's HNSW index exists. */
  async indexed(): Promise<Record<ItemKind, boolean>> {
    const r = await this.pool.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE tablename = $1',
      [`pir_${this.collection}`],
    );
    const names = new Set(r.rows.map((x) => x.indexname));
    return {
      image: names.has(`pir_${this.collection}_image_hnsw`),
      caption: names.has(`pir_${this.collection}_caption_hnsw`),
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
