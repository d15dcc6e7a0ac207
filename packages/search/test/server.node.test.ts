/**
 * `createSearchServer` on localhost: health, text and image searches (the image finds itself), the page, the
 * image route (only stored ids), and every refusal — bad JSON, bad fields, too large, wrong method, unknown
 * route, a full queue (503) — after which the server still answers.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeImage } from '@pir/datasets';
import { generateSynthetic } from '@pir/datasets/synthetic';
import { buildWordVocab } from '@pir/encoders';
import { createModel, RetrievalModel } from '@pir/models';
import { initBackend } from '@pir/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createSearchServer,
  type FileStore,
  identityOf,
  indexImages,
  itemPng,
  openFileStore,
  serverUrl,
} from '../src/node/index.js';

let work: string;
let model: RetrievalModel;
let store: FileStore;
let server: Server;
let url: string;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(path.join(tmpdir(), 'pir-search-serve-'));
  const root = path.join(work, 'archive');
  await mkdir(root);
  const ds = generateSynthetic({ seed: 4, count: 12, size: 32 });
  for (const [i, s] of ds.samples.entries())
    await writeImage(path.join(root, `${s.labelName}_${i}.png`), ds.images[i] as never);
  const tokenizer = buildWordVocab(['a harbour with boats'], { contextLength: 12 });
  model = new RetrievalModel(createModel('pir-itr-test', { seed: 1, tokenizer }), { config: 'pir-itr-test' });
  store = await openFileStore(path.join(work, 'a.pirdb'), { create: identityOf(model) });
  await indexImages({ model, store, root });
  // searches take 40 ms more here, so that a burst of requests fills the queue
  const slow = {
    get identity() {
      return store.identity;
    },
    count: store.count.bind(store),
    missing: store.missing.bind(store),
    get: store.get.bind(store),
    close: store.close.bind(store),
    add: store.add.bind(store),
    search: async (...a: Parameters<FileStore['search']>) => {
      await new Promise((ok) => setTimeout(ok, 40));
      return store.search(...a);
    },
  };
  server = createSearchServer({
    model,
    store: slow,
    maxBodyBytes: 64 * 1024,
    maxQueue: 1,
    imageOf: async (id) => {
      const item = await store.get(id);
      return item === undefined ? undefined : itemPng(item, 64);
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = serverUrl(server);
}, 120_000);

afterAll(async () => {
  await new Promise((ok) => server?.close(ok));
  model?.dispose();
  await rm(work, { recursive: true, force: true });
});

const post = (body: string) =>
  fetch(`${url}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

it('health, a text search, an image search that finds the image itself, the page, the image route', async () => {
  const h = await (await fetch(`${url}/health`)).json();
  expect(h).toEqual({ status: 'ok', model: identityOf(model), items: 12, captions: 0 });
  const r = await post(JSON.stringify({ text: 'a harbour with boats', k: 3 }));
  expect(r.status).toBe(200);
  const { hits } = await r.json();
  expect(hits.map((x: { rank: number }) => x.rank)).toEqual([1, 2, 3]);
  const first = await store.get(hits[0].id);
  const bytes = await readFile(path.join(first?.root as string, first?.path as string));
  const ri = await post(JSON.stringify({ image: bytes.toString('base64'), k: 1 }));
  expect((await ri.json()).hits[0].id).toBe(hits[0].id);
  const page = await fetch(`${url}/`);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  expect(await page.text()).toContain('<label for="q">Caption</label>');
  const img = await fetch(`${url}/image?id=${encodeURIComponent(hits[0].id)}`);
  expect(img.headers.get('content-type')).toBe('image/png');
  expect(
    Buffer.from(await img.arrayBuffer())
      .subarray(1, 4)
      .toString(),
  ).toBe('PNG');
  expect((await fetch(`${url}/image?id=..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
});

it('refuses bad requests with a clear 4xx, 503 when the queue is full, and keeps answering', async () => {
  const cases: [Promise<Response>, number, RegExp][] = [
    [post('{not json'), 400, /not JSON/],
    [post('[]'), 400, /exactly one of "text"/],
    [post(JSON.stringify({ text: 'x', k: 0 })), 400, /k must be an integer in \[1, 100\]/],
    [post(JSON.stringify({ text: 'x', image: 'y' })), 400, /exactly one/],
    [post(JSON.stringify({ image: 'bm90IGFuIGltYWdl' })), 400, /"image" is not an image/],
    [post(JSON.stringify({ text: 'a'.repeat(70 * 1024) })), 413, /limit/],
    [fetch(`${url}/search`), 405, /POST \/search/],
    [fetch(`${url}/nope`), 404, /no route \/nope/],
  ];
  for (const [p, status, msg] of cases) {
    const r = await p;
    expect(r.status).toBe(status);
    expect((await r.json()).error).toMatch(msg);
  }
  // one running + one waiting allowed: of 8 at once, some get 503 with Retry-After, the others answer
  const burst = await Promise.all(
    Array.from({ length: 8 }, (_, i) => post(JSON.stringify({ text: `a harbour ${i}`, k: 2 }))),
  );
  const codes = burst.map((r) => r.status);
  expect(codes).toContain(200);
  expect(codes).toContain(503);
  expect(burst.find((r) => r.status === 503)?.headers.get('retry-after')).toBe('1');
  await Promise.all(burst.map((r) => r.arrayBuffer()));
  expect((await fetch(`${url}/health`)).status).toBe(200);
});
