/**
 * RSICD-sized retrieval evaluation (1,093 images × 5,465 captions, D = 512): @pir/metrics on wasm against the
 * loop-and-argsort evaluation of the published code (numpy, `metrics_reference.py`) and a plain JS loop + sort,
 * on the same embeddings. Run: `npx tsx benchmarks/metrics_rsicd.ts` → results/metrics-rsicd.json
 *
 * Two comparisons:
 * - ranking: from a precomputed similarity matrix (what the published `i2t`/`t2i` take) —
 *   `evaluateSimilarity` vs numpy's per-query argsort loop vs a JS per-query sort;
 * - end to end: from embeddings (normalise + matmul + ranking) — `evaluateRetrieval` vs numpy (`a @ b.T` + loop).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import {
  captionToImageMap,
  evaluateRetrieval,
  evaluateSimilarity,
  formatReport,
} from '../packages/metrics/src/index.js';
import { quietStart, runPython, time, writeResult } from './lib/report.js';

const { load0, quiet } = quietStart();

const N_IMAGES = 1093;
const PER_IMAGE = 5;
const N_TEXTS = N_IMAGES * PER_IMAGE;
const DIM = 512;
const REPS = 5;

/** Captions = their image + noise (difficulty tuned for mid-range recalls), float32, seeded. */
function embeddings(): { images: Float32Array; texts: Float32Array } {
  const rng = new Rng('metrics-rsicd');
  const images = Float32Array.from({ length: N_IMAGES * DIM }, () => rng.normal());
  const texts = new Float32Array(N_TEXTS * DIM);
  for (let t = 0; t < N_TEXTS; t++) {
    const i = Math.floor(t / PER_IMAGE);
    for (let d = 0; d < DIM; d++) texts[t * DIM + d] = (images[i * DIM + d] as number) + 10 * rng.normal();
  }
  return { images, texts };
}

/** The JS reference: cosine matrix given, one full sort per query (indices by descending score). */
function jsLoopAndSort(sim: Float32Array): { i2t: Int32Array; t2i: Int32Array } {
  const i2t = new Int32Array(N_IMAGES);
  for (let i = 0; i < N_IMAGES; i++) {
    const row = sim.subarray(i * N_TEXTS, (i + 1) * N_TEXTS);
    const order = Array.from({ length: N_TEXTS }, (_, t) => t).sort(
      (a, b) => (row[b] as number) - (row[a] as number),
    );
    let best = N_TEXTS;
    for (let t = i * PER_IMAGE; t < (i + 1) * PER_IMAGE; t++) best = Math.min(best, order.indexOf(t));
    i2t[i] = best + 1;
  }
  const t2i = new Int32Array(N_TEXTS);
  const col = new Float32Array(N_IMAGES);
  for (let t = 0; t < N_TEXTS; t++) {
    for (let i = 0; i < N_IMAGES; i++) col[i] = sim[i * N_TEXTS + t] as number;
    const order = Array.from({ length: N_IMAGES }, (_, i) => i).sort(
      (a, b) => (col[b] as number) - (col[a] as number),
    );
    t2i[t] = order.indexOf(Math.floor(t / PER_IMAGE)) + 1;
  }
  return { i2t, t2i };
}

const info = await initBackend({ backend: 'wasm' });
console.log(`backend ${info.name} (simd ${info.simd}, threads ${info.threads}), ${os.cpus()[0]?.model}`);
const { images, texts } = embeddings();
const map = captionToImageMap(N_IMAGES, PER_IMAGE);
const imagesM = { data: images, shape: [N_IMAGES, DIM] as const };
const textsM = { data: texts, shape: [N_TEXTS, DIM] as const };

// The cosine matrix every ranking-only contender starts from (computed once, on the backend).
const simT = tf.tidy(() => {
  const a = tf.tensor2d(images, [N_IMAGES, DIM]);
  const b = tf.tensor2d(texts, [N_TEXTS, DIM]);
  const an = tf.div(a, tf.norm(a, 'euclidean', 1, true));
  const bn = tf.div(b, tf.norm(b, 'euclidean', 1, true));
  return tf.matMul(an, bn, false, true); // [Ni, Nt]
});
const sim = (await simT.data()) as Float32Array;
simT.dispose();
const simM = { data: sim, shape: [N_IMAGES, N_TEXTS] as const };

const endToEnd = await time(() => evaluateRetrieval(imagesM, textsM, map), { warmup: 2, reps: REPS });
const ranking = await time(() => evaluateSimilarity(simM, map), { warmup: 2, reps: REPS });
const report = await evaluateRetrieval(imagesM, textsM, map);
console.log(formatReport(report));

const jsRef = await time(() => jsLoopAndSort(sim), { warmup: 0, reps: 3 });
const js = jsLoopAndSort(sim);
const fromSim = await evaluateSimilarity(simM, map);
const jsAgrees =
  js.i2t.every((r, i) => r === fromSim.i2t.ranks[i]) && js.t2i.every((r, t) => r === fromSim.t2i.ranks[t]);

const dir = mkdtempSync(join(os.tmpdir(), 'pir-metrics-'));
let py: Record<string, unknown>;
try {
  writeFileSync(join(dir, 'images.f32'), images);
  writeFileSync(join(dir, 'texts.f32'), texts);
  py = runPython(new URL('./metrics_reference.py', import.meta.url).pathname, [
    join(dir, 'images.f32'),
    join(dir, 'texts.f32'),
    String(N_IMAGES),
    String(N_TEXTS),
    String(DIM),
    String(REPS),
  ]) as Record<string, unknown>;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const pyI2t = py.i2tRanks1 as number[];
const pyT2i = py.t2iRanks1 as number[];
const rankMismatches =
  pyI2t.filter((r, i) => r !== report.i2t.ranks[i]).length +
  pyT2i.filter((r, t) => r !== report.t2i.ranks[t]).length;

const loopMs = py.loopMs as number;
const pyTotalMs = py.totalMs as number;
const ratios = {
  rankingVsNumpyLoop: loopMs / ranking.medianMs,
  rankingVsJsLoop: jsRef.medianMs / ranking.medianMs,
  endToEndVsNumpy: pyTotalMs / endToEnd.medianMs,
  endToEndVsNumpyLoopOnly: loopMs / endToEnd.medianMs,
};
const f = (x: number) => x.toFixed(1);
console.log(
  `ranking from sim   : @pir/metrics ${f(ranking.medianMs)} ms | numpy argsort loop ${f(loopMs)} ms (×${f(ratios.rankingVsNumpyLoop)}) | JS sort loop ${f(jsRef.medianMs)} ms (×${f(ratios.rankingVsJsLoop)})`,
);
console.log(
  `end to end (embed.): @pir/metrics ${f(endToEnd.medianMs)} ms | numpy matmul ${f(py.similarityMs as number)} + loop ${f(loopMs)} ms (×${f(ratios.endToEndVsNumpy)})`,
);
console.log(
  `agreement: JS sort ranks ${jsAgrees ? 'identical' : 'DIFFER'}; numpy ranks differ on ${rankMismatches} of ${N_IMAGES + N_TEXTS} queries (float32 matmul rounding / argsort tie order)`,
);

const path = writeResult('metrics-rsicd', {
  quiet,
  loadBefore: load0,
  sizes: { nImages: N_IMAGES, nTexts: N_TEXTS, dim: DIM },
  backend: { name: info.name, simd: info.simd, threads: info.threads },
  loadAverage1m: os.loadavg()[0],
  pirMetrics: { rankingFromSim: ranking, endToEndFromEmbeddings: endToEnd },
  numpy: {
    version: py.numpy,
    similarityMs: py.similarityMs,
    loopMs,
    loopRunsMs: py.loopRunsMs,
    totalMs: pyTotalMs,
  },
  jsLoopAndSort: jsRef,
  ratios,
  metrics: { i2t: report.i2t.recall, t2i: report.t2i.recall, mR: report.mR, numpyMR: py.mR },
  agreement: { jsSortRanksIdentical: jsAgrees, numpyRankMismatches: rankMismatches },
});
console.log(`wrote ${path}`);
// wasm worker threads would keep Node alive
process.exit(0);
