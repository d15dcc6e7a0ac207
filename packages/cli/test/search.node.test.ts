/**
 * `pir index` and `pir search` (their functions, as the commands call them) on the synthetic benchmark written
 * to disk: a store built, a rerun adding nothing, shards, image → images finding the image itself, the
 * printed table naming the files, and the errors a newcomer meets. No tensor left behind.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynthetic } from '@pir/datasets';
import { buildWordVocab } from '@pir/encoders';
import { createModel } from '@pir/models';
import { saveModel } from '@pir/models/node';
import { initBackend } from '@pir/runtime';
import { type PgTestServer, startPgServer } from '@pir/test-utils/pg';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatHits,
  indexCommand,
  parseBands,
  parseShard,
  searchCommand,
  serveCommand,
} from '../src/commands/search.js';

describe('pir index / pir search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pir-search-cli-'));
  const images = join(dir, 'data', 'images');
  const modelDir = join(dir, 'model');
  const store = `file:${join(dir, 'archive.pirdb')}`;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    await writeSynthetic(join(dir, 'data'), { seed: 5, count: 36, size: 32 });
    writeFileSync(join(images, 'train', 'corrupt.png'), 'not a png');
    const tokenizer = buildWordVocab(['a harbour with boats', 'an airport with planes'], {
      contextLength: 12,
    });
    const model = createModel('pir-itr-test', { seed: 2, tokenizer });
    await saveModel(model, modelDir, { config: 'pir-itr-test' });
    model.dispose();
  }, 120_000);

  it('indexes a folder (the corrupt file reported), a rerun adds nothing, and search finds images', async () => {
    const before = tf.memory().numTensors;
    const lines: string[] = [];
    const s = await indexCommand({
      folder: images,
      model: modelDir,
      store,
      batchSize: 8,
      progress: (l) => lines.push(l),
    });
    expect(s.added).toBe(36);
    expect(s.failed.map((f) => f.path)).toEqual(['train/corrupt.png']);
    expect(lines[lines.length - 1]).toMatch(/^indexed 37\/37 · [\d.]+ images\/s · ETA 0:00 · 1 unreadable$/);
    const again = await indexCommand({ folder: images, model: modelDir, store });
    expect(again.added).toBe(0);
    expect(again.alreadyIndexed).toBe(36);

    const [text] = await searchCommand({ queries: ['a harbour with boats'], model: modelDir, store, k: 4 });
    expect(text?.hits.map((h) => h.rank)).toEqual([1, 2, 3, 4]);
    const first = text?.hits[0]?.item;
    const file = join(first?.root as string, first?.path as string);
    const [img] = await searchCommand({ queries: [file], image: true, model: modelDir, store, k: 3 });
    expect(img?.hits[0]?.item.path).toBe(first?.path);
    const sheet = join(dir, 'hits.png');
    const [withSheet] = await searchCommand({ queries: ['a harbour'], model: modelDir, store, k: 3, sheet });
    expect(withSheet?.sheet).toBe(sheet);
    expect(readFileSync(sheet).subarray(1, 4).toString()).toBe('PNG');
    await expect(
      searchCommand({ queries: ['a harbour'], model: modelDir, store, sheet: join(dir, 'hits.jpg') }),
    ).rejects.toThrow(/--sheet the contact sheet is a PNG file/);
    const table = formatHits(text?.query as string, text?.hits ?? []);
    expect(table).toContain(file);
    expect(table.split('\n')[1]).toBe(' rank   score  file');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('captions beside the images (an RSITMD-style annotation file): image → captions; --ann on; --exact', async () => {
    const ann = join(dir, 'captions.json');
    writeFileSync(
      ann,
      JSON.stringify({
        images: [
          {
            filename: 'harbour_1.png',
            split: 'test',
            sentences: [{ raw: 'a harbour with boats' }, { raw: 'boats beside a pier' }],
          },
          { filename: 'airport_2.png', split: 'test', sentences: [{ raw: 'an airport with planes' }] },
        ],
      }),
    );
    const before = tf.memory().numTensors;
    const s = await indexCommand({ captions: ann, model: modelDir, store, ann: 'on' });
    expect(s.captions).toMatchObject({ captions: 3, added: 3, alreadyIndexed: 0 });
    expect(s.ann?.seconds).toBeGreaterThanOrEqual(0);
    expect((await indexCommand({ captions: ann, model: modelDir, store, ann: 'off' })).captions?.added).toBe(
      0,
    );
    const image = join(
      images,
      'train',
      readdirSync(join(images, 'train')).find((f) => f.endsWith('.png')) as string,
    );
    const [caps] = await searchCommand({
      queries: [image],
      image: true,
      captions: true,
      model: modelDir,
      store,
      k: 3,
    });
    expect(caps?.hits).toHaveLength(3);
    expect(caps?.hits.every((h) => typeof h.item.caption === 'string')).toBe(true);
    expect(caps?.hits.map((h) => h.item.caption).sort()).toEqual([
      'a harbour with boats',
      'an airport with planes',
      'boats beside a pier',
    ]);
    expect(caps?.hits.find((h) => h.item.caption === 'an airport with planes')?.item.of).toBe(
      'airport_2.png',
    );
    const table = formatHits(image, caps?.hits ?? []);
    expect(table).toMatch(/"an airport with planes" \(airport_2\.png\)/);
    // the approximate index and --exact give the same ranking on this small store
    const [a] = await searchCommand({ queries: ['a harbour with boats'], model: modelDir, store, k: 5 });
    const [e] = await searchCommand({
      queries: ['a harbour with boats'],
      model: modelDir,
      store,
      k: 5,
      exact: true,
    });
    expect(a?.hits.map((h) => h.item.id)).toEqual(e?.hits.map((h) => h.item.id));
    await expect(searchCommand({ queries: ['x'], captions: true, model: modelDir, store })).rejects.toThrow(
      /--captions ranks captions for image queries: add --image/,
    );
    await expect(indexCommand({ model: modelDir, store })).rejects.toThrow(
      /give a folder of images, --captions/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('pir serve answers /health and /search on a free localhost port, and refuses a port in use', async () => {
    const s = await serveCommand({ model: modelDir, store, port: 0 });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await (await fetch(`${s.url}/health`)).json()).items).toBe(36);
      const r = await fetch(`${s.url}/search`, {
        method: 'POST',
        body: JSON.stringify({ text: 'a harbour', k: 2 }),
      });
      expect((await r.json()).hits).toHaveLength(2);
      const port = Number(new URL(s.url).port);
      await expect(serveCommand({ model: modelDir, store, port })).rejects.toThrow(/--port cannot listen/);
    } finally {
      await s.close();
    }
  });

  it('clear errors: no such folder, an empty query, a bad shard, a store of another model', async () => {
    await expect(indexCommand({ folder: join(dir, 'nope'), model: modelDir, store })).rejects.toThrow(
      /is not a folder of images/,
    );
    await expect(searchCommand({ queries: [], model: modelDir, store })).rejects.toThrow(/give a caption/);
    expect(() => parseShard('3/3')).toThrow(/0 ≤ i < n/);
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseBands('2, 1,0')).toEqual([2, 1, 0]);
    expect(() => parseBands('red,green')).toThrow(/0-based band numbers/);
    await expect(indexCommand({ folder: images, model: modelDir, store, overlap: 4 })).rejects.toThrow(
      /--overlap needs --tile/,
    );
    const other = join(dir, 'other-model');
    const tokenizer = buildWordVocab(['a harbour'], { contextLength: 12 });
    const m = createModel('pir-itr-test', { seed: 3, tokenizer, overrides: { k: 3 } });
    await saveModel(m, other, { config: 'pir-itr-test', overrides: { k: 3 } });
    m.dispose();
    await expect(searchCommand({ queries: ['a harbour'], model: other, store })).rejects.toThrow(
      /holds vectors of model 'pir-itr-test'.*configHash differ/,
    );
    await expect(
      searchCommand({ queries: ['x'], model: modelDir, store: join(dir, 'empty') }),
    ).rejects.toThrow(/no store at/);
  });
});

describe('pir index / search / serve with a postgres:// store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pir-search-cli-pg-'));
  const images = join(dir, 'data', 'images');
  const modelDir = join(dir, 'model');
  let server: PgTestServer;
  let store: string;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    await writeSynthetic(join(dir, 'data'), { seed: 6, count: 12, size: 32 });
    const tokenizer = buildWordVocab(['a harbour with boats'], { contextLength: 12 });
    const model = createModel('pir-itr-test', { seed: 4, tokenizer });
    await saveModel(model, modelDir, { config: 'pir-itr-test' });
    model.dispose();
    server = await startPgServer();
    store = `${server.uri}?collection=cli`;
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('indexes into a collection (HNSW index on), names the store without its password, searches and serves', async () => {
    const before = tf.memory().numTensors;
    const s = await indexCommand({ folder: images, model: modelDir, store, ann: 'on' });
    expect(s.added).toBe(12);
    expect(s.store).toMatch(
      /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?collection=cli \(collection cli\)$/,
    );
    expect(s.store).not.toContain('secret-password');
    expect(s.ann?.seconds).toBeGreaterThanOrEqual(0);
    const [hits] = await searchCommand({ queries: ['a harbour with boats'], model: modelDir, store, k: 3 });
    expect(hits?.hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    const [exact] = await searchCommand({
      queries: ['a harbour with boats'],
      model: modelDir,
      store,
      k: 3,
      exact: true,
    });
    expect(exact?.hits.map((h) => h.item.id)).toEqual(hits?.hits.map((h) => h.item.id));
    const srv = await serveCommand({ model: modelDir, store, port: 0 });
    try {
      expect((await (await fetch(`${srv.url}/health`)).json()).items).toBe(12);
      const id = hits?.hits[0]?.item.id as string;
      const img = await fetch(`${srv.url}/image?id=${encodeURIComponent(id)}`);
      expect(img.headers.get('content-type')).toBe('image/png');
    } finally {
      await srv.close();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
