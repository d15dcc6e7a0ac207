/**
 * Does PIR help? PIR-ITR against the VSE baseline and each ablation on the synthetic remote-sensing benchmark
 * of `@pir/datasets`, several seeds, the same encoders, data, recipe and selection rule (best epoch by val mR,
 * test reported there) for every variant — run with the `@pir/train` trainer.
 *
 *   npx tsx benchmarks/pir_ablations.ts [--images 2000] [--size 32] [--epochs 3] [--seeds 0,1,2] [--train-captions 2]
 *                                       [--variants pir,vse,noBelief,noSpatialPae,noTemporalPae,lambda0,triplet]
 *
 * Per seed: the benchmark is generated with that seed (70 / 15 / 15 % train / val / test; training uses the
 * first `--train-captions` of each image's five captions, evaluation all five), a small ResNet
 * scene classifier is pre-trained on the training images' scene labels and frozen (PIR's instruction encoder:
 * a pretrained scene prior, as the paper's AID-trained ResNet-50), and every variant trains from the same
 * seed. Sizes are the `pir demo`'s (a 3-stage Swin at 32 px giving 1 + 16 tokens, belief keeps 14; a one-layer
 * BERT; D = 64): small enough to train 21 runs on two CPU cores. Writes `results/pir-ablations.json`.
 * Needs the packages built (`npm run build`).
 */
import { cpus, loadavg } from 'node:os';
import { generateSynthetic, imagesToBatch } from '@pir/datasets';
import { evalTransform } from '@pir/datasets/transforms';
import { BERT_TEST, pretrainInstructionEncoder, RESNET_TEST, SWIN_TEST } from '@pir/encoders';
import type { ModelConfig } from '@pir/models';
import { loadStateDict, stateDict } from '@pir/nn';
import { initBackend, Rng } from '@pir/runtime';
import { syntheticTrainingData, train } from '@pir/train';
import * as tf from '@tensorflow/tfjs-core';
import { machine, writeResult } from './lib/report.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const IMAGES = Number(arg('images', '2000'));
const SIZE = Number(arg('size', '32'));
const EPOCHS = Number(arg('epochs', '3'));
const SEEDS = arg('seeds', '0,1,2').split(',').map(Number);
/** Training captions kept per image (evaluation uses all five, as the protocol): fewer steps per epoch. */
const TRAIN_CAPTIONS = Number(arg('train-captions', '2'));
const ALL = ['pir', 'vse', 'noBelief', 'noSpatialPae', 'noTemporalPae', 'lambda0', 'triplet'] as const;
type Variant = (typeof ALL)[number];
const VARIANTS = arg('variants', ALL.join(',')).split(',') as Variant[];

const encoders = {
  vision: {
    architecture: 'swin',
    config: {
      ...SWIN_TEST,
      imageSize: SIZE,
      patchSize: 2,
      windowSize: 4,
      embedDim: 16,
      depths: [1, 1, 1],
      numHeads: [2, 4, 8],
      numClasses: 0,
    },
  },
  text: {
    architecture: 'bert',
    config: {
      ...BERT_TEST,
      vocabSize: 512,
      hiddenSize: 64,
      numLayers: 1,
      numHeads: 4,
      intermediateSize: 128,
      maxPositions: 24,
      pooler: false,
    },
  },
  instruction: { architecture: 'resnet', config: { ...RESNET_TEST, width: 8, numClasses: 0 } },
} as const;

const recipe = {
  epochs: EPOCHS,
  batchSize: 32,
  optimizer: { name: 'adamw', lr: 1e-3, weightDecay: 0.01, betas: [0.9, 0.98], eps: 1e-8, noDecay: 'rank<2' },
  schedule: { name: 'linear', warmupFraction: 0.1 },
  augment: { size: SIZE, scale: [0.8, 1], flip: 0.5, randAugment: false },
  captions: { maxWords: 30, maxTokens: 24 },
  selectOn: 'val',
  notes: 'benchmarks/pir_ablations.ts: the demo-size study recipe',
};

const pirFields = {
  dim: 64,
  k: 14,
  heads: 4,
  spatialLayers: 1,
  temporalLayers: 1,
  dropout: 0.1,
  lambda: 1,
  variant: 'paper',
};

function configOf(v: Variant): { config: ModelConfig; overrides: Record<string, unknown> } {
  if (v === 'vse') {
    const { instruction: _, ...dual } = encoders;
    return {
      config: {
        name: 'vse-study',
        architecture: 'vse',
        encoders: dual,
        config: { dim: 64, loss: 'contrastive', lambda: 0 },
        train: recipe,
      } as unknown as ModelConfig,
      overrides: {},
    };
  }
  const overrides: Record<string, unknown> =
    v === 'noBelief'
      ? { noBelief: true }
      : v === 'noSpatialPae'
        ? { noSpatialPae: true }
        : v === 'noTemporalPae'
          ? { noTemporalPae: true }
          : v === 'lambda0'
            ? { lambda: 0 }
            : v === 'triplet'
              ? { loss: 'triplet' }
              : {};
  return {
    config: {
      name: 'pir-itr-study',
      architecture: 'pir-itr',
      encoders,
      config: pirFields,
      train: recipe,
    } as unknown as ModelConfig,
    overrides,
  };
}

interface Run {
  seed: number;
  variant: Variant;
  testMR: number;
  valMR: number;
  bestEpoch: number;
  i2t: Record<number, number>;
  t2i: Record<number, number>;
  seconds: number;
}

const info = await initBackend({ backend: 'wasm' });
const started = { load: loadavg()[0], at: new Date().toISOString() };
console.log(
  `${cpus()[0]?.model}, ${cpus().length} cores · ${info.name} ${info.threads} threads · load ${started.load.toFixed(2)}`,
);
console.log(
  `${IMAGES} images of ${SIZE} px, ${EPOCHS} epochs, seeds ${SEEDS.join(', ')}, variants ${VARIANTS.join(', ')}`,
);
const runs: Run[] = [];
for (const seed of SEEDS) {
  const ds = generateSynthetic({
    seed,
    count: IMAGES,
    size: SIZE,
    splits: { train: 0.7, val: 0.15, test: 0.15 },
  });
  const all = syntheticTrainingData(ds);
  // training keeps the first TRAIN_CAPTIONS captions of each image (fewer steps per epoch); val/test keep all
  const keep: number[] = [];
  const seen = new Map<number, number>();
  Array.from(all.train.captionToImage).forEach((image, c) => {
    const n = seen.get(image) ?? 0;
    if (n < TRAIN_CAPTIONS) keep.push(c);
    seen.set(image, n + 1);
  });
  const data = {
    ...all,
    train: {
      ...all.train,
      loadImages: all.train.loadImages,
      captions: keep.map((c) => all.train.captions[c] as string),
      captionToImage: Int32Array.from(keep, (c) => all.train.captionToImage[c] as number),
    },
  };
  // the instruction encoder: a small ResNet scene classifier pre-trained on the training images, then frozen
  const trainIdx = ds.samples.flatMap((s, i) => (s.split === 'train' ? [i] : []));
  const x = tf.tidy(
    () =>
      evalTransform(imagesToBatch(trainIdx.map((i) => ds.images[i] as never)), { size: SIZE }) as tf.Tensor4D,
  );
  const pre = await pretrainInstructionEncoder(
    x,
    trainIdx.map((i) => ds.samples[i]?.label as number),
    {
      config: { ...RESNET_TEST, width: 8 },
      epochs: 4,
      batchSize: 32,
      learningRate: 3e-3,
      rng: new Rng(seed).fork('instruction'),
    },
  );
  x.dispose();
  const prior = await stateDict(pre.model);
  console.log(
    `seed ${seed}: instruction encoder pre-trained, training accuracy ${(100 * (pre.history.at(-1)?.accuracy ?? 0)).toFixed(0)} %`,
  );
  pre.model.dispose();
  for (const variant of VARIANTS) {
    const { config, overrides } = configOf(variant);
    const t0 = performance.now();
    const result = await train({
      model: config,
      data,
      seed,
      overrides,
      init: (model) => {
        const instruction = (model as { encoders: { instruction?: object } }).encoders.instruction;
        if (instruction === undefined) return;
        const r = loadStateDict(instruction as never, prior, { strict: false });
        if (r.missing.length > 0) throw new Error(`instruction weights missing: ${r.missing.join(', ')}`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const test = result.test as { mR: number; i2t: Record<number, number>; t2i: Record<number, number> };
    const run: Run = {
      seed,
      variant,
      testMR: test.mR,
      valMR: result.val?.mR ?? Number.NaN,
      bestEpoch: result.best?.epoch ?? -1,
      i2t: test.i2t,
      t2i: test.t2i,
      seconds,
    };
    runs.push(run);
    writeResult('pir-ablations', { partial: true, machine: machine(), runs });
    console.log(
      `  ${variant.padEnd(14)} test mR ${run.testMR.toFixed(2)} (val ${run.valMR.toFixed(2)}, epoch ${run.bestEpoch + 1}) · ${seconds.toFixed(0)} s`,
    );
    result.dispose();
  }
}

const summary = VARIANTS.map((variant) => {
  const xs = runs.filter((r) => r.variant === variant).map((r) => r.testMR);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { variant, mean, sd, min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
});
console.log('\nvariant         test mR (mean ± sd over seeds)   min – max');
for (const s of summary)
  console.log(
    `${s.variant.padEnd(16)}${`${s.mean.toFixed(2)} ± ${s.sd.toFixed(2)}`.padEnd(33)}${s.min.toFixed(2)} – ${s.max.toFixed(2)}`,
  );
writeResult('pir-ablations', {
  machine: machine(),
  backend: { name: info.name, threads: info.threads },
  load: { before: started.load, after: loadavg()[0] },
  setup: {
    images: IMAGES,
    size: SIZE,
    epochs: EPOCHS,
    seeds: SEEDS,
    trainCaptions: TRAIN_CAPTIONS,
    encoders,
    pirFields,
    recipe,
  },
  runs,
  summary,
});
process.exit(0);
