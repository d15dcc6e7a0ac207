/**
 * The demo's data: the synthetic remote-sensing benchmark of `@pir/datasets` (aerial-looking scenes of 12
 * classes with semantic noise, several captions per image), split by image, as one normalised image tensor,
 * the captions, the scene labels, and a word vocabulary built from the training captions.
 */
import { generateSynthetic, imagesToBatch, type SyntheticOptions } from '@pir/datasets';
import { normalize } from '@pir/datasets/transforms';
import { buildWordVocab, type WordTokenizer } from '@pir/encoders';
import * as tf from '@tensorflow/tfjs-core';
import { DemoOptionsError } from './errors.js';

/** What to generate: number of images, side in pixels, share of images in the test split, semantic noise. */
export interface DemoDataOptions {
  images: number;
  size: number;
  testShare: number;
  noise?: SyntheticOptions['noise'];
}

/**
 * Tokens per caption (with `[CLS]` and `[SEP]`; longer captions are cut): a design choice that fits the
 * synthetic captions, and the text encoder's position table is made this long.
 */
export const CONTEXT_LENGTH = 24;

/** The demo's data; `images` is the one tensor, freed with {@link disposeDemoData}. */
export interface DemoData {
  /** Every image, [N, S, S, 3], CLIP-normalised (`normalize` of `@pir/datasets/transforms`). */
  images: tf.Tensor4D;
  /** The captions of image i (the synthetic benchmark writes five). */
  captions: string[][];
  /** Scene class of image i (an index into `classes`). */
  labels: number[];
  /** Indices of the training images. */
  train: number[];
  /** Indices of the test images. */
  test: number[];
  /** Scene class names. */
  classes: readonly string[];
  /** Word vocabulary of the training captions (`buildWordVocab`), {@link CONTEXT_LENGTH} tokens per caption. */
  tokenizer: WordTokenizer;
}

/** One caption of one image: the unit a training batch is made of. */
export interface CaptionRef {
  image: number;
  caption: number;
}

/** Generate the benchmark with `seed`, split it by image and build the vocabulary of the training captions. */
export function makeDemoData(options: DemoDataOptions, seed: number): DemoData {
  const { images: count, size, testShare, noise } = options;
  if (!(testShare > 0 && testShare < 1))
    throw new DemoOptionsError('data.testShare', `must be in (0, 1), got ${testShare}`);
  const ds = generateSynthetic({
    seed,
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
    throw new DemoOptionsError(
      'data.images',
      `is ${count}: that leaves an empty train or test split (test share ${testShare}); use more images`,
    );
  const captions = ds.samples.map((s) => [...s.captions]);
  const tokenizer = buildWordVocab(
    train.flatMap((i) => captions[i] as string[]),
    { contextLength: CONTEXT_LENGTH },
  );
  const images = tf.tidy(() => normalize(imagesToBatch(ds.images)) as tf.Tensor4D);
  return {
    images,
    captions,
    labels: ds.samples.map((s) => s.label),
    train,
    test,
    classes: ds.classes,
    tokenizer,
  };
}

/** Every caption of the given images, image by image: `{ image, caption }` (the caption's index). */
export function captionsOf(data: DemoData, images: readonly number[]): CaptionRef[] {
  return images.flatMap((image) =>
    (data.captions[image] as string[]).map((_, caption) => ({ image, caption })),
  );
}

/** The text of a caption. */
export function captionText(data: DemoData, ref: CaptionRef): string {
  return (data.captions[ref.image] as string[])[ref.caption] as string;
}

/** Free the image tensor. */
export function disposeDemoData(data: DemoData): void {
  data.images.dispose();
}
