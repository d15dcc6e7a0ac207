/**
 * The large chunked evaluation: 20,000 images × 100,000 captions (5 per image), D = 512, on wasm — the full
 * similarity matrix would be 8 GB of float32; @pir/metrics holds one block of `chunkSize` × 100,000 scores.
 * Reports wall time and peak RSS. Run: `npx tsx benchmarks/metrics_large.ts [chunkSize]` (takes minutes)
 * → results/metrics-large.json
 */
import os from 'node:os';
import { initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { captionToImageMap, evaluateRetrieval, formatReport } from '../packages/metrics/src/index.js';
import { quietStart, writeResult } from './lib/report.js';

const { load0, quiet } = quietStart();

const N_IMAGES = 20_000;
const PER_IMAGE = 5;
const N_TEXTS = N_IMAGES * PER_IMAGE;
const DIM = 512;
const chunkArg = process.argv[2] === undefined ? undefined : Number(process.argv[2]);

const info = await initBackend({ backend: 'wasm' });
console.log(`backend ${info.name} (simd ${info.simd}, threads ${info.threads}), ${os.cpus()[0]?.model}`);

const rng = new Rng('metrics-large');
const images = Float32Array.from({ length: N_IMAGES * DIM }, () => rng.normal());
const texts = new Float32Array(N_TEXTS * DIM);
for (let t = 0; t < N_TEXTS; t++) {
  const i = Math.floor(t / PER_IMAGE);
  for (let d = 0; d < DIM; d++) texts[t * DIM + d] = (images[i * DIM + d] as number) + 10 * rng.normal();
}
const map = captionToImageMap(N_IMAGES, PER_IMAGE);
const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20;
console.log(
  `inputs ready (${((images.byteLength + texts.byteLength) / 2 ** 20).toFixed(0)} MiB), RSS ${rssBeforeMiB.toFixed(0)} MiB`,
);

const t0 = performance.now();
const report = await evaluateRetrieval(
  { data: images, shape: [N_IMAGES, DIM] },
  { data: texts, shape: [N_TEXTS, DIM] },
  map,
  chunkArg === undefined ? {} : { chunkSize: chunkArg },
);
const ms = performance.now() - t0;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const chunkSize = chunkArg ?? Math.floor(2 ** 24 / N_TEXTS);
console.log(formatReport(report));
console.log(
  `20k × 100k: ${(ms / 1000).toFixed(1)} s, chunkSize ${chunkSize} (${Math.ceil(N_IMAGES / chunkSize)} blocks × 2 passes), ` +
    `peak RSS ${peakRssMiB.toFixed(0)} MiB (full matrix would be ${((N_IMAGES * N_TEXTS * 4) / 2 ** 30).toFixed(1)} GiB); ` +
    `tensors left ${tf.memory().numTensors}`,
);
const path = writeResult('metrics-large', {
  quiet,
  loadBefore: load0,
  sizes: { nImages: N_IMAGES, nTexts: N_TEXTS, dim: DIM },
  backend: { name: info.name, simd: info.simd, threads: info.threads },
  loadAverage1m: os.loadavg()[0],
  chunkSize,
  blocks: Math.ceil(N_IMAGES / chunkSize),
  wallMs: ms,
  peakRssMiB,
  rssBeforeEvaluationMiB: rssBeforeMiB,
  fullMatrixGiB: (N_IMAGES * N_TEXTS * 4) / 2 ** 30,
  metrics: { i2t: report.i2t.recall, t2i: report.t2i.recall, mR: report.mR },
});
console.log(`wrote ${path}`);
// wasm worker threads would keep Node alive
process.exit(0);
