/**
 * The demo's own training loop — deliberately minimal, and meant to be replaced by the `@pir` trainer when
 * that package lands. Per epoch: shuffle every (image, caption) pair of the training images, cut them into
 * full batches of `batchSize` captions (the remainder is dropped), and for each batch take one Adam step on
 * `model.loss(batch).loss` (PIR-ITR's `L_c + λ·L_a`, dropout on), then `model.applyConstraints()` (clamps the
 * temperatures τ1, τ2). The epoch's losses are summed on the backend and read once per epoch, so the step
 * loop never waits for the device.
 */
import type { PirItr } from '@pir/models';
import type { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { captionsOf, captionText, type DemoData } from './data.js';
import { DemoOptionsError } from './errors.js';

/** Options of {@link trainLoop}. */
export interface TrainLoopOptions {
  epochs: number;
  /** Captions per step (an image repeats when two of its captions land in one batch). */
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Shuffles the pairs, once per epoch. */
  rng: Rng;
  /** Called after each epoch. */
  onEpoch?: (epoch: EpochReport) => void;
}

/** What {@link trainLoop} reports after an epoch. */
export interface EpochReport {
  /** 0-based. */
  epoch: number;
  /** Mean loss of the epoch's steps. */
  loss: number;
  /** Steps of the epoch. */
  steps: number;
  /** Wall time of the epoch. */
  seconds: number;
}

/** What {@link trainLoop} did. */
export interface TrainLoopResult {
  /** Mean loss of each epoch. */
  epochLoss: number[];
  /** Steps per epoch. */
  steps: number;
  /** Wall time of the whole loop. */
  seconds: number;
}

/** Train `model` on the training captions of `data` (see the module doc). */
export async function trainLoop(
  model: PirItr,
  data: DemoData,
  options: TrainLoopOptions,
): Promise<TrainLoopResult> {
  const { epochs, batchSize } = options;
  const pairs = captionsOf(data, data.train);
  const steps = Math.floor(pairs.length / batchSize);
  if (steps === 0)
    throw new DemoOptionsError(
      'batchSize',
      `${batchSize} is more than the ${pairs.length} training captions (no full batch); use more images or a smaller batch`,
    );
  const variables = model.trainableVariables();
  const optimizer = tf.train.adam(options.learningRate);
  const epochLoss: number[] = [];
  const start = performance.now();
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const epochStart = performance.now();
      const order = options.rng.permutation(pairs.length);
      let total: tf.Scalar = tf.scalar(0);
      for (let s = 0; s < steps; s++) {
        const batch = Array.from(order.subarray(s * batchSize, (s + 1) * batchSize), (j) => pairs[j]!);
        const imageIds = batch.map((p) => p.image);
        const images = tf.gather(data.images, imageIds) as tf.Tensor4D;
        const { ids, mask } = data.tokenizer.batch(batch.map((p) => captionText(data, p)));
        const labels = imageIds.map((i) => data.labels[i] as number);
        const loss = optimizer.minimize(
          () => model.loss({ images, ids, mask, imageIds, labels }).loss,
          true,
          variables,
        ) as tf.Scalar;
        model.applyConstraints();
        const next = tf.add(total, loss) as tf.Scalar;
        tf.dispose([total, loss, images, ids, mask]);
        total = next;
      }
      const sum = (await total.data())[0] as number;
      total.dispose();
      epochLoss.push(sum / steps);
      options.onEpoch?.({
        epoch,
        loss: sum / steps,
        steps,
        seconds: (performance.now() - epochStart) / 1000,
      });
    }
  } finally {
    optimizer.dispose();
  }
  return { epochLoss, steps, seconds: (performance.now() - start) / 1000 };
}
