/**
 * PIR-ITR with the user's own encoders ({@link TinyCnnVision}, {@link BiGruText}, {@link ColourLayoutInstruction})
 * on the synthetic remote-sensing benchmark of `@pir/datasets`: build, evaluate, train a few epochs with Adam,
 * evaluate again. Every PIR part — projections, hard belief, Spatial-/Temporal-PAE, heads, loss — is `PirItr`
 * of `@pir/models` as published; only the encoders are ours.
 */
import { generateSynthetic, imagesToBatch } from '@pir/datasets';
import { normalize } from '@pir/datasets/transforms';
import { buildWordVocab } from '@pir/encoders';
import { evaluateRetrieval, type RetrievalReport } from '@pir/metrics';
import { PirItr } from '@pir/models';
import { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { BiGruText, ColourLayoutInstruction, TinyCnnVision } from './encoders.js';

/** Options of {@link runCustomEncoderExample}. */
export interface ExampleOptions {
  /** Synthetic images (a fifth go to the test split). Default 240. */
  images?: number;
  /** Image side in pixels (a multiple of 16). Default 32. */
  size?: number;
  /** Training epochs. Default 4. */
  epochs?: number;
  /** Captions per step. Default 32. */
  batchSize?: number;
  /** Seed of the data, the encoders and the model. Default 0. */
  seed?: number;
  /** Called with one line per step of the run. */
  log?: (line: string) => void;
}

/** What {@link runCustomEncoderExample} measured. */
export interface ExampleResult {
  before: RetrievalReport;
  after: RetrievalReport;
  /** Mean training loss of each epoch. */
  epochLoss: number[];
}

/** Build PIR-ITR around the custom encoders, train it briefly, and report test retrieval before and after. */
export async function runCustomEncoderExample(options: ExampleOptions = {}): Promise<ExampleResult> {
  const { images: count = 240, size = 32, epochs = 4, batchSize = 32, seed = 0 } = options;
  const log = options.log ?? (() => {});
  const rng = new Rng(seed);
  const ds = generateSynthetic({ seed, count, size, splits: { train: 0.8, val: 0, test: 0.2 } });
  const train = ds.samples.flatMap((s, i) => (s.split === 'test' ? [] : [i]));
  const test = ds.samples.flatMap((s, i) => (s.split === 'test' ? [i] : []));
  const tokenizer = buildWordVocab(
    train.flatMap((i) => ds.samples[i]?.captions ?? []),
    { contextLength: 24 },
  );
  const pixels = tf.tidy(() => normalize(imagesToBatch(ds.images)) as tf.Tensor4D);
  log(`data: ${train.length} train / ${test.length} test images of ${size} px, ${tokenizer.vocabSize} words`);

  // the user's encoders, by interface: nothing of @pir/encoders' architectures is used
  const vision = new TinyCnnVision(size, 32, seed + 1);
  const text = new BiGruText(tokenizer, 16, seed + 2);
  const instruction = new ColourLayoutInstruction(4);
  const tokens = 1 + vision.localTokens; // PirItr puts the global token before the local ones
  const model = new PirItr(
    { vision, text, instruction },
    {
      dim: 32,
      k: Math.round(0.8 * tokens),
      heads: 4,
      spatialLayers: 1,
      temporalLayers: 1,
      seed: rng.nextSeed(),
    },
  );
  log(`PIR-ITR on a tiny CNN (${tokens} tokens, belief keeps ${model.k}), a BiGRU and a colour-layout prior`);

  const pairs = train.flatMap((image) =>
    (ds.samples[image]?.captions ?? []).map((caption) => ({ image, caption })),
  );
  const evaluate = async (): Promise<RetrievalReport> => {
    const caps = test.flatMap((image, row) =>
      (ds.samples[image]?.captions ?? []).map((caption) => ({ row, caption })),
    );
    const imgs = tf.gather(pixels, test) as tf.Tensor4D;
    const { ids, mask } = tokenizer.batch(caps.map((c) => c.caption));
    const v = model.embedImages(imgs);
    const t = model.embedTexts(ids, mask);
    try {
      return await evaluateRetrieval(
        v,
        t,
        Int32Array.from(caps, (c) => c.row),
      );
    } finally {
      tf.dispose([imgs, ids, mask, v, t]);
    }
  };

  const optimizer = tf.train.adam(2e-3);
  const variables = model.trainableVariables();
  try {
    const before = await evaluate();
    log(`test mR before training: ${before.mR.toFixed(2)}`);
    const epochLoss: number[] = [];
    const steps = Math.floor(pairs.length / batchSize);
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.permutation(pairs.length);
      let sum = 0;
      for (let s = 0; s < steps; s++) {
        const batch = Array.from(
          order.subarray(s * batchSize, (s + 1) * batchSize),
          (j) => pairs[j] as (typeof pairs)[0],
        );
        const imageIds = batch.map((p) => p.image);
        const images = tf.gather(pixels, imageIds) as tf.Tensor4D;
        const { ids, mask } = tokenizer.batch(batch.map((p) => p.caption));
        const labels = imageIds.map((i) => ds.samples[i]?.label ?? 0);
        const loss = optimizer.minimize(
          () => model.loss({ images, ids, mask, imageIds, labels }).loss,
          true,
          variables,
        );
        model.applyConstraints();
        sum += (await (loss as tf.Scalar).data())[0] as number;
        tf.dispose([loss as tf.Scalar, images, ids, mask]);
      }
      epochLoss.push(sum / steps);
      log(`epoch ${epoch + 1}/${epochs}: loss ${(sum / steps).toFixed(4)}`);
    }
    const after = await evaluate();
    log(`test mR after training: ${after.mR.toFixed(2)}`);
    return { before, after, epochLoss };
  } finally {
    optimizer.dispose();
    model.dispose();
    vision.dispose();
    text.dispose();
    pixels.dispose();
  }
}
