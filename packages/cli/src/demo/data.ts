/**
 * The demo's data: the synthetic remote-sensing benchmark of `@pir/datasets` (aerial-looking scenes of 12
 * classes with semantic noise, five captions per image), split by image into train / val / test, as the
 * trainer's `TrainingData` (`syntheticTrainingData` of `@pir/train`), and a word vocabulary of the training
 * captions shared by both models.
 */
import {
  cleanCaption,
  generateSynthetic,
  imagesToBatch,
  type SyntheticDataset,
  type SyntheticOptions,
} from '@pir/datasets';
import { normalize } from '@pir/datasets/transforms';
import { buildWordVocab, type WordTokenizer } from '@pir/encoders';
import { syntheticTrainingData, type TrainingData } from '@pir/train';
import * as tf from '@tensorflow/tfjs-core';
import { DemoOptionsError } from './errors.js';

/**
 * What to generate: number of images, side in pixels, the shares of images in the validation split (selects
 * the epoch kept) and in the test split (reported), the semantic noise. The rest is the training split.
 */
export interface DemoDataOptions {
  /** Images of all splits. */
  images: number;
  /** Side in pixels. */
  size: number;
  /** Share of each class's images in the validation split. */
  valShare: number;
  /** Share of each class's images in the test split. */
  testShare: number;
  noise?: SyntheticOptions['noise'];
}

/**
 * Tokens per caption (with `[CLS]` and `[SEP]`; longer captions are cut): a design choice that fits the
 * synthetic captions, and the text encoder's position table is made this long.
 */
export const CONTEXT_LENGTH = 24;

/** Words kept per caption after PIR's cleaning (PIR_SPEC §5: 30). */
export const MAX_WORDS = 30;

/** Images and captions of one split. */
export interface SplitCount {
  images: number;
  captions: number;
}

/** The demo's data. */
export interface DemoData {
  /** The generated benchmark (decoded images, captions, labels, splits). */
  dataset: SyntheticDataset;
  /** The splits as the trainer reads them. */
  training: TrainingData & { val: TrainingData['train']; test: TrainingData['train'] };
  /** Images and captions per split. */
  counts: { train: SplitCount; val: SplitCount; test: SplitCount };
  /** Scene class names. */
  classes: readonly string[];
  /** Word vocabulary of the cleaned training captions (`buildWordVocab`), {@link CONTEXT_LENGTH} tokens. */
  tokenizer: WordTokenizer;
}

/** Generate the benchmark with `seed`, split it by image and build the vocabulary of the training captions. */
export function makeDemoData(options: DemoDataOptions, seed: number): DemoData {
  const { images: count, size, valShare, testShare, noise } = options;
  for (const [name, share] of [
    ['data.valShare', valShare],
    ['data.testShare', testShare],
  ] as const)
    if (!(share > 0 && share < 1)) throw new DemoOptionsError(name, `must be in (0, 1), got ${share}`);
  if (!(valShare + testShare < 1))
    throw new DemoOptionsError(
      'data.testShare',
      `and data.valShare add up to ${valShare + testShare}: nothing is left to train on`,
    );
  if (!(Number.isInteger(count) && count > 0))
    throw new DemoOptionsError('data.images', `must be a positive integer, got ${count}`);
  const dataset = generateSynthetic({
    seed,
    count,
    size,
    splits: { train: 1 - valShare - testShare, val: valShare, test: testShare },
    ...(noise !== undefined ? { noise } : {}),
  });
  const countOf = (split: string): SplitCount => {
    const images = dataset.samples.filter((s) => s.split === split).length;
    return { images, captions: 5 * images };
  };
  const counts = { train: countOf('train'), val: countOf('val'), test: countOf('test') };
  if (counts.train.images === 0 || counts.val.images === 0 || counts.test.images === 0)
    throw new DemoOptionsError(
      'data.images',
      `is ${count}: that leaves an empty train, val or test split (${counts.train.images} / ${counts.val.images} / ` +
        `${counts.test.images} images with shares val ${valShare}, test ${testShare} of each of the ` +
        `${dataset.classes.length} classes); use more images`,
    );
  const training = syntheticTrainingData(dataset) as DemoData['training'];
  const tokenizer = buildWordVocab(
    training.train.captions.map((c) => cleanCaption(c, { maxWords: MAX_WORDS })),
    { contextLength: CONTEXT_LENGTH, maxWords: MAX_WORDS },
  );
  return { dataset, training, counts, classes: dataset.classes, tokenizer };
}

/**
 * The training images as one tensor `[N, S, S, 3]` (CLIP-normalised, as the trainer's evaluation transform
 * leaves them) and their scene labels: what the instruction encoder is pre-trained on. The caller disposes
 * the tensor.
 */
export function trainingImages(data: DemoData): { images: tf.Tensor4D; labels: number[] } {
  const picked = data.dataset.samples.flatMap((s, i) => (s.split === 'train' ? [i] : []));
  const images = tf.tidy(
    () => normalize(imagesToBatch(picked.map((i) => data.dataset.images[i]!))) as tf.Tensor4D,
  );
  return { images, labels: picked.map((i) => data.dataset.samples[i]!.label) };
}
