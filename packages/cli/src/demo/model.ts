/**
 * The demo's models, as configurations of `@pir/models` that the trainer builds (`createModel`):
 *
 * - **PIR-ITR** (`pir-itr`): a small Swin (3 stages, 16 → 64 wide) and a one-layer BERT over the demo's word
 *   vocabulary, both trained from scratch; a small ResNet as the frozen instruction encoder; projections to the
 *   joint width, hard belief keeping {@link KEEP_SHARE} of the vision tokens, one Spatial- and one
 *   Temporal-PAE layer, heads, `L_c + λ·L_a`;
 * - **the VSE baseline** (`vse`): the same Swin and BERT, and nothing of PIR — `v = proj(pooled image token)`,
 *   `t = proj([CLS])`, the same contrastive loss.
 *
 * Both carry the same training recipe (the `train` key): AdamW without weight decay, a short linear warm-up
 * then linear decay, batches of captions, no augmentation (the synthetic images are already varied).
 *
 * The instruction encoder is the one part the configuration cannot give: PIR uses a ResNet-50 pre-trained on
 * AID scene classification. The demo pre-trains its ResNet on the training images' scene labels first
 * ({@link pretrainDemoInstructionEncoder}), and the trainer's `init` loads those weights into the new model.
 */
import {
  BERT_TEST,
  type BertConfig,
  type PretrainedInstructionEncoder,
  pretrainInstructionEncoder,
  RESNET_TEST,
  type ResNetConfig,
  SWIN_TEST,
  type SwinConfig,
  SwinTransformer,
  type Tokenizer,
  type VisionEncoder,
} from '@pir/encoders';
import type { ModelConfig, TrainRecipe } from '@pir/models';
import type { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { CONTEXT_LENGTH, MAX_WORDS } from './data.js';
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
 * The demo's Swin at `imageSize` pixels: patch 2, window 4, three stages of one block (16, 32, 64 wide), no
 * classification head; the rest (MLP ratio 2, LayerNorm ε) is `SWIN_TEST`'s.
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
    numClasses: 0,
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

/** The demo's instruction encoder architecture: `RESNET_TEST` 8 wide (pre-training adds a head of its classes). */
export const DEMO_RESNET: ResNetConfig = { ...RESNET_TEST, width: 8, numClasses: 0 };

/**
 * Pre-train the instruction encoder as a scene classifier on the training images, then freeze it.
 * @param images [N, S, S, 3] normalised training images; `labels` their scene classes
 * @returns the frozen encoder; `history` holds each epoch's loss and training accuracy; `model` is the ResNet
 */
export async function pretrainDemoInstructionEncoder(
  images: tf.Tensor4D,
  labels: readonly number[],
  options: { epochs: number; rng: Rng },
): Promise<PretrainedInstructionEncoder> {
  const { numClasses: _, ...architecture } = DEMO_RESNET;
  return pretrainInstructionEncoder(images, labels, {
    epochs: options.epochs,
    batchSize: PRETRAIN_BATCH_SIZE,
    rng: options.rng,
    config: architecture,
  });
}

/**
 * How many vision tokens PIR-ITR sees from `vision`: it prepends the pooled `global` token to the `local` ones
 * (`[global; local]`, see `PirItr.imageHead`), so `1 + vision.localTokens` (Swin-T at 224 px: 1 + 7² = 50) — the
 * encoder says how many local tokens it gives; an encoder that cannot (its grid depends on the input) is asked
 * by encoding one blank image of `imageSize` pixels.
 */
export function visionTokenCount(vision: VisionEncoder, imageSize: number): number {
  if (vision.localTokens !== undefined) return 1 + vision.localTokens;
  return tf.tidy(() => 1 + (vision.encode(tf.zeros([1, imageSize, imageSize, 3])).local.shape[1] as number));
}

/** How many tokens the demo's Swin gives at `imageSize` pixels (asked of a Swin built for it, then freed). */
export function demoVisionTokens(imageSize: number): number {
  const swin = new SwinTransformer(demoSwinConfig(imageSize));
  try {
    return visionTokenCount(swin, imageSize);
  } finally {
    swin.dispose();
  }
}

/** The fields of the configurations and the recipe that the demo's options set (see `DemoOptions`). */
export interface DemoModelOptions {
  /** Image side in pixels. */
  size: number;
  /** Width of the joint embedding space and of the PAE. */
  embedDim: number;
  /** λ of `L = L_c + λ·L_a` (PIR-ITR). */
  lambda: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/** The demo's training recipe (the `train` key of both configurations). */
export function demoRecipe(o: DemoModelOptions): TrainRecipe {
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    optimizer: {
      name: 'adamw',
      lr: o.learningRate,
      weightDecay: 0,
      betas: [0.9, 0.999],
      eps: 1e-8,
      noDecay: 'rank<2',
    },
    schedule: { name: 'linear', warmupFraction: 0.1 },
    augment: { size: o.size, scale: [1, 1], flip: 0, randAugment: false },
    captions: { maxWords: MAX_WORDS, maxTokens: CONTEXT_LENGTH },
    selectOn: 'val',
    notes:
      'pir demo: Adam (no weight decay), 10 % linear warm-up then linear decay, no augmentation, selected on val',
  };
}

/** The two configurations the demo trains, and the vision tokens / belief K they were sized with. */
export interface DemoConfigs {
  pirItr: ModelConfig;
  vse: ModelConfig;
  /** Vision tokens PIR-ITR sees ({@link visionTokenCount}). */
  tokens: number;
  /** Tokens the hard belief strategy keeps. */
  k: number;
}

/** PIR-ITR and the VSE baseline at demo size, over `tokenizer`'s vocabulary (see the module doc). */
export function demoModelConfigs(tokenizer: Tokenizer, o: DemoModelOptions): DemoConfigs {
  checkImageSize(o.size);
  const tokens = demoVisionTokens(o.size);
  const k = Math.max(1, Math.round(KEEP_SHARE * tokens));
  const vision = { architecture: 'swin', config: { ...demoSwinConfig(o.size) } } as const;
  const text = { architecture: 'bert', config: { ...demoBertConfig(tokenizer) } } as const;
  const train = demoRecipe(o);
  const pirItr: ModelConfig = {
    name: 'pir-itr-demo',
    description: `PIR-ITR at demo size: a 16 → 64 wide Swin on ${o.size} px images, a one-layer BERT, a pre-trained ResNet as the instruction encoder`,
    architecture: 'pir-itr',
    encoders: {
      vision,
      text,
      instruction: { architecture: 'resnet', config: { ...DEMO_RESNET } },
    },
    config: {
      dim: o.embedDim,
      k,
      heads: 4,
      spatialLayers: 1,
      temporalLayers: 1,
      dropout: 0.1,
      lambda: o.lambda,
    },
    train,
  };
  const vse: ModelConfig = {
    name: 'vse-demo',
    description:
      "the VSE baseline on pir-itr-demo's Swin and BERT: the projected pooled image token and [CLS]",
    architecture: 'vse',
    encoders: { vision, text },
    config: { dim: o.embedDim, loss: 'contrastive', lambda: 0 },
    train,
  };
  return { pirItr, vse, tokens, k };
}
