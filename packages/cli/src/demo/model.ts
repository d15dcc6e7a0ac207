/**
 * The demo's model: PIR-ITR (`PirItr` of `@pir/models`) at demo size, and its instruction encoder.
 *
 * - **instruction encoder**: a small ResNet scene classifier, pre-trained on the training images' scene labels
 *   and frozen (`pretrainInstructionEncoder`), standing in for PIR's AID-pretrained ResNet-50;
 * - **vision encoder**: a small Swin trained from scratch (3 stages, 16 → 64 wide);
 * - **text encoder**: a one-layer BERT over the demo's word vocabulary, trained from scratch;
 * - **PirItr**: projections to the joint width, hard belief keeping {@link KEEP_SHARE} of the vision tokens,
 *   one Spatial- and one Temporal-PAE layer, heads, `L_c + λ·L_a`.
 *
 * Why not `createModel` with a `ModelConfig` of `@pir/models`: the demo's model is *almost* one —
 * `{ architecture: 'pir-itr', encoders: { vision: { architecture: 'swin', config }, … }, config: { dim, k, … } }`
 * built with `createModel(config, { seed, tokenizer })` would give the same vision and text weights and the same
 * model seed (it forks one `Rng(seed)` by role, as this file does). But `createModel` builds the instruction
 * encoder as a fresh, *untrained* frozen ResNet, and the demo's is pre-trained on the data first; and `k` comes
 * from the built vision encoder (see {@link visionTokenCount}), which `createModel` only builds with `k`
 * already in the configuration. So the encoders are built here by their constructors and handed to `PirItr`.
 */
import {
  BERT_TEST,
  type BertConfig,
  BertEncoder,
  type PretrainedInstructionEncoder,
  pretrainInstructionEncoder,
  RESNET_TEST,
  type ResNetConfig,
  SWIN_TEST,
  type SwinConfig,
  SwinTransformer,
  type VisionEncoder,
} from '@pir/encoders';
import { PirItr } from '@pir/models';
import type { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { DemoData } from './data.js';
import { DemoOptionsError } from './errors.js';

/**
 * Share of the vision tokens the hard belief strategy keeps: a design choice, PIR-ITR's own ratio (K = 40 of
 * Swin-T's 50 tokens). `k = max(1, round(KEEP_SHARE · tokens))`.
 */
export const KEEP_SHARE = 0.8;

/** Images per step of the instruction encoder's pre-training. */
export const PRETRAIN_BATCH_SIZE = 32;

/**
 * Image sides the demo accepts: multiples of {@link SIZE_MULTIPLE} in [{@link SIZE_MULTIPLE}, {@link MAX_SIZE}].
 * At these sizes every stage of {@link demoSwinConfig} (patch 2, window 4, two patch mergings) tiles into whole
 * windows; at other sizes from 32 px up some stage does not (a test checks this against `SwinTransformer`).
 */
export const SIZE_MULTIPLE = 32;
/** The largest image side the demo accepts (memory and time grow with its square). */
export const MAX_SIZE = 512;

/** Throws a {@link DemoOptionsError} naming `data.size` unless the demo's Swin can take `size`-pixel images. */
export function checkImageSize(size: number): void {
  if (!(Number.isInteger(size) && size % SIZE_MULTIPLE === 0 && size >= SIZE_MULTIPLE && size <= MAX_SIZE))
    throw new DemoOptionsError(
      'data.size',
      `must be a multiple of ${SIZE_MULTIPLE} in [${SIZE_MULTIPLE}, ${MAX_SIZE}] (the Swin windows), got ${size}`,
    );
}

/**
 * The demo's Swin at `imageSize` pixels: patch 2, window 4, three stages of one block (16, 32, 64 wide); the
 * rest (MLP ratio 2, LayerNorm ε, a 5-class `head` that PIR-ITR does not use) is `SWIN_TEST`'s.
 */
export function demoSwinConfig(imageSize: number): SwinConfig {
  return {
    ...SWIN_TEST,
    imageSize,
    patchSize: 2,
    windowSize: 4,
    embedDim: 16,
    depths: [1, 1, 1],
    numHeads: [2, 4, 8],
  };
}

/** The demo's BERT over a vocabulary: one layer, 64 wide, 4 heads, positions = the tokenizer's length. */
export function demoBertConfig(tokenizer: { vocabSize: number; contextLength: number }): BertConfig {
  return {
    ...BERT_TEST,
    vocabSize: tokenizer.vocabSize,
    hiddenSize: 64,
    numLayers: 1,
    numHeads: 4,
    intermediateSize: 128,
    maxPositions: tokenizer.contextLength,
  };
}

/** The demo's instruction encoder architecture: `RESNET_TEST` 8 wide (its classes come from the labels). */
export const DEMO_RESNET: Partial<ResNetConfig> = { ...RESNET_TEST, width: 8 };

/**
 * Pre-train the instruction encoder as a scene classifier on the training images, then freeze it.
 * @returns the frozen encoder; `history` holds each epoch's loss and training accuracy
 */
export async function pretrainDemoInstructionEncoder(
  data: DemoData,
  options: { epochs: number; rng: Rng },
): Promise<PretrainedInstructionEncoder> {
  const trainImages = tf.gather(data.images, data.train) as tf.Tensor4D;
  try {
    return await pretrainInstructionEncoder(
      trainImages,
      data.train.map((i) => data.labels[i] as number),
      {
        epochs: options.epochs,
        batchSize: PRETRAIN_BATCH_SIZE,
        rng: options.rng,
        config: DEMO_RESNET,
      },
    );
  } finally {
    trainImages.dispose();
  }
}

/**
 * How many vision tokens `PirItr` sees from `vision`: it prepends the pooled `global` token to the `local` ones
 * (`[global; local]`, see `PirItr.imageHead`), so `1 + vision.localTokens` (Swin-T at 224 px: 1 + 7² = 50) — the
 * encoder says how many local tokens it gives; an encoder that cannot (its grid depends on the input) is asked
 * by encoding one blank image of `imageSize` pixels.
 */
export function visionTokenCount(vision: VisionEncoder, imageSize: number): number {
  if (vision.localTokens !== undefined) return 1 + vision.localTokens;
  return tf.tidy(() => 1 + (vision.encode(tf.zeros([1, imageSize, imageSize, 3])).local.shape[1] as number));
}

/** The model's fields the demo sets (see `DemoOptions`). */
export interface DemoModelOptions {
  /** Width of the joint embedding space and of the PAE. */
  embedDim: number;
  /** λ of `L = L_c + λ·L_a`. */
  lambda: number;
}

/** The built model and what was derived for it. */
export interface DemoModel {
  /** PIR-ITR; it owns its three encoders (`model.dispose()` frees them). */
  model: PirItr;
  vision: SwinTransformer;
  text: BertEncoder;
  /** Vision tokens the model sees ({@link visionTokenCount}). */
  tokens: number;
  /** Tokens the hard belief strategy keeps. */
  k: number;
}

/**
 * Build the vision and text encoders (seeded by `rng` forks `'vision'`, `'text'`) and PIR-ITR around them and
 * the pre-trained `instruction` encoder (seed from the fork `'model'`). On success the model owns all three
 * encoders; if building fails, what was built is freed and `instruction` is left to the caller.
 */
export function buildDemoModel(
  data: DemoData,
  instruction: PretrainedInstructionEncoder,
  options: DemoModelOptions,
  rng: Rng,
): DemoModel {
  const imageSize = data.images.shape[1];
  const vision = new SwinTransformer(demoSwinConfig(imageSize), { rng: rng.fork('vision') });
  let text: BertEncoder | undefined;
  try {
    text = new BertEncoder(demoBertConfig(data.tokenizer), {
      rng: rng.fork('text'),
      tokenizer: data.tokenizer,
    });
    const tokens = visionTokenCount(vision, imageSize);
    const k = Math.max(1, Math.round(KEEP_SHARE * tokens));
    const model = new PirItr(
      { vision, text, instruction },
      {
        dim: options.embedDim,
        k,
        heads: 4,
        spatialLayers: 1,
        temporalLayers: 1,
        dropout: 0.1,
        lambda: options.lambda,
        seed: rng.fork('model').nextSeed(),
        ownsEncoders: true,
      },
    );
    return { model, vision, text, tokens, k };
  } catch (e) {
    vision.dispose();
    text?.dispose();
    throw e;
  }
}
