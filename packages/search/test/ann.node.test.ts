/**
 * The embedded store's approximate index (usearch HNSW) on clustered vectors: recall against exact search,
 * exact scores, rows added after the build searched too, extending the index, reopening it from disk, a
 * damaged or stale index falling back to exact search (with the reason), captions kept apart from images.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@pir/runtime';
import { clusteredUnitVectors } from '@pir/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelIdentity, StoreItem } from '../src/index.js';
import { openFileStore } from '../src/node/index.js';

const D = 32;
const identity: ModelIdentity = { name: 'ann-test', configHash: 'c0ffee', dim: D };
let work: string;

/** `n` unit vectors around `clusters` centres (a mixture of Gaussians). */
const clustered = (n: number, seed: number, clusters = 40) =>
  clusteredUnitVectors(n, D, seed, { clusters, spread: 0.7 });

const items = (from: number, n: number, prefix = 'img'): StoreItem[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}/${from + i}.png`,
    path: `${prefix}/${from + i}.png`,
  }));

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, j) => s + v * (b[j] as number), 0);

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(path.join(tmpdir(), 'pir-ann-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the approximate index of the embedded store', () => {
  const N = 3000;
  const all = clustered(N + 200, 7);
  const queries = clustered(50, 8);
  const dir = () => path.join(work, 'a.pirdb');

  /** Exact top-10 ids of every query over the first `n` rows (brute force here, not the store's code). */
  const exact = (n: number) =>
    Array.from({ length: 50 }, (_, qi) => {
      const q = queries.subarray(qi * D, (qi + 1) * D);
      return Array.from({ length: n }, (_, i) => ({ i, s: dot(q, all.subarray(i * D, (i + 1) * D)) }))
        .sort((a, b) => b.s - a.s || a.i - b.i)
        .slice(0, 10)
        .map((h) => `img/${h.i}.png`);
    });

  const recall = (got: { item: StoreItem }[][], want: string[][]) =>
    got.reduce((s, hits, qi) => s + hits.filter((h) => want[qi]?.includes(h.item.id)).length, 0) /
    (want.length * 10);

  it('builds, is persisted, and finds the exact top-10 (recall ≥ 0.95) with exact scores', async () => {
    const store = await openFileStore(dir(), { create: identity });
    for (let s = 0; s < N; s += 1000)
      await store.add(identity, items(s, 1000), all.slice(s * D, (s + 1000) * D));
    const built = await store.buildIndex({ threads: 2 });
    expect(built.rows).toEqual({ image: N, caption: 0 });
    const names = await readdir(dir());
    expect(names).toContain('ann.json');
    expect(names.filter((n) => n.endsWith('.usearch'))).toHaveLength(1);

    const reopened = await openFileStore(dir());
    expect(reopened.indexed().image).toBe(N);
    expect(reopened.annProblem).toBeUndefined();
    const hits = await reopened.search(identity, queries, 10);
    expect(recall(hits, exact(N))).toBeGreaterThanOrEqual(0.95);
    for (const [qi, list] of hits.entries()) {
      expect(list.map((h) => h.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      for (const h of list) {
        const row = Number(h.item.id.slice(4, -4));
        const want = dot(queries.subarray(qi * D, (qi + 1) * D), all.subarray(row * D, (row + 1) * D));
        expect(h.score).toBeCloseTo(want, 5);
      }
      for (let j = 1; j < list.length; j++)
        expect((list[j - 1] as { score: number }).score).toBeGreaterThanOrEqual(
          (list[j] as { score: number }).score,
        );
    }
    // the exact search over the same store agrees with the brute force exactly
    const ex = await reopened.search(identity, queries, 10, { exact: true });
    expect(ex.map((l) => l.map((h) => h.item.id))).toEqual(exact(N));
  });

  it('searches rows added after the build (exactly), and extends the index on the next build', async () => {
    const store = await openFileStore(dir());
    await store.add(identity, items(N, 200), all.slice(N * D, (N + 200) * D));
    expect(store.indexed().image).toBe(N);
    // a query equal to a new row finds it first
    const q = all.slice((N + 17) * D, (N + 18) * D);
    const [hits] = await store.search(identity, q, 3);
    expect(hits?.[0]?.item.id).toBe(`img/${N + 17}.png`);
    expect(recall(await store.search(identity, queries, 10), exact(N + 200))).toBeGreaterThanOrEqual(0.95);

    const before = (await readdir(dir())).filter((n) => n.endsWith('.usearch'));
    const built = await store.buildIndex({ threads: 2 });
    expect(built.rows.image).toBe(N + 200);
    const after = (await readdir(dir())).filter((n) => n.endsWith('.usearch'));
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    const reopened = await openFileStore(dir());
    expect(reopened.indexed().image).toBe(N + 200);
    expect(recall(await reopened.search(identity, queries, 10), exact(N + 200))).toBeGreaterThanOrEqual(0.95);
  });

  it('a damaged graph file is not used: the store says why and searches exactly', async () => {
    const copy = path.join(work, 'damaged.pirdb');
    await cp(dir(), copy, { recursive: true });
    const graph = (await readdir(copy)).find((n) => n.endsWith('.usearch')) as string;
    const bytes = await readFile(path.join(copy, graph));
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff;
    await writeFile(path.join(copy, graph), bytes);
    const store = await openFileStore(copy);
    expect(store.indexed().image).toBe(0);
    expect(store.annProblem).toMatch(/SHA-256.*damaged.*searching exactly/s);
    const hits = await store.search(identity, queries, 10);
    expect(hits.map((l) => l.map((h) => h.item.id))).toEqual(exact(N + 200));
    // rebuilding repairs it
    await store.buildIndex({ threads: 2 });
    const repaired = await openFileStore(copy);
    expect(repaired.annProblem).toBeUndefined();
    expect(repaired.indexed().image).toBe(N + 200);
  });

  it('an index covering a segment that is gone is not used', async () => {
    const copy = path.join(work, 'stale.pirdb');
    await cp(dir(), copy, { recursive: true });
    const segs = (await readdir(path.join(copy, 'segments'))).sort();
    await rm(path.join(copy, 'segments', segs[0] as string), { recursive: true });
    const store = await openFileStore(copy);
    expect(store.annProblem).toMatch(/segment\(s\) that are gone/);
    expect(store.indexed().image).toBe(0);
    expect(store.size()).toBe(N + 200 - 1000);
  });

  it('a segment another writer committed with an earlier name keeps the row order the index was built on', async () => {
    const copy = path.join(work, 'order.pirdb');
    await cp(dir(), copy, { recursive: true });
    const segs = (await readdir(path.join(copy, 'segments'))).sort();
    // move a covered segment's content under a name that sorts first, as a late shard's segment would
    const extra = clustered(100, 11);
    const store = await openFileStore(copy);
    await store.add(identity, items(50_000, 100), extra);
    const added = (await readdir(path.join(copy, 'segments'))).find((n) => !segs.includes(n)) as string;
    await cp(path.join(copy, 'segments', added), path.join(copy, 'segments', 'seg-000000000000-00'), {
      recursive: true,
    });
    await rm(path.join(copy, 'segments', added), { recursive: true });
    const reopened = await openFileStore(copy);
    expect(reopened.annProblem).toBeUndefined();
    expect(reopened.indexed().image).toBe(N + 200);
    expect(reopened.size()).toBe(N + 300);
    const hits = await reopened.search(identity, queries, 10);
    const want = await reopened.search(identity, queries, 10, { exact: true });
    expect(
      hits.reduce(
        (s, l, qi) => s + l.filter((h) => want[qi]?.some((w) => w.item.id === h.item.id)).length,
        0,
      ) / 500,
    ).toBeGreaterThanOrEqual(0.95);
    const q = extra.slice(5 * D, 6 * D);
    expect((await reopened.search(identity, q, 1))[0]?.[0]?.item.id).toBe('img/50005.png');
  });
});

describe('captions beside images', () => {
  it('a store holds both; a search ranks one kind; each kind has its own index', async () => {
    const dir = path.join(work, 'captions.pirdb');
    const store = await openFileStore(dir, { create: identity });
    const imgs = clustered(300, 21);
    const caps = clustered(120, 22);
    await store.add(identity, items(0, 300), imgs);
    const captionItems: StoreItem[] = Array.from({ length: 120 }, (_, i) => ({
      id: `captions.json#${i}`,
      path: 'captions.json',
      caption: `caption number ${i}`,
    }));
    await store.add(identity, captionItems, caps);
    expect([await store.count('image'), await store.count('caption'), await store.count()]).toEqual([
      300, 120, 420,
    ]);
    const q = caps.slice(9 * D, 10 * D);
    const [c] = await store.search(identity, q, 5, { kind: 'caption' });
    expect(c?.[0]?.item).toEqual(captionItems[9]);
    expect(c?.every((h) => h.item.caption !== undefined)).toBe(true);
    const [im] = await store.search(identity, q, 5);
    expect(im?.every((h) => h.item.caption === undefined)).toBe(true);
    const built = await store.buildIndex({ threads: 2 });
    expect(built.rows).toEqual({ image: 300, caption: 120 });
    const reopened = await openFileStore(dir);
    expect(reopened.indexed()).toEqual({ image: 300, caption: 120 });
    expect((await reopened.search(identity, q, 1, { kind: 'caption' }))[0]?.[0]?.item.id).toBe(
      'captions.json#9',
    );
    expect(await reopened.get('captions.json#3')).toEqual(captionItems[3]);
    await expect(reopened.search(identity, q, 1, { kind: 'text' as never })).rejects.toThrow(/kind must be/);
  });
});
