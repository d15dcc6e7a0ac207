/**
 * `pir demo`: PIR-ITR, end to end, on the built-in synthetic remote-sensing benchmark (no downloads).
 *
 * 1. `@pir/datasets` renders aerial-looking scenes of 12 classes with semantic noise (distractor objects,
 *    clouds, sensor effects) and five captions each; train/test split by image.
 * 2. A word vocabulary is built from the training captions (`buildWordVocab`).
 * 3. The instruction encoder — a small ResNet scene classifier — is pre-trained on the training images' scene
 *    labels and frozen (`pretrainInstructionEncoder`), standing in for PIR's AID-pretrained ResNet-50.
 * 4. `PirItr` (`@pir/models`) with a small Swin vision encoder and a small BERT text encoder, both trained from
 *    scratch, learns with PIR-ITR's loss (multi-positive InfoNCE + affiliation, learnable τ1/τ2, Adam).
 * 5. `@pir/metrics` evaluates test retrieval (R@1/5/10 both ways, mR) before and after training.
 *
 * Everything runs on the chosen tfjs backend (wasm by default). Sizes are the demo's, not the paper's: the
 * point is the whole pipeline in about a minute on two CPU cores.
 */

import { generateSynthetic, imagesToBatch, normalize, type SyntheticOptions } from '@pir/datasets';
import {
  BERT_TINY,
  BertEncoder,
  buildWordVocab,
  type PretrainedInstructionEncoder,
  pretrainInstructionEncoder,
  RESNET_TINY,
  SWIN_TINY,
  SwinTransformer,
  type WordTokenizer,
} from '@pir/encoders';
import { evaluateRetrieval, formatReport, type RetrievalReport } from '@pir/metrics';
import { PirItr } from '@pir/models';
import { type BackendInfo, type BackendName, initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';

export interface DemoOptions {
  /** tfjs backend (default `'wasm'`). */
  backend: BackendName | 'auto';
  /** wasm threads (default: all cores). */
  threads?: number;
  /** Training epochs over all training captions. */
  epochs: number;
  /** Captions per training batch (images repeat when two of their captions land in one batch). */
  batchSize: number;
  /** Width of the joint embedding space and of the PAE. */
  embedDim: number;
  /** Adam learning rate. */
  learningRate: number;
  /** λ of `L = L_c + λ·L_a`. */
  lambda: number;
  /** Epochs of instruction-encoder pre-training (scene classification). */
  pretrainEpochs: number;
  /** Seed of the data, the initialisation and the shuffling. */
  seed: number;
  /** Synthetic benchmark: number of images, side in pixels, test share. */
  data: { images: number; size: number; testShare: number; noise?: SyntheticOptions['noise'] };
  /** Where progress lines go (default: console.log). */
  log: (line: string) => void;
}

export const DEMO_DEFAULTS: DemoOptions = {
  backend: 'wasm',
  epochs: 4,
  batchSize: 32,
  embedDim: 64,
  learningRate: 1e-3,
  lambda: 1,
  pretrainEpochs: 4,
  seed: 0,
  data: { images: 240, size: 32, testShare: 0.25 },
  log: (line) => console.log(line),
};

export interface DemoResult {
  backend: BackendInfo;
  before: RetrievalReport;
  after: RetrievalReport;
  /** Mean training loss of each epoch. */
  epochLoss: number[];
  /** Training accuracy of the instruction encoder after pre-training (scene classification). */
  instructionAccuracy: number;
  trainSeconds: number;
  stepsPerSecond: number;
}

/** The demo's data: normalised images, captions per image, labels, split. */
interface DemoData {
  /** [N, S, S, 3], CLIP-normalised. */
  images: tf.Tensor4D;
  captions: string[][];
  labels: number[];
  train: number[];
  test: number[];
  classes: readonly string[];
}

function makeData(o: DemoOptions): DemoData {
  const { images: count, size, testShare, noise } = o.data;
  if (!(Number.isInteger(size) && size % 32 === 0 && size >= 32 && size <= 512))
    throw new RangeError(
      `pir demo: data.size must be a multiple of 32 in [32, 512] (the Swin windows), got ${size}`,
    );
  if (!(testShare > 0 && testShare < 1))
    throw new RangeError(`pir demo: data.testShare must be in (0, 1), got ${testShare}`);
  const ds = generateSynthetic({
    seed: o.seed,
    count,
    size,
    splits: { train: 1 - testShare, val: 0, test: testShare },
    ...(noise !== undefined ? { noise } : {}),
  });
  const train: number[] = [];
  const test: number[] = [];
  ds.samples.forEach((s, i) => {
    (s.split === 'test' ? test : train).push(i);
  });
  if (train.length === 0 || test.length === 0)
    throw new RangeError(`pir demo: ${count} images leave an empty train or test split; use more images`);
  const images = tf.tidy(() => normalize(imagesToBatch(ds.images)) as tf.Tensor4D);
  return {
    images,
    captions: ds.samples.map((s) => [...s.captions]),
    labels: ds.samples.map((s) => s.label),
    train,
    test,
    classes: ds.classes,
  };
}

/** Run the demo; resolves with the reports (the process keeps no tensors afterwards). */
export async function runDemo(options: Partial<DemoOptions> = {}): Promise<DemoResult> {
  const o: DemoOptions = { ...DEMO_DEFAULTS, ...options, data: { ...DEMO_DEFAULTS.data, ...options.data } };
  const log = o.log;
  const backend = await initBackend({
    backend: o.backend,
    seed: o.seed,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
  log(
    `backend: ${backend.name}${backend.simd !== undefined ? ` (SIMD ${backend.simd ? 'on' : 'off'}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'})` : ''}`,
  );

  let t0 = performance.now();
  const data = makeData(o);
  const nTrainCaptions = data.train.length * 5;
  log(
    `synthetic benchmark: ${data.classes.length} scene classes, ${o.data.size} px; train ${data.train.length} images / ` +
      `${nTrainCaptions} captions, test ${data.test.length} / ${data.test.length * 5} ` +
      `(${seconds(t0)} s)`,
  );

  const rng = new Rng(o.seed);
  const tokenizer = buildWordVocab(
    data.train.flatMap((i) => data.captions[i] as string[]),
    { contextLength: 24 },
  );
  let instruction: PretrainedInstructionEncoder | undefined;
  let vision: SwinTransformer | undefined;
  let text: BertEncoder | undefined;
  let model: PirItr | undefined;
  const optimizer = tf.train.adam(o.learningRate);
  try {
    t0 = performance.now();
    const trainImages = tf.gather(data.images, data.train) as tf.Tensor4D;
    try {
      instruction = await pretrainInstructionEncoder(
        trainImages,
        data.train.map((i) => data.labels[i] as number),
        {
          epochs: o.pretrainEpochs,
          batchSize: 32,
          rng: rng.fork('instruction'),
          config: { ...RESNET_TINY, width: 8 },
        },
      );
    } finally {
      trainImages.dispose();
    }
    const instructionAccuracy = instruction.history[instruction.history.length - 1]?.accuracy ?? 0;
    log(
      `instruction encoder: ResNet scene classifier pre-trained ${o.pretrainEpochs} epochs, training accuracy ` +
        `${(100 * instructionAccuracy).toFixed(0)} %, frozen (${seconds(t0)} s)`,
    );

    vision = new SwinTransformer(
      {
        ...SWIN_TINY,
        imageSize: o.data.size,
        patchSize: 2,
        windowSize: 4,
        embedDim: 16,
        depths: [1, 1, 1],
        numHeads: [2, 4, 8],
      },
      { rng: rng.fork('vision') },
    );
    text = new BertEncoder(
      {
        ...BERT_TINY,
        vocabSize: tokenizer.vocabSize,
        hiddenSize: 64,
        numLayers: 1,
        numHeads: 4,
        intermediateSize: 128,
        maxPositions: tokenizer.contextLength,
      },
      { rng: rng.fork('text'), tokenizer },
    );
    const tokens = 1 + (o.data.size / 2 / 4) ** 2; // pooled + the last stage's grid
    const k = Math.max(1, Math.round(0.8 * tokens)); // PIR keeps 40 of 50
    model = new PirItr(
      { vision, text, instruction },
      {
        dim: o.embedDim,
        k,
        heads: 4,
        spatialLayers: 1,
        temporalLayers: 1,
        dropout: 0.1,
        lambda: o.lambda,
        seed: rng.fork('model').nextSeed(),
      },
    );
    log(
      `PIR-ITR: Swin (${vision.dim}-d, ${tokens} tokens, belief keeps ${k}), BERT (${text.dim}-d, ` +
        `${tokenizer.vocabSize} words), joint width ${o.embedDim}; ${countParameters(model.trainableVariables())} trainable parameters`,
    );

    const before = await evaluate(model, data, tokenizer);
    log('\ntest set before training:');
    log(formatReport(before));

    const shuffle = rng.fork('shuffle');
    const rows = data.train.flatMap((i) => [0, 1, 2, 3, 4].map((c) => ({ image: i, caption: c })));
    const steps = Math.floor(rows.length / o.batchSize);
    if (steps === 0)
      throw new RangeError(
        `pir demo: ${rows.length} training captions make no batch of ${o.batchSize}; use more images or a smaller batch`,
      );
    const variables = model.trainableVariables();
    const epochLoss: number[] = [];
    const tTrain = performance.now();
    log('');
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const tEpoch = performance.now();
      const order = shuffle.permutation(rows.length);
      // summed on the backend and read once per epoch: no device sync inside the step loop
      let total: tf.Scalar = tf.scalar(0);
      for (let s = 0; s < steps; s++) {
        const batchRows = Array.from(order.subarray(s * o.batchSize, (s + 1) * o.batchSize), (j) => rows[j]!);
        const imageIds = batchRows.map((r) => r.image);
        const images = tf.gather(data.images, imageIds) as tf.Tensor4D;
        const { ids, mask } = tokenizer.batch(batchRows.map((r) => data.captions[r.image]![r.caption]!));
        const m = model;
        const loss = optimizer.minimize(
          () =>
            m.loss({ images, ids, mask, imageIds, labels: imageIds.map((i) => data.labels[i] as number) })
              .loss,
          true,
          variables,
        );
        model.clampTemperatures();
        const next = tf.add(total, loss as tf.Scalar) as tf.Scalar;
        tf.dispose([total, loss as tf.Scalar, images, ids, mask]);
        total = next;
      }
      const sum = (await total.data())[0] as number;
      total.dispose();
      epochLoss.push(sum / steps);
      log(
        `epoch ${epoch + 1}/${o.epochs}  loss ${(sum / steps).toFixed(4)}  ` +
          `(${seconds(tEpoch)} s, ${steps} steps of ${o.batchSize} captions, ${tf.memory().numTensors} tensors)`,
      );
    }
    const trainSeconds = (performance.now() - tTrain) / 1000;
    const stepsPerSecond = (steps * o.epochs) / trainSeconds;
    log(
      `trained ${steps * o.epochs} steps in ${trainSeconds.toFixed(1)} s (${stepsPerSecond.toFixed(1)} steps/s)`,
    );

    const after = await evaluate(model, data, tokenizer);
    log('\ntest set after training:');
    log(formatReport(after));
    log(`\nmR ${before.mR.toFixed(2)} → ${after.mR.toFixed(2)}`);
    return { backend, before, after, epochLoss, instructionAccuracy, trainSeconds, stepsPerSecond };
  } finally {
    model?.dispose();
    vision?.dispose();
    text?.dispose();
    instruction?.dispose();
    optimizer.dispose();
    data.images.dispose();
  }
}

/** Test retrieval: every test image against every test caption (5 per image). */
async function evaluate(model: PirItr, data: DemoData, tokenizer: WordTokenizer): Promise<RetrievalReport> {
  const images = tf.gather(data.images, data.test) as tf.Tensor4D;
  const captions = data.test.flatMap((i) => data.captions[i] as string[]);
  const captionToImage = Int32Array.from(data.test.flatMap((_, j) => [j, j, j, j, j]));
  const { ids, mask } = tokenizer.batch(captions);
  const v = model.embedImages(images);
  const t = model.embedTexts(ids, mask);
  try {
    return await evaluateRetrieval(v, t, captionToImage);
  } finally {
    tf.dispose([images, ids, mask, v, t]);
  }
}

function countParameters(vars: readonly tf.Variable[]): string {
  const n = vars.reduce((s, v) => s + v.size, 0);
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;
}

function seconds(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(1);
}
