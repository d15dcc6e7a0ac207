/**
 * Is `@pir/*` on wasm ever slower than onnxruntime-web's wasm engine (the one behind transformers.js)? The CLIP
 * ViT-B/32 image tower and ResNet-50 (batch 8) and the CLIP text tower (batch 32 × 77) with random weights, in one
 * cross-origin-isolated page in headless Chromium: onnxruntime-web 1.30 on PyTorch's ONNX export of the
 * reference modules (`ort_web_export.py`, graph optimisation 'all'), `@pir/encoders` on `@pir/runtime`'s wasm
 * backend, on the page's main thread (`tfjs`) and in a module Worker (`tfjs-worker`); all SIMD with the same
 * thread count. Each engine and model runs in a fresh page.
 *
 *   npm run build && npx tsx benchmarks/ort_web.ts [--threads 2] [--reps 3] [--force]
 *     [--models clip_text,…] [--engines ort,tfjs,tfjs-worker] [--no-parallel-gemm]   (partial / A/B runs:
 *     printed, not recorded)
 *
 * Refuses to start on a busy machine (load ≥ 0.5) unless --force. Writes `results/ort-web.json`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { buildAndServe, launchChromium } from '@pir/test-utils/page';
import { quietStart, runPython, writeResult } from './lib/report.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};
const { load0, quiet } = quietStart();
const threads = arg('threads', 2);
const reps = arg('reps', 3);
const parallelGemm = !process.argv.includes('--no-parallel-gemm');
const only = process.argv.includes('--models')
  ? String(process.argv[process.argv.indexOf('--models') + 1]).split(',')
  : ['vit_b32', 'resnet50', 'clip_text'];
const ENGINES = ['ort', 'tfjs', 'tfjs-worker'] as const;
const engines = process.argv.includes('--engines')
  ? (String(process.argv[process.argv.indexOf('--engines') + 1]).split(',') as (typeof ENGINES)[number][])
  : ENGINES;
const here = import.meta.dirname;
const served = await buildAndServe(resolve(here, 'browser/ort'));
try {
  const models = join(served.outDir, 'models');
  await mkdir(models);
  runPython(join(here, 'ort_web_export.py'), [models]);
  const ortDist = resolve(here, '../node_modules/onnxruntime-web/dist');
  await mkdir(join(served.outDir, 'ort'));
  for (const f of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'])
    await copyFile(join(ortDist, f), join(served.outDir, 'ort', f));
  const browser = await launchChromium();
  const rows: Record<string, unknown>[] = [];
  for (const model of ['vit_b32', 'resnet50', 'clip_text'] as const) {
    if (!only.includes(model)) continue;
    const row: Record<string, unknown> = { model, batch: model === 'clip_text' ? 32 : 8 };
    for (const engine of engines) {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.error('page error:', e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') console.error(`page ${m.type()}:`, m.text());
      });
      await page.goto(`${served.url}?threads=${threads}${parallelGemm ? '' : '&parallelGemm=0'}`);
      await page.waitForFunction(() => 'bench' in window);
      if (!(await page.evaluate(() => crossOriginIsolated)))
        throw new Error('the page is not cross-origin isolated');
      const r = (await page.evaluate(
        ([e, m, n]) => (window as unknown as { bench: (...a: unknown[]) => Promise<unknown> }).bench(e, m, n),
        [engine, model, reps] as const,
      )) as { medianMs: number; minMs: number };
      row[engine] = r;
      console.log(`${model} ${engine}: median ${r.medianMs.toFixed(0)} ms, min ${r.minMs.toFixed(0)} ms`);
      await page.close();
    }
    const o = row.ort as { medianMs: number } | undefined;
    const t = row.tfjs as { medianMs: number } | undefined;
    const tw = row['tfjs-worker'] as { medianMs: number } | undefined;
    if (o !== undefined && t !== undefined) {
      row.tfjsOverOrt = t.medianMs / o.medianMs;
      console.log(
        `${model}: @pir/* (page) time ÷ onnxruntime-web time = ${(t.medianMs / o.medianMs).toFixed(2)}`,
      );
    }
    if (o !== undefined && tw !== undefined) {
      row.tfjsWorkerOverOrt = tw.medianMs / o.medianMs;
      console.log(
        `${model}: @pir/* (Worker) time ÷ onnxruntime-web time = ${(tw.medianMs / o.medianMs).toFixed(2)}`,
      );
    }
    rows.push(row);
  }
  // a partial or A/B run is printed, not recorded over the full comparison
  const record = engines.length === ENGINES.length && only.length === 3 && parallelGemm;
  if (record) {
    writeResult('ort-web', {
      quiet,
      loadBefore: load0,
      loadAfter: os.loadavg()[0],
      threads,
      reps,
      chromium: browser.version(),
      onnxruntimeWeb: '1.30.0 (wasm execution provider, SIMD, threads)',
      rows,
    });
  }
  await browser.close();
} finally {
  await served.close();
}
