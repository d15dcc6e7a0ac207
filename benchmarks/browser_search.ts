/**
 * The search page in Chromium against the Node indexer, on the same image files and the same model (the demo
 * model shipped with `examples/browser-search`), wasm with SIMD and one thread per core on both sides:
 *
 * - indexing throughput: the page (a Web Worker: read the file, decode with createImageBitmap, embed, commit
 *   to IndexedDB, make a preview) vs `indexImages` of `@pir/search/node` (decode with sharp, embed, commit to
 *   the embedded file store), batches of 16 on both;
 * - after a reload: time until the page is ready (worker, backend, model, the persisted index opened) and until
 *   the first caption search has drawn its hits — no image is embedded again;
 * - the first visit, for comparison (the browser's HTTP cache is warm after the first load on both counts).
 *
 *   npm run build && npx tsx benchmarks/browser_search.ts [--images 240] [--size 256] [--force]
 *
 * Refuses to start on a busy machine (load ≥ 0.5) unless --force. Writes `results/browser-search.json`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeImage, encodeImage, generateSyntheticImage } from '@pir/datasets';
import { loadModel } from '@pir/models/node';
import { initBackend } from '@pir/runtime';
import { imageVectors } from '@pir/search';
import { identityOf, indexImages, openStore } from '@pir/search/node';
import { buildAndServe, launchChromium } from '@pir/test-utils/page';
import { quietStart, writeResult } from './lib/report.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};
const { load0, quiet } = quietStart();
const N = arg('images', 240);
const SIZE = arg('size', 256);
const root = resolve(import.meta.dirname, '..');
const example = join(root, 'examples/browser-search');
const work = await mkdtemp(join(tmpdir(), 'pir-browser-bench-'));

// the images: N synthetic scenes as PNG files, the same bytes for both sides
const folder = join(work, 'images');
await mkdir(folder);
const files: { name: string; buffer: Buffer }[] = [];
for (let i = 0; i < N; i++) {
  const { sample, pixels } = generateSyntheticImage(i, { seed: 'bench', size: SIZE, count: N });
  const name = `${sample.labelName}_${i}.png`;
  const buffer = Buffer.from(await encodeImage(pixels, 'png'));
  await writeFile(join(folder, name), buffer);
  files.push({ name, buffer });
}
console.log(`${N} PNG files of ${SIZE} × ${SIZE} px; load average ${load0.toFixed(2)}`);

// ---- Node ----------------------------------------------------------------------------------------------
const info = await initBackend({ backend: 'wasm' });
const model = await loadModel(join(example, 'public/model'));
const nodeRuns: number[] = [];
for (let r = 0; r < 3; r++) {
  const store = await openStore(`file:${join(work, `store-${r}`)}`, { create: identityOf(model) });
  const s = await indexImages({ model, store, root: folder, batchSize: 16 });
  await store.close();
  nodeRuns.push(s.added / s.seconds);
}
// the model alone on decoded images (no decoding, no store), batches of 16
const decoded = await Promise.all(files.map((f) => decodeImage(new Uint8Array(f.buffer), { file: f.name })));
let embedMs = Number.POSITIVE_INFINITY;
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let i = 0; i < decoded.length; i += 16) await imageVectors(model, decoded.slice(i, i + 16));
  embedMs = Math.min(embedMs, performance.now() - t0);
}
console.log(
  `Node, the model alone: ${((N / embedMs) * 1000).toFixed(1)} images/s (${embedMs.toFixed(0)} ms for ${N})`,
);
model.dispose();
const nodeRate = Math.max(...nodeRuns);
console.log(
  `Node  (wasm, ${info.threads} threads): ${nodeRuns.map((x) => x.toFixed(1)).join(' / ')} images/s`,
);

// ---- Chromium ------------------------------------------------------------------------------------------
const served = await buildAndServe(example);
const url = served.url;
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const whenReady = () =>
  page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
let t = performance.now();
const query = process.argv.includes('--threads') ? `?threads=${arg('threads', 2)}` : '';
await page.goto(url + query);
await whenReady();
const firstVisitMs = performance.now() - t;
const backend = await page.textContent('#backend');
const browserRuns: number[] = [];
const browserPhases: Record<string, number>[] = [];
for (let r = 0; r < 3; r++) {
  if (r > 0) {
    page.once('dialog', (d) => void d.accept());
    await page.click('#clear');
    await page.waitForFunction(() => document.body.dataset.indexed === '0');
  }
  await page.evaluate(() => {
    delete document.body.dataset.lastRate;
  });
  await page.setInputFiles(
    '#files',
    files.map((f) => ({ name: f.name, mimeType: 'image/png', buffer: f.buffer })),
  );
  await page.waitForFunction(() => document.body.dataset.lastRate !== undefined, null, { timeout: 600_000 });
  browserRuns.push(Number(await page.evaluate(() => document.body.dataset.lastRate)));
  browserPhases.push(JSON.parse((await page.evaluate(() => document.body.dataset.lastPhases)) as string));
}
const browserRate = Math.max(...browserRuns);
console.log(`Chromium (${backend}): ${browserRuns.map((x) => x.toFixed(1)).join(' / ')} images/s`);
console.log(
  "  where the page's time went (ms, each run):",
  browserPhases
    .map((p) => JSON.stringify(p, (_, v) => (typeof v === 'number' ? Math.round(v) : v)))
    .join(' '),
);

const reloads: { readyMs: number; firstResultMs: number }[] = [];
for (let r = 0; r < 3; r++) {
  t = performance.now();
  await page.reload();
  await whenReady();
  const readyMs = performance.now() - t;
  await page.fill('#query', 'many boats are moored in the harbour');
  await page.press('#query', 'Enter');
  await page.waitForFunction(
    () => document.body.dataset.results !== undefined && document.querySelector('.hit canvas') !== null,
  );
  reloads.push({ readyMs, firstResultMs: performance.now() - t });
}
const indexed = Number(await page.evaluate(() => document.body.dataset.indexed));
await browser.close();
await served.close();
await rm(work, { recursive: true, force: true });
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const readyMs = med(reloads.map((x) => x.readyMs));
const firstResultMs = med(reloads.map((x) => x.firstResultMs));
console.log(
  `after a reload (${indexed} images indexed): ready in ${readyMs.toFixed(0)} ms, first hits drawn in ${firstResultMs.toFixed(0)} ms (median of 3); first visit ready in ${firstVisitMs.toFixed(0)} ms`,
);
console.log(`page / Node indexing throughput: ${(browserRate / nodeRate).toFixed(2)} (best of 3 each)`);
writeResult('browser-search', {
  quiet,
  loadBefore: load0,
  loadAfter: os.loadavg()[0],
  images: N,
  imageSize: SIZE,
  model: 'examples/browser-search/public/model (pir-itr-demo, 64 px)',
  node: { backend: `wasm, ${info.threads} threads`, imagesPerSecond: nodeRuns, modelAloneMs: embedMs },
  chromium: { version: browser.version(), backend, imagesPerSecond: browserRuns, phases: browserPhases },
  ratioBest: browserRate / nodeRate,
  reload: { runs: reloads, medianReadyMs: readyMs, medianFirstResultMs: firstResultMs },
  firstVisitReadyMs: firstVisitMs,
});
