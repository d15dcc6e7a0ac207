/**
 * Does one optimiser step of the paper-size PIR-ITR at the paper's batch fit in the 4 GiB wasm heap? The
 * low-memory mode (activation checkpointing, gradient sink, no packed weight copies) with gradient caching in
 * micro-batches of 1: the gradient of the whole batch, one AdamW step, and the wasm heap after each (it never
 * shrinks: its size is its peak). A memory check, not a speed figure (`pir_training.ts` measures speed).
 *
 *   npx tsx benchmarks/pir_training_fit.ts [--batch 128] [--micro 1]
 */
import { createModel, type PirItr } from '@pir/models';
import { initBackend } from '@pir/runtime';
import {
  AdamW,
  computeGradients,
  disposeGradients,
  namedTrainableParameters,
  paramGroups,
  pirItrTask,
} from '@pir/train';
import * as tf from '@tensorflow/tfjs-core';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : dflt;
};
const rows = Number(arg('batch', '128'));
const micro = Number(arg('micro', '1'));
await initBackend({ backend: 'wasm', threads: 1, cachePackedWeights: false });
const model = createModel('pir-itr-paper', { seed: 1 }) as unknown as PirItr;
model.setGradientCheckpointing(true);
const L = 32;
const ids = tf.tensor2d(
  Array.from({ length: rows }, (_, b) =>
    Array.from({ length: L }, (_, j) => (j < 19 ? 1 + ((b * 31 + j * 7) % 999) : 0)),
  ),
  [rows, L],
  'int32',
);
const batch = {
  images: tf.randomUniform([rows, 224, 224, 3], -1, 1, 'float32', 2) as tf.Tensor4D,
  ids,
  mask: tf.cast(tf.greater(ids, 0), 'float32') as tf.Tensor2D,
  imageIds: Array.from({ length: rows }, (_, i) => i >> 1),
  labels: Array.from({ length: rows }, (_, i) => (i >> 1) % 5),
};
const heap = () =>
  `wasm heap ${((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length / 2 ** 20).toFixed(0)} of 4096 MiB`;
const optimizer = new AdamW(paramGroups(namedTrainableParameters(model)), { lr: 1e-4 });
console.log(`paper-size PIR-ITR, batch ${rows} as ${rows / micro} × ${micro}; model + optimiser: ${heap()}`);
const t0 = performance.now();
const r = computeGradients(pirItrTask(model), batch, { microBatch: micro });
await r.parts.loss.data();
console.log(`gradient: ${((performance.now() - t0) / 1000).toFixed(0)} s, ${heap()}`);
optimizer.step(r.grads);
disposeGradients(r);
console.log(`AdamW step done: ${heap()}, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
