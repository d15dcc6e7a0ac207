/**
 * `pir index` and `pir serve` as a service, on the synthetic benchmark (PNG scenes on disk) with the `pir demo`
 * model's configuration (`pir-itr-tiny`, 64 px; random weights — speed does not depend on them):
 *
 * A. Indexing throughput, images/s, three ways in one run: the model alone on pre-decoded images (the encoder's
 *    figure: preprocessing + `embedImages`, nothing read from disk), `indexImages` into a store that keeps
 *    nothing (reading and decoding files, batching), and `indexImages` into the embedded store (segments
 *    written with fsync). The store must not be what indexing waits for.
 * B. `pir serve` (the real CLI, in a child process) under a bounded load test: `--clients` concurrent clients
 *    POST /search with captions for `--seconds`; requests/s, p50/p99 latency, errors (any non-200), and the
 *    server's RSS sampled every second (flat memory: first vs last 5 s).
 *
 * Run (packages built, quiet machine): npx tsx benchmarks/search_service.ts [--images 480] [--clients 20]
 * [--seconds 30] → results/search-service.json
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evalTransform, loadImage, writeSynthetic } from '@pir/datasets';
import { imageToTensor } from '@pir/datasets/transforms';
import { buildWordVocab } from '@pir/encoders';
import { createModel } from '@pir/models';
import { loadModel, saveModel } from '@pir/models/node';
import { initBackend } from '@pir/runtime';
import type { VectorStore } from '@pir/search';
import { identityOf, indexImages, listImages, openFileStore } from '@pir/search/node';
import * as tf from '@tensorflow/tfjs-core';
import { quietStart, writeResult } from './lib/report.js';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '480' },
    clients: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '30' },
  },
});
const N = Number(args.images);
const CLIENTS = Number(args.clients);
const SECONDS = Number(args.seconds);
const { load0, quiet } = quietStart();
console.log(`load average ${load0.toFixed(2)}${load0 >= 0.5 ? ' (NOT QUIET: figures are indicative)' : ''}`);

const work = await mkdtemp(path.join(os.tmpdir(), 'pir-bench-service-'));
let server: ChildProcess | undefined;
try {
  const info = await initBackend({ backend: 'wasm' });
  const ds = await writeSynthetic(path.join(work, 'data'), { seed: 9, count: N, size: 64 });
  void ds;
  const root = path.join(work, 'data', 'images');
  const captions = generateCaptions();
  const tokenizer = buildWordVocab(captions, { contextLength: 32 });
  const modelDir = path.join(work, 'model');
  const built = createModel('pir-itr-tiny', { seed: 1, tokenizer });
  await saveModel(built, modelDir, { config: 'pir-itr-tiny' });
  built.dispose();
  const model = await loadModel(modelDir);
  const files = await listImages(root);
  const size = 64;
  const B = 32;

  // A1: the model alone on pre-decoded images
  const decoded = await Promise.all(files.map((f) => loadImage(path.join(root, f))));
  const embedAll = async () => {
    for (let s = 0; s < decoded.length; s += B) {
      const e = tf.tidy(() =>
        model.embedImages(
          tf.stack(
            decoded.slice(s, s + B).map((im) => evalTransform(imageToTensor(im) as tf.Tensor3D, { size })),
          ) as tf.Tensor4D,
          { batchSize: B },
        ),
      );
      await e.data();
      e.dispose();
    }
  };
  await embedAll(); // warm-up
  let t = performance.now();
  await embedAll();
  const encoderIps = decoded.length / ((performance.now() - t) / 1000);

  // A2: the indexer into a store that keeps nothing
  const nullStore: VectorStore = {
    identity: identityOf(model),
    count: async () => 0,
    missing: async (ids) => [...ids],
    get: async () => undefined,
    add: async (_i, items) => items.length,
    search: async () => [],
    close: async () => {},
  };
  t = performance.now();
  await indexImages({ model, store: nullStore, root, batchSize: B });
  const nullIps = files.length / ((performance.now() - t) / 1000);

  // A3: the indexer into the embedded store
  const storeDir = path.join(work, 'archive.pirdb');
  const store = await openFileStore(storeDir, { create: identityOf(model) });
  t = performance.now();
  await indexImages({ model, store, root, batchSize: B });
  const fileIps = files.length / ((performance.now() - t) / 1000);
  await store.close();
  model.dispose();
  console.log(
    `indexing ${files.length} images: encoder alone ${encoderIps.toFixed(1)} images/s, indexer without a store ${nullIps.toFixed(1)}, with the embedded store ${fileIps.toFixed(1)} (${((fileIps / nullIps) * 100).toFixed(0)} % of no store)`,
  );

  // B: pir serve under load
  const port = 18000 + Math.floor(Math.random() * 2000);
  const bin = path.join(import.meta.dirname, '..', 'packages', 'cli', 'bin', 'pir.js');
  server = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--model',
      modelDir,
      '--store',
      `file:${storeDir}`,
      '--port',
      String(port),
      '--max-queue',
      String(CLIENTS * 2),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 600) throw new Error('pir serve did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const rss: number[] = [];
  const sampler = setInterval(() => {
    const status = readFileSync(`/proc/${server?.pid}/status`, 'utf8');
    rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024);
  }, 1000);
  const lat: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  const client = async (c: number) => {
    let i = c;
    while (performance.now() < end) {
      const body = JSON.stringify({ text: captions[i++ % captions.length], k: 10 });
      const t0 = performance.now();
      try {
        const r = await fetch(`${url}/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status !== 200) errors++;
      } catch {
        errors++;
      }
      lat.push(performance.now() - t0);
    }
  };
  t = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  const wall = (performance.now() - t) / 1000;
  clearInterval(sampler);
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] as number;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const serve = {
    clients: CLIENTS,
    seconds: wall,
    requests: lat.length,
    requestsPerSecond: lat.length / wall,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    errors,
    statuses: Object.fromEntries(statuses),
    rssMiB: {
      first5s: mean(rss.slice(0, 5)),
      last5s: mean(rss.slice(-5)),
      max: Math.max(...rss),
      samples: rss,
    },
  };
  console.log(
    `pir serve, ${CLIENTS} clients × ${wall.toFixed(0)} s: ${serve.requestsPerSecond.toFixed(1)} req/s, p50 ${serve.p50Ms.toFixed(0)} ms, p99 ${serve.p99Ms.toFixed(0)} ms, ${errors} errors; RSS ${serve.rssMiB.first5s.toFixed(0)} → ${serve.rssMiB.last5s.toFixed(0)} MiB (max ${serve.rssMiB.max.toFixed(0)})`,
  );
  const load1 = os.loadavg()[0] as number;
  console.log(
    `→ ${writeResult('search-service', {
      quiet,
      loadAverage: { before: load0, after: load1 },
      backend: { name: info.name, threads: info.threads, simd: info.simd },
      model: 'pir-itr-tiny (64 px, random weights)',
      indexing: {
        images: files.length,
        batchSize: B,
        encoderImagesPerSecond: encoderIps,
        indexerNoStoreImagesPerSecond: nullIps,
        indexerFileStoreImagesPerSecond: fileIps,
      },
      serve,
    })}`,
  );
} finally {
  server?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

/** Captions in the synthetic benchmark's words, varied. */
function generateCaptions(): string[] {
  const things = ['boats', 'planes', 'trees', 'houses', 'cars', 'tanks', 'ships', 'fields'];
  const places = [
    'a harbour',
    'an airport',
    'a forest',
    'a town',
    'a parking lot',
    'farmland',
    'a port',
    'a river',
  ];
  const out: string[] = [];
  for (const p of places)
    for (const t of things)
      for (const n of ['two', 'several', 'many']) out.push(`${p} with ${n} ${t} beside a long road`);
  return out;
}
