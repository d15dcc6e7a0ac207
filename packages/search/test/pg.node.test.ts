/**
 * The PostgreSQL + pgvector store against a real PostgreSQL wire server started here: PGlite (PostgreSQL
 * compiled to wasm) with the pgvector extension behind `@electric-sql/pglite-socket` on 127.0.0.1, reached
 * through the standard `pg` client — the same path as a production server. Collections and model identity,
 * atomic idempotent batches (two writers), exact search before the HNSW index and approximate after it
 * (against brute force), captions apart from images, the indexer and text search end to end (same hits as the
 * embedded store), and the errors a user meets (no server, bad collection, another model).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeImage } from '@pir/datasets';
import { generateSynthetic } from '@pir/datasets/synthetic';
import { buildWordVocab } from '@pir/encoders';
import { createModel, RetrievalModel } from '@pir/models';
import { initBackend } from '@pir/runtime';
import { clusteredUnitVectors } from '@pir/test-utils';
import { freePort, type PgTestServer, startPgServer } from '@pir/test-utils/pg';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelIdentity, StoreError, type StoreItem } from '../src/index.js';
import {
  identityOf,
  indexImages,
  openFileStore,
  openStore,
  PgStore,
  searchTexts,
} from '../src/node/index.js';

const D = 16;
const identity: ModelIdentity = { name: 'pg-test', configHash: 'abc123', dim: D };
let pg: PgTestServer;
let base: string;
let work: string;

const clustered = (n: number, seed: number) => clusteredUnitVectors(n, D, seed);

const items = (from: number, n: number): StoreItem[] =>
  Array.from({ length: n }, (_, i) => ({ id: `img/${from + i}.png`, path: `img/${from + i}.png` }));

/** Brute-force top-k ids and scores (float64 sums of the float32 values). */
function bruteForce(
  all: Float32Array,
  q: Float32Array,
  k: number,
  prefix = 'img/',
): { id: string; s: number }[] {
  const n = all.length / D;
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < D; j++) s += (q[j] as number) * (all[i * D + j] as number);
    return { id: `${prefix}${i}.png`, s };
  })
    .sort((a, b) => b.s - a.s)
    .slice(0, k);
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(path.join(tmpdir(), 'pir-pg-'));
  pg = await startPgServer();
  base = pg.uri;
}, 120_000);

afterAll(async () => {
  await pg?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('PgStore on a PostgreSQL wire server (PGlite + pgvector)', () => {
  const all = clustered(1500, 5);
  const uri = () => `${base}?collection=archive`;

  it('creates a collection for a model; opening it without create, or with another model', async () => {
    const store = await openStore(uri(), { create: identity });
    expect(store).toBeInstanceOf(PgStore);
    expect(store.identity).toEqual(identity);
    expect(await store.count()).toBe(0);
    await store.close();
    const again = await openStore(uri());
    expect(again.identity).toEqual(identity);
    await again.close();
    await expect(openStore(uri(), { create: { ...identity, configHash: 'other' } })).rejects.toThrow(
      /holds vectors of model 'pg-test' \(config abc123.*configHash differ/,
    );
    await expect(openStore(`${base}?collection=nothing_here`)).rejects.toThrow(
      /no collection 'nothing_here'/,
    );
    await expect(openStore(`${base}?collection=Bad-Name`)).rejects.toThrow(/collection must be/);
  });

  it('adds batches atomically and once: duplicates within and across batches and two concurrent writers', async () => {
    const a = (await openStore(uri())) as PgStore;
    const b = (await openStore(uri())) as PgStore;
    try {
      // two writers add overlapping halves at once; one batch repeats an id inside itself
      const first = items(0, 800);
      const second = items(600, 900);
      const dup = [...items(0, 3), ...items(0, 1)];
      const [na, nb] = await Promise.all([
        a.add(identity, first, all.slice(0, 800 * D)),
        b.add(identity, second, all.slice(600 * D, 1500 * D)),
      ]);
      expect(na + nb).toBe(1500);
      const dv = new Float32Array(4 * D);
      dv.set(all.slice(0, 3 * D));
      dv.set(all.slice(0, D), 3 * D);
      expect(await a.add(identity, dup, dv)).toBe(0);
      expect(await a.count()).toBe(1500);
      expect(await a.count('image')).toBe(1500);
      expect(await a.missing(['img/5.png', 'nope.png', 'img/1499.png', 'also-nope'])).toEqual([
        'nope.png',
        'also-nope',
      ]);
      expect(await a.get('img/7.png')).toEqual({ id: 'img/7.png', path: 'img/7.png' });
      expect(await a.get('nope')).toBeUndefined();
      // a batch with a value pgvector refuses (NaN) is not stored at all, and says why
      const bad = all.slice(0, 2 * D);
      bad[D + 3] = Number.NaN;
      await expect(a.add(identity, items(5000, 2), bad)).rejects.toThrow(/the batch was not stored.*NaN/i);
      expect(await a.missing(['img/5000.png', 'img/5001.png'])).toEqual(['img/5000.png', 'img/5001.png']);
      await expect(a.add({ ...identity, dim: 8 }, items(0, 1), new Float32Array(8))).rejects.toThrow(
        StoreError,
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('searches exactly before the HNSW index and approximately after it (recall ≥ 0.95), scores = inner products', async () => {
    const store = (await openStore(uri())) as PgStore;
    try {
      const queries = clustered(30, 99);
      const exact = await store.search(identity, queries, 10);
      for (const [qi, hits] of exact.entries()) {
        const want = bruteForce(all, queries.subarray(qi * D, (qi + 1) * D), 10);
        expect(hits.map((h) => h.item.id)).toEqual(want.map((w) => w.id));
        hits.forEach((h, i) => {
          expect(h.rank).toBe(i + 1);
          expect(h.score).toBeCloseTo(want[i]?.s as number, 5);
        });
      }
      expect(await store.indexed()).toEqual({ image: false, caption: false });
      await store.buildIndex();
      expect(await store.indexed()).toEqual({ image: true, caption: true });
      const approx = await store.search(identity, queries, 10);
      let found = 0;
      for (const [qi, hits] of approx.entries()) {
        const want = new Set(bruteForce(all, queries.subarray(qi * D, (qi + 1) * D), 10).map((w) => w.id));
        found += hits.filter((h) => want.has(h.item.id)).length;
      }
      expect(found / 300).toBeGreaterThanOrEqual(0.95);
      // the plan uses the index (a partial HNSW index of the kind)
      const plan = await pg.db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT item FROM pir_archive WHERE kind = 'image' ORDER BY embedding <#> '[${Array.from(queries.subarray(0, D)).join(',')}]' LIMIT 10`,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/pir_archive_image_hnsw/);
      // exact on request: brute force again
      const forced = await store.search(identity, queries.subarray(0, D), 10, { exact: true });
      expect(forced[0]?.map((h) => h.item.id)).toEqual(
        bruteForce(all, queries.subarray(0, D), 10).map((w) => w.id),
      );
      await expect(store.search(identity, queries, 1001)).rejects.toThrow(
        /k must be an integer in \[1, 1000\]/,
      );
    } finally {
      await store.close();
    }
  });

  it('captions are ranked apart from images', async () => {
    const store = (await openStore(uri())) as PgStore;
    try {
      const caps = clustered(50, 7);
      const capItems: StoreItem[] = Array.from({ length: 50 }, (_, i) => ({
        id: `captions.json#${i}`,
        path: 'captions.json',
        caption: `caption ${i}`,
        of: `img/${i}.png`,
      }));
      expect(await store.add(identity, capItems, caps)).toBe(50);
      expect(await store.count('caption')).toBe(50);
      const q = caps.slice(4 * D, 5 * D);
      const [c] = await store.search(identity, q, 3, { kind: 'caption' });
      expect(c?.[0]?.item).toEqual(capItems[4]);
      const [im] = await store.search(identity, q, 3);
      expect(im?.every((h) => h.item.caption === undefined)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a server that is not there: a clear error naming the URI without its password', async () => {
    const port = await freePort();
    const err = await openStore(`postgres://pir:hunter2@127.0.0.1:${port}/x`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(
      /cannot connect to postgres:\/\/pir@127\.0\.0\.1:\d+\/x: .*ECONNREFUSED/,
    );
    expect((err as Error).message).not.toContain('hunter2');
    await expect(openStore('ftp://example.org/x')).rejects.toThrow(/'ftp:' is not a store/);
  });
});

describe('indexing and text search through PostgreSQL', () => {
  it('the indexer fills a collection; searches find what the embedded store finds; no tensor left', async () => {
    const root = path.join(work, 'archive');
    const ds = generateSynthetic({ seed: 4, count: 14, size: 32 });
    await mkdir(root, { recursive: true });
    for (const [i, s] of ds.samples.entries())
      await writeImage(path.join(root, `${s.labelName}_${i}.png`), ds.images[i] as never);
    const tokenizer = buildWordVocab(
      ds.samples.flatMap((s) => s.captions),
      { contextLength: 16, maxSize: 40 },
    );
    const model = new RetrievalModel(createModel('pir-itr-test', { seed: 2, tokenizer }), {
      config: 'pir-itr-test',
    });
    try {
      const pgs = await openStore(`${base}?collection=scenes`, { create: identityOf(model) });
      const file = await openFileStore(path.join(work, 'scenes.pirdb'), { create: identityOf(model) });
      const a = await indexImages({ model, store: pgs, root, batchSize: 5 });
      await indexImages({ model, store: file, root, batchSize: 5 });
      expect(a).toMatchObject({ inShard: 14, added: 14, alreadyIndexed: 0 });
      // idempotent: a rerun adds nothing
      expect(await indexImages({ model, store: pgs, root, batchSize: 5 })).toMatchObject({
        added: 0,
        alreadyIndexed: 14,
      });
      const captions = ['a harbour with several boats beside a long pier', 'a green forest'];
      const before = tf.memory().numTensors;
      const [x, y] = await Promise.all([
        searchTexts(model, pgs, captions, 5),
        searchTexts(model, file, captions, 5),
      ]);
      expect(tf.memory().numTensors).toBe(before);
      for (const [qi, hits] of x.entries()) {
        expect(hits.map((h) => h.item.id)).toEqual(y[qi]?.map((h) => h.item.id));
        for (const [i, h] of hits.entries()) expect(h.score).toBeCloseTo(y[qi]?.[i]?.score as number, 5);
      }
      await pgs.close();
    } finally {
      model.dispose();
    }
  }, 120_000);
});
