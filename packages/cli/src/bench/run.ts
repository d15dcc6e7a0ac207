/**
 * `pir bench`: how fast this machine runs the `@pir/*` models — inference throughput of the published
 * encoders at their sizes (Swin-T, BERT-base, ResNet-50 frozen, CLIP ViT-B/32 and its text tower) and the
 * training step of PIR-ITR at the `tiny` and `base` sizes of `@pir/models`' configurations (AdamW, the
 * recipe's batch), on the chosen backend. Each figure is the median of a few timed runs after one warm-up run;
 * items/s = batch / median.
 *
 * The side-by-side comparison with PyTorch lives in the repository's `benchmarks/` (it needs Python); this
 * command needs nothing but the installed packages, so any user can measure their own machine.
 */
import {
  BertEncoder,
  CLIP_TEXT_B32,
  CLIP_VIT_B32,
  ClipTextTransformer,
  ClipVisionTransformer,
  RESNET50,
  ResNet,
  SWIN_T,
  SwinTransformer,
} from '@pir/encoders';
import { createModel, type PirItr } from '@pir/models';
import { AdamW, namedTrainableParameters, paramGroups, pirItrTask, readStep, trainStep } from '@pir/train';
import * as tf from '@tensorflow/tfjs-core';

/** One measured row. */
export interface BenchRow {
  /** What ran, e.g. `'Swin-T (PIR-ITR vision)'`. */
  name: string;
  /** `'inference'` or `'training step'`. */
  kind: 'inference' | 'training step';
  /** Rows per run (images or captions; captions for a training step). */
  batch: number;
  /** Milliseconds per run, sorted (after one warm-up run). */
  ms: number[];
  /** batch / median ms · 1000. */
  perSecond: number;
  /** Bytes held by tfjs at the end of the measurement's first run (weights, optimiser state, caches). */
  bytes: number;
}

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** `'quick'` (default: 3 timed runs, the base step at batch 16) or `'full'` (7 runs, the recipes' batches). */
  mode?: 'quick' | 'full';
  /** Only the rows whose name contains one of these (case-insensitive). */
  only?: readonly string[];
  /** Called before each row with its name. */
  onRow?: (name: string) => void;
}

function median(sorted: readonly number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[m] as number)
    : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
}

async function time(runs: number, once: () => Promise<void>): Promise<{ ms: number[]; bytes: number }> {
  await once(); // warm-up: kernels compiled, caches (folded BatchNorm, Winograd filters) made
  const bytes = tf.memory().numBytes;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await once();
    ms.push(performance.now() - t0);
  }
  return { ms: ms.sort((a, b) => a - b), bytes };
}

function ids(batch: number, length: number, vocab: number): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  return tf.tidy(() => {
    const real = Math.max(2, Math.round(0.6 * length)); // captions shorter than the context: padding is masked
    const row = Array.from({ length }, (_, j) => (j < real ? 1 + ((j * 37) % (vocab - 1)) : 0));
    const ids = tf.tensor2d(
      Array.from({ length: batch }, () => row),
      [batch, length],
      'int32',
    );
    return { ids, mask: tf.cast(tf.greater(ids, 0), 'float32') as tf.Tensor2D };
  });
}

/** Measure inference and training on the current backend (call `initBackend` first). */
export async function runBench(options: BenchOptions = {}): Promise<BenchRow[]> {
  const full = options.mode === 'full';
  const runs = full ? 7 : 3;
  const wanted = (name: string) =>
    options.only === undefined || options.only.some((o) => name.toLowerCase().includes(o.toLowerCase()));
  const rows: BenchRow[] = [];
  const record = (name: string, kind: BenchRow['kind'], batch: number, t: { ms: number[]; bytes: number }) =>
    rows.push({
      name,
      kind,
      batch,
      ms: t.ms.map((x) => Math.round(x)),
      perSecond: (1000 * batch) / median(t.ms),
      bytes: t.bytes,
    });

  const images = async (
    name: string,
    make: () => { encode(x: tf.Tensor4D): { global: tf.Tensor; local: tf.Tensor }; dispose(): void },
    size: number,
    batch: number,
  ) => {
    if (!wanted(name)) return;
    options.onRow?.(name);
    const model = make();
    const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    try {
      record(
        name,
        'inference',
        batch,
        await time(runs, async () => {
          const y = model.encode(x);
          await y.global.data();
          tf.dispose([y.global, y.local]);
        }),
      );
    } finally {
      x.dispose();
      model.dispose();
    }
  };
  const texts = async (
    name: string,
    make: () => {
      encode(i: tf.Tensor2D, m: tf.Tensor2D): { global: tf.Tensor; local: tf.Tensor; mask?: tf.Tensor };
      dispose(): void;
    },
    length: number,
    vocab: number,
    batch: number,
  ) => {
    if (!wanted(name)) return;
    options.onRow?.(name);
    const model = make();
    const t = ids(batch, length, vocab);
    try {
      record(
        name,
        'inference',
        batch,
        await time(runs, async () => {
          const y = model.encode(t.ids, t.mask);
          await y.global.data();
          tf.dispose([y.global, y.local, ...(y.mask ? [y.mask] : [])]);
        }),
      );
    } finally {
      tf.dispose([t.ids, t.mask]);
      model.dispose();
    }
  };

  await images('Swin-T (PIR-ITR vision)', () => new SwinTransformer({ ...SWIN_T, numClasses: 0 }), 224, 8);
  await texts('BERT-base (PIR-ITR text)', () => new BertEncoder({ pooler: false }), 47, 30522, 32);
  await images(
    'ResNet-50, frozen (PIR-ITR instruction)',
    () => {
      const r = new ResNet({ ...RESNET50, numClasses: 0 });
      r.params.setTrainable(false); // frozen: BatchNorm folded into the convolutions
      return r;
    },
    224,
    8,
  );
  await images('CLIP ViT-B/32 (PIR-CLIP vision)', () => new ClipVisionTransformer(CLIP_VIT_B32), 224, 8);
  await texts(
    'CLIP text B/32 (PIR-CLIP text)',
    () => new ClipTextTransformer(CLIP_TEXT_B32),
    77,
    CLIP_TEXT_B32.vocabSize,
    32,
  );

  for (const [size, batch] of [
    ['tiny', 32],
    ['base', full ? 64 : 16],
  ] as const) {
    const name = `PIR-ITR ${size} (pir-itr-${size})`;
    if (!wanted(name)) continue;
    options.onRow?.(name);
    const model = createModel(`pir-itr-${size}`, { seed: 1 }) as unknown as PirItr;
    const vision = model.encoders.vision as unknown as { config: { imageSize: number } };
    const text = model.encoders.text as unknown as { config: { vocabSize: number; maxPositions: number } };
    const s = vision.config.imageSize;
    const t = ids(batch, Math.min(32, text.config.maxPositions), text.config.vocabSize);
    const batchData = {
      images: tf.randomUniform([batch, s, s, 3], -1, 1, 'float32', 2) as tf.Tensor4D,
      ids: t.ids,
      mask: t.mask,
      imageIds: Array.from({ length: batch }, (_, i) => i >> 1),
      labels: Array.from({ length: batch }, (_, i) => (i >> 1) % 5),
    };
    const optimizer = new AdamW(paramGroups(namedTrainableParameters(model)), { lr: 1e-4 });
    const task = pirItrTask(model);
    try {
      record(
        name,
        'training step',
        batch,
        await time(runs, async () => {
          await readStep(trainStep(task, optimizer, batchData, { maxGradNorm: 1 }));
        }),
      );
    } finally {
      optimizer.dispose();
      tf.dispose([batchData.images, batchData.ids, batchData.mask]);
      model.dispose();
    }
  }
  return rows;
}

/** The rows as a table, one line each. */
export function formatBench(rows: readonly BenchRow[]): string {
  const label = (r: BenchRow) => `${r.name} — ${r.kind}`;
  const unit = (r: BenchRow) =>
    r.kind === 'training step' ? 'captions' : /text|BERT/.test(r.name) ? 'texts' : 'images';
  const w = Math.max(4, ...rows.map((r) => label(r).length)) + 2;
  const head = `${'what'.padEnd(w)}${'batch'.padStart(6)}${'median ms'.padStart(11)}${'per second'.padStart(20)}${'tfjs MB'.padStart(9)}`;
  const lines = rows.map(
    (r) =>
      `${label(r).padEnd(w)}${String(r.batch).padStart(6)}${median(r.ms).toFixed(0).padStart(11)}${`${r.perSecond.toFixed(1)} ${unit(r)}`.padStart(20)}${(r.bytes / 2 ** 20).toFixed(0).padStart(9)}`,
  );
  return [head, ...lines].join('\n');
}
