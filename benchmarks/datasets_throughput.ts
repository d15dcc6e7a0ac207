/**
 * @pir/datasets images, transforms and synthetic benchmark: generation throughput, decode throughput (PNG,
 * JPEG, TIFF at 224 px) and transform throughput (eval and train pipelines on batches of 32, wasm), against
 * PIL + torch on the same files in the same run, and against the training step the data pipeline feeds.
 *
 * Run: `npx tsx benchmarks/datasets_throughput.ts [--n 96]` → results/datasets-throughput.json
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage, encodeImage, loadImage, type RawImage } from '../packages/datasets/src/images/index.js';
import { generateSyntheticImage, writeSynthetic } from '../packages/datasets/src/synthetic/index.js';
import { evalTransform, imagesToBatch, trainTransform } from '../packages/datasets/src/transforms/index.js';
import { quietStart, runPython, writeResult } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('n', 96); // images per measurement
const BATCH = 32;
const SIZE = 224;
/** Reference training step for a batch of 32 (benchmarks/README: 2-layer transformer, repaired wasm, 2 threads). */
const STEP_MS_32 = 488;

const rate = (n: number, ms: number) => (n * 1000) / ms;
const fmt = (v: number) => v.toFixed(1);

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

async function main() {
  const { load0, quiet } = quietStart();
  const backend = await initBackend({ backend: 'wasm' });
  const dir = await mkdtemp(join(os.tmpdir(), 'pir-bench-ds-'));
  const landsat = join(here, '../../shared/data/rasters/L7_ETMs.tif');
  const texture = existsSync(landsat) ? await loadImage(landsat, { bands: [2, 1, 0] }) : undefined;
  try {
    // 1. generation in memory, 224 px
    const opts = { seed: 1, size: SIZE, count: N, texture };
    generateSyntheticImage(0, opts);
    const [, genMs] = await timed(() => {
      for (let i = 0; i < N; i++) generateSyntheticImage(i, opts);
    });
    const gen64 = { ...opts, size: 64 };
    const [, gen64Ms] = await timed(() => {
      for (let i = 0; i < N; i++) generateSyntheticImage(i, gen64);
    });
    // 2. generation + PNG encoding + files + JSON
    const [written, writeMs] = await timed(() => writeSynthetic(join(dir, 'synthetic'), opts));
    // the same images as JPEG (RSICD) and TIFF (RSITMD) for decode timings
    const pngs: string[] = [];
    for (const s of ['train', 'val', 'test']) {
      const list = JSON.parse(await readFile(written.files[s as 'train'], 'utf8')) as { image: string }[];
      for (const e of list) if (!pngs.includes(e.image)) pngs.push(e.image);
    }
    const bytes: Record<string, Uint8Array[]> = { png: [], jpg: [], tif: [] };
    for (const p of pngs) {
      const png = new Uint8Array(await readFile(join(written.imageDir, p)));
      const raw = await decodeImage(png);
      bytes.png?.push(png);
      const jpg = await encodeImage(raw, 'jpeg', { quality: 90 });
      const tif = await encodeImage(raw, 'tiff');
      bytes.jpg?.push(jpg);
      bytes.tif?.push(tif);
      await writeFile(join(dir, 'synthetic', 'images', p.replace(/\.png$/, '.jpg')), jpg);
      await writeFile(join(dir, 'synthetic', 'images', p.replace(/\.png$/, '.tif')), tif);
    }
    // 3. decode: one at a time, and 4 in flight (sharp decodes on its own thread pool)
    const decode: Record<string, { sequential_per_s: number; concurrent4_per_s: number }> = {};
    let decoded: RawImage[] = [];
    for (const [fmtName, list] of Object.entries(bytes)) {
      await decodeImage(list[0] as Uint8Array);
      const [imgs, seqMs] = await timed(async () => {
        const out: RawImage[] = [];
        for (const b of list) out.push(await decodeImage(b));
        return out;
      });
      const [, parMs] = await timed(async () => {
        const out: RawImage[] = new Array(list.length);
        let next = 0;
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            while (next < list.length) {
              const k = next++;
              out[k] = await decodeImage(list[k] as Uint8Array);
            }
          }),
        );
        return out;
      });
      decode[fmtName] = {
        sequential_per_s: rate(list.length, seqMs),
        concurrent4_per_s: rate(list.length, parMs),
      };
      if (fmtName === 'png') decoded = imgs;
    }
    // 4. transforms on batches of 32 (wasm): RawImage → tensor, eval pipeline, train pipeline
    const batches: RawImage[][] = [];
    for (let k = 0; k + BATCH <= decoded.length; k += BATCH) batches.push(decoded.slice(k, k + BATCH));
    const rng = new Rng(3);
    const runEval = () => {
      for (const b of batches) {
        const x = imagesToBatch(b);
        const y = evalTransform(x, { antialias: true });
        tf.dispose([x, y]);
      }
    };
    const runTrain = (randAugment: boolean) => () => {
      for (const b of batches) {
        const x = imagesToBatch(b);
        const y = trainTransform(x, rng, {
          antialias: true,
          ...(randAugment ? {} : { randAugment: false as const }),
        });
        tf.dispose([x, y]);
      }
    };
    const runToTensor = () => {
      for (const b of batches) imagesToBatch(b).dispose();
    };
    const nT = batches.length * BATCH;
    const transforms: Record<string, number> = {};
    for (const [name, fn] of [
      ['toTensor', runToTensor],
      ['eval', runEval],
      ['train_no_randaugment', runTrain(false)],
      ['train', runTrain(true)],
    ] as const) {
      (fn as () => void)(); // warm-up
      const [, ms] = await timed(fn as () => void);
      transforms[`${name}_per_s`] = rate(nT, ms);
    }
    // 5. the same with PIL + torch (1 thread), same files
    const py = runPython(
      join(here, 'datasets_throughput_torch.py'),
      [join(dir, 'synthetic', 'images'), String(N), String(BATCH)],
      {
        OPENBLAS_NUM_THREADS: '1',
      },
    ) as Record<string, number>;
    const load1 = os.loadavg()[0] as number;

    const genRate = rate(N, genMs);
    const perBatchMs = (r: number) => (BATCH * 1000) / r;
    const pipelineMs =
      perBatchMs(decode.png?.concurrent4_per_s ?? 1) + perBatchMs(transforms.train_per_s ?? 1);
    const result = {
      n: N,
      size: SIZE,
      batch: BATCH,
      backend: { name: backend.name, threads: backend.threads, simd: backend.simd },
      texture: texture ? 'Landsat-7 L7_ETMs.tif B3/B2/B1' : null,
      generation_per_s: { size224: genRate, size64: rate(N, gen64Ms), write_png_224: rate(N, writeMs) },
      decode,
      transforms,
      torch: py,
      pipeline_ms_per_batch32: pipelineMs,
      training_step_ms_per_batch32: STEP_MS_32,
      loadavg: { start: load0, end: load1 },
    };
    const path = writeResult('datasets-throughput', { ...result, quiet });
    console.log(
      `backend ${backend.name} (${backend.threads} thread(s)), ${N} images at ${SIZE} px, load ${load0.toFixed(2)} → ${load1.toFixed(2)}`,
    );
    console.log(
      `generation   : ${fmt(genRate)} img/s in memory (64 px: ${fmt(rate(N, gen64Ms))}), ${fmt(rate(N, writeMs))} img/s written as PNG + JSON`,
    );
    for (const [k, v] of Object.entries(decode)) {
      const t = py[`decode_${k}_per_s`];
      console.log(
        `decode ${k.padEnd(4)}: ${fmt(v.sequential_per_s)} img/s sequential, ${fmt(v.concurrent4_per_s)} with 4 in flight; PIL ${t ? fmt(t) : '—'} (${t ? (v.concurrent4_per_s / t).toFixed(2) : '—'}×)`,
      );
    }
    for (const [k, v] of Object.entries(transforms)) {
      const t = py[k];
      console.log(`${k.padEnd(22)}: ${fmt(v)} img/s${t ? `; torch ${fmt(t)} (${(v / t).toFixed(2)}×)` : ''}`);
    }
    console.log(
      `pipeline per batch of 32 (PNG decode ×4 + train transform): ${pipelineMs.toFixed(0)} ms vs training step ${STEP_MS_32} ms (${(pipelineMs / STEP_MS_32).toFixed(2)}×)`,
    );
    console.log(`→ ${path}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
