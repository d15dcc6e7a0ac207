/**
 * The embedded store and the indexer on a folder of synthetic scenes (PNG, in sub-folders, one corrupt file):
 * lenient and strict indexing, idempotent reruns, resuming after a crash mid-run (the same vectors as an
 * uninterrupted run), shards written concurrently into one store, another model refused, damaged segments
 * named, searches against brute force.
 */
import { mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeImage } from '@pir/datasets';
import { generateSynthetic } from '@pir/datasets/synthetic';
import { buildWordVocab } from '@pir/encoders';
import { createModel, RetrievalModel } from '@pir/models';
import { initBackend } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError, type VectorStore } from '../src/index.js';
import {
  type FileStore,
  identityOf,
  indexImages,
  listImages,
  openFileStore,
  renderHitsSheet,
  searchImages,
  searchTexts,
} from '../src/node/index.js';

let root: string;
let work: string;
let model: RetrievalModel;
const N = 24;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(path.join(tmpdir(), 'pir-search-'));
  root = path.join(work, 'archive');
  const ds = generateSynthetic({ seed: 3, count: N, size: 32 });
  for (const [i, s] of ds.samples.entries()) {
    const dir = path.join(root, i % 2 === 0 ? 'a' : 'b/c');
    await mkdir(dir, { recursive: true });
    await writeImage(path.join(dir, `${s.labelName}_${i}.png`), ds.images[i] as never);
  }
  await writeFile(path.join(root, 'a', 'broken.png'), 'not a png');
  await writeFile(path.join(root, 'notes.txt'), 'not an image');
  const captions = ds.samples.flatMap((s) => s.captions);
  const tokenizer = buildWordVocab(captions, { contextLength: 16, maxSize: 40 });
  model = new RetrievalModel(createModel('pir-itr-test', { seed: 1, tokenizer }), { config: 'pir-itr-test' });
}, 120_000);

afterAll(async () => {
  model?.dispose();
  await rm(work, { recursive: true, force: true });
});

const storeDir = (name: string) => path.join(work, `${name}.pirdb`);

async function vectorsById(store: FileStore): Promise<Map<string, number[]>> {
  // every stored vector, by id
  const out = new Map<string, number[]>();
  for (const it of store.list()) out.set(it.id, Array.from(store.vector(it.id) as Float32Array));
  return out;
}

describe('listImages', () => {
  it('finds the images under sub-folders (relative paths, sorted), not other files', async () => {
    const files = await listImages(root);
    expect(files.length).toBe(N + 1); // + broken.png
    expect(files).toEqual([...files].sort());
    expect(files.every((f) => f.endsWith('.png') && !path.isAbsolute(f))).toBe(true);
    expect(files.some((f) => f.startsWith('b/c/'))).toBe(true);
  });
});

describe('indexImages + FileStore', () => {
  it('lenient: indexes every readable image, reports the broken one; a rerun adds nothing', async () => {
    const store = await openFileStore(`file:${storeDir('lenient')}`, { create: identityOf(model) });
    const progress: number[] = [];
    const s = await indexImages({
      model,
      store,
      root,
      batchSize: 5,
      onProgress: (p) => progress.push(p.done),
    });
    expect(s.added).toBe(N);
    expect(s.failed.map((f) => f.path)).toEqual(['a/broken.png']);
    expect(s.failed[0]?.error).toMatch(/broken\.png/);
    expect(store.size()).toBe(N);
    expect(progress[progress.length - 1]).toBe(N + 1);
    const again = await indexImages({ model, store, root, batchSize: 5 });
    expect(again).toMatchObject({ added: 0, alreadyIndexed: N });
    const reopened = await openFileStore(storeDir('lenient'));
    expect(reopened.size()).toBe(N);
  });

  it('strict: stops at the unreadable image, naming it', async () => {
    const store = await openFileStore(storeDir('strict'), { create: identityOf(model) });
    await expect(indexImages({ model, store, root, batchSize: 4, strict: true })).rejects.toThrow(
      /a\/broken\.png/,
    );
  });

  it('a run that dies mid-way resumes to the same store as an uninterrupted run (vectors equal)', async () => {
    const full = await openFileStore(storeDir('full'), { create: identityOf(model) });
    await indexImages({ model, store: full, root, batchSize: 4 });
    const crashDir = storeDir('crash');
    const real = await openFileStore(crashDir, { create: identityOf(model) });
    let batches = 0;
    const dying: VectorStore = {
      get identity() {
        return real.identity;
      },
      count: (kind) => real.count(kind),
      missing: (ids) => real.missing(ids),
      get: (id) => real.get(id),
      close: () => real.close(),
      search: (i, q, k) => real.search(i, q, k),
      add: async (i, items, v) => {
        if (++batches === 3) throw new Error('killed');
        return real.add(i, items, v);
      },
    };
    await expect(indexImages({ model, store: dying, root, batchSize: 4 })).rejects.toThrow('killed');
    // a crash mid-write leaves a temporary folder: readers ignore it
    await mkdir(path.join(crashDir, 'segments', '.tmp-leftover'), { recursive: true });
    await writeFile(path.join(crashDir, 'segments', '.tmp-leftover', 'vectors.f32'), 'half');
    const resumed = await openFileStore(crashDir, { create: identityOf(model) });
    // two batches of 4 readable images were committed before the crash
    const committed = 8;
    expect(resumed.size()).toBe(committed);
    const s = await indexImages({ model, store: resumed, root, batchSize: 4 });
    expect(s).toMatchObject({ alreadyIndexed: committed, added: N - committed });
    const [a, b] = await Promise.all([vectorsById(full), vectorsById(await openFileStore(crashDir))]);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [id, v] of a) expect(b.get(id)).toEqual(v);
  });

  it('three shards written concurrently into one store: every image exactly once', async () => {
    const dir = storeDir('shards');
    const stores = await Promise.all([0, 1, 2].map(() => openFileStore(dir, { create: identityOf(model) })));
    const sums = await Promise.all(
      stores.map((store, index) =>
        indexImages({ model, store, root, batchSize: 3, shard: { index, count: 3 } }),
      ),
    );
    expect(sums.reduce((n, s) => n + s.added, 0)).toBe(N);
    expect(sums.every((s) => s.inShard < N + 1)).toBe(true);
    const merged = await openFileStore(dir);
    expect(merged.size()).toBe(N);
    expect(new Set(merged.list().map((i) => i.id)).size).toBe(N);
    await expect(indexImages({ model, store: merged, root, shard: { index: 3, count: 3 } })).rejects.toThrow(
      /0-based/,
    );
  });

  it('image → images: each image finds itself first; caption → images equals brute force', async () => {
    const store = await openFileStore(storeDir('full'));
    const before = tf.memory().numTensors;
    const files = store
      .list()
      .slice(0, 3)
      .map((i) => i.path);
    const hits = await searchImages(
      model,
      store,
      files.map((f) => path.join(root, f)),
      5,
    );
    for (const [i, h] of hits.entries()) {
      expect(h[0]?.item.path).toBe(files[i]);
      expect(h[0]?.score).toBeGreaterThan(0.999);
      expect(h.map((x) => x.rank)).toEqual([1, 2, 3, 4, 5]);
    }
    const caption = 'a harbour with several boats beside a long pier';
    const [got] = await searchTexts(model, store, [caption], 6);
    const t = model.embedTexts([caption]);
    const q = (await t.data()) as Float32Array;
    t.dispose();
    const dim = store.identity.dim;
    const scores = store.list().map((it) => {
      const v = store.vector(it.id) as Float32Array;
      let s = 0;
      for (let j = 0; j < dim; j++) s += (q[j] as number) * (v[j] as number);
      return { id: it.id, s };
    });
    scores.sort((x, y) => y.s - x.s);
    expect(got?.map((h) => h.item.id)).toEqual(scores.slice(0, 6).map((x) => x.id));
    expect(tf.memory().numTensors).toBe(before); // the searches leave no tensor behind
  });

  it('a contact sheet of the hits: PNG of the right size; the belief heat-map changes the tiles (hard ≠ soft ≠ none)', async () => {
    const sharp = (await import('sharp')).default;
    const store = await openFileStore(storeDir('full'));
    const [hits] = await searchTexts(model, store, ['a harbour with boats'], 7);
    const render = (belief: 'hard' | 'soft' | 'none') =>
      renderHitsSheet(hits ?? [], { query: 'a harbour with boats', model, belief, columns: 4, tile: 64 });
    const before = tf.memory().numTensors;
    const [hard, soft, none] = await Promise.all([render('hard'), render('soft'), render('none')]);
    expect(tf.memory().numTensors).toBe(before);
    const meta = await sharp(hard).metadata();
    expect(meta.format).toBe('png');
    // 4 columns of 64 px + 8 px gaps; 2 rows of 64 + 34 (label) + 8, + 40 (title) + 8
    expect([meta.width, meta.height]).toEqual([8 + 4 * 72, 40 + 2 * (64 + 34 + 8) + 8]);
    const raw = async (png: Uint8Array) => (await sharp(png).raw().toBuffer()).toString('hex');
    const [h, s2, n] = await Promise.all([raw(hard), raw(soft), raw(none)]);
    expect(h).not.toBe(n);
    expect(s2).not.toBe(n);
    expect(h).not.toBe(s2);
    const missing = { ...(hits?.[0] as never as object), item: { id: 'x', path: 'gone.png', root } };
    await expect(renderHitsSheet([missing as never], { query: 'q' })).rejects.toThrow(/gone\.png/);
  });

  it('refuses another model, a damaged segment, a missing store, another scheme — each with a clear error', async () => {
    const other = { ...identityOf(model), configHash: 'another' };
    await expect(openFileStore(storeDir('full'), { create: other })).rejects.toThrow(/configHash differ/);
    const store = await openFileStore(storeDir('full'));
    await expect(store.search(other, new Float32Array(other.dim), 1)).rejects.toBeInstanceOf(StoreError);
    await expect(openFileStore(storeDir('nothing-here'))).rejects.toThrow(/no store at .*pir index/);
    await expect(openFileStore('postgres://localhost/archive')).rejects.toThrow(/expected an embedded store/);
    await expect(openFileStore('s3://bucket/archive')).rejects.toThrow(
      /'s3:' is not a store @pir\/search knows/,
    );
    const segs = (await readdir(path.join(storeDir('lenient'), 'segments'))).filter((n) =>
      n.startsWith('seg-'),
    );
    await truncate(path.join(storeDir('lenient'), 'segments', segs[0] as string, 'vectors.f32'), 8);
    await expect(openFileStore(storeDir('lenient'))).rejects.toThrow(/vectors\.f32 has 8 bytes, expected/);
  });
});
