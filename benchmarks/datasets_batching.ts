/**
 * @pir/datasets batching and loading: the BatchSampler's epoch against torch's BatchSampler(RandomSampler),
 * prefetch overlap of decode and training step, and loading the real rsitmd_train.json against Python's
 * json.load + grouping. Run: `npx tsx benchmarks/datasets_batching.ts` → results/datasets-batching.json
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPirJson } from '../packages/datasets/src/annotations/index.js';
import { BatchSampler, prefetch } from '../packages/datasets/src/batching/index.js';
import { quietStart, runPython, time, writeResult } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const N_CAPTIONS = 17175; // RSITMD train
const PER_IMAGE = 5;
const BATCH = 256;
const TRAIN_JSON = resolve(here, '../../shared/data/annotations/rsitmd_train.json');

const captionToImage = Int32Array.from({ length: N_CAPTIONS }, (_, t) => Math.floor(t / PER_IMAGE));
const imageLabels = Int32Array.from({ length: N_CAPTIONS / PER_IMAGE }, (_, i) => i % 33);

async function main() {
  const { load0, quiet } = quietStart();
  // 1. one epoch of batches
  const sampler = {} as Record<string, number>;
  for (const k of [1, 5]) {
    const s = new BatchSampler(
      { captionToImage, imageLabels },
      { batchSize: k === 1 ? BATCH : 255, captionsPerImage: k, seed: 0 },
    );
    const t = await time(
      () => {
        for (const _ of s.epoch()) {
          // consume
        }
      },
      { reps: 7 },
    );
    sampler[`k${k}_ms`] = t.medianMs;
  }
  // 2. prefetch overlap: 40 batches, decode 6 ms (async, like I/O or a worker), training step 6 ms (busy)
  const busy = (ms: number) => {
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      // the training step
    }
  };
  const decode = (b: unknown) => new Promise((r) => setTimeout(() => r(b), 6));
  const overlap = {} as Record<string, number>;
  for (const depth of [0, 1, 2, 4]) {
    const t = await time(
      async () => {
        const s = new BatchSampler({ captionToImage }, { batchSize: BATCH, seed: 1 });
        let n = 0;
        for await (const _ of prefetch(s.epoch(), decode, { depth })) {
          busy(6);
          if (++n === 40) break;
        }
      },
      { warmup: 1, reps: 3 },
    );
    overlap[`depth${depth}_ms`] = t.medianMs;
  }
  // 3. loading the real annotation file
  let loading: Record<string, number> | undefined;
  const hasFile = existsSync(TRAIN_JSON);
  if (hasFile) {
    const t = await time(() => loadPirJson(readFileSync(TRAIN_JSON, 'utf8'), { file: 'rsitmd_train.json' }), {
      reps: 5,
    });
    loading = { pir_ms: t.medianMs };
  }
  const py = runPython(join(here, 'datasets_batching_torch.py'), [
    String(N_CAPTIONS),
    String(BATCH),
    ...(hasFile ? [TRAIN_JSON] : []),
  ]) as Record<string, number>;
  const result = {
    loadAverage: [load0, os.loadavg()[0]],
    sampler: { ...sampler, torch_ms: py.sampler_ms, ratio_k1_vs_torch: py.sampler_ms / sampler.k1_ms! },
    prefetch: { ...overlap, speedup_depth2: overlap.depth0_ms! / overlap.depth2_ms!, ideal_ms: 40 * 6 },
    loading: loading
      ? { ...loading, python_ms: py.load_ms, ratio_vs_python: py.load_ms / loading.pir_ms! }
      : 'rsitmd_train.json not found',
    torch: py.torch,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`results: ${writeResult('datasets-batching', { ...result, quiet })}`);
}

await main();
process.exit(0);
