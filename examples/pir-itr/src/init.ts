/**
 * What the model starts from before training (the trainer's `init` hook):
 *
 * - **pretrained towers**, when you have them: Swin-T (official or timm ≥ 0.9 checkpoint, ImageNet), BERT
 *   (`bert-base-uncased/pytorch_model.bin` or `.safetensors`), the instruction ResNet (a torchvision ResNet
 *   checkpoint — the paper's is a ResNet-50 trained on AID scene classification). PIR_SPEC §1: that is what the
 *   published PIR-ITR starts from.
 * - otherwise the **instruction encoder is pre-trained here** as a scene classifier on the training split's scene
 *   labels (`pretrainInstructionEncoder` of `@pir/encoders`), then frozen — the stand-in for AID pre-training the
 *   synthetic benchmark and the CPU sizes use (a random frozen ResNet gives PIR a meaningless prior).
 */
import { evalTransform, imagesToBatch } from '@pir/datasets';
import {
  loadStateDict,
  loadWeightsFile,
  mapStateDict,
  pretrainInstructionEncoder,
  type ResNetConfig,
  type StateDict,
  stateDict,
} from '@pir/encoders';
import type { ResolvedModelConfig } from '@pir/models';
import type { HasParameters, LoadReport } from '@pir/nn';
import { Rng } from '@pir/runtime';
import type { DataSplit, TrainableModel } from '@pir/train';
import * as tf from '@tensorflow/tfjs-core';
import { ExampleError } from './data.js';

/** Pretrained weight files for the towers (any may be left out). */
export interface PretrainedWeights {
  /** Swin checkpoint (official `swin_tiny_patch4_window7_224.pth`, or timm ≥ 0.9 `.safetensors`). */
  swin?: string;
  /** BERT checkpoint (HF `pytorch_model.bin` / `model.safetensors` of `bert-base-uncased`). */
  bert?: string;
  /** torchvision ResNet checkpoint for the frozen instruction encoder (the paper: ResNet-50 on AID). */
  resnet?: string;
}

/** A report that loaded every parameter (unexpected keys, e.g. a classifier head, are fine). */
function checkLoaded(what: string, file: string, report: LoadReport): void {
  const problems = [
    ...report.missing.slice(0, 5).map((k) => `missing ${k}`),
    ...report.mismatched.slice(0, 5).map((m) => `${m.key}: ${m.got} in the file, ${m.expected} in the model`),
  ];
  if (problems.length > 0)
    throw new ExampleError(
      `${file} does not fit the ${what} of this configuration (${report.missing.length} missing, ${report.mismatched.length} mis-shaped): ${problems.join('; ')} — the published towers need --config pir-itr-paper`,
    );
}

/** A Swin checkpoint in the official layout (timm ≥ 0.9 keeps `downsample` at the start of stages 1–3). */
function officialSwin(sd: StateDict): StateDict {
  const timm = [...sd.keys()].some((k) => /(^|\.)layers\.3\.downsample\./.test(k));
  return timm ? mapStateDict(sd, 'swinTimm') : sd;
}

/**
 * Load the towers' pretrained weights into a PIR-ITR or VSE model (the instruction ResNet only where the model
 * has one).
 * @returns one line per file loaded
 */
export async function loadPretrainedTowers(
  model: TrainableModel,
  weights: PretrainedWeights,
): Promise<string[]> {
  const lines: string[] = [];
  const encoders = model.encoders as unknown as Record<string, HasParameters | undefined>;
  if (weights.swin !== undefined) {
    const sd = officialSwin(await loadWeightsFile(weights.swin));
    const report = loadStateDict(encoders.vision as HasParameters, sd, { strict: false });
    checkLoaded('Swin', weights.swin, report);
    lines.push(`vision: ${report.loaded.length} tensors from ${weights.swin}`);
  }
  if (weights.bert !== undefined) {
    const sd = mapStateDict(await loadWeightsFile(weights.bert), 'bert');
    const report = loadStateDict(encoders.text as HasParameters, sd, { strict: false });
    checkLoaded('BERT', weights.bert, report);
    lines.push(`text: ${report.loaded.length} tensors from ${weights.bert}`);
  }
  if (weights.resnet !== undefined && encoders.instruction !== undefined) {
    const sd = mapStateDict(await loadWeightsFile(weights.resnet), 'torchvisionResnet');
    const report = loadStateDict(encoders.instruction, sd, { strict: false });
    checkLoaded('instruction ResNet', weights.resnet, report);
    lines.push(`instruction: ${report.loaded.length} tensors from ${weights.resnet} (frozen)`);
  }
  return lines;
}

/** Options of {@link pretrainInstruction}. */
export interface PretrainInstructionOptions {
  /** Epochs of scene classification. */
  epochs: number;
  /** Image side (the model's input size). */
  size: number;
  /** Seed of the initial weights and the shuffling. */
  seed: number;
  /** At most this many training images (a seeded sample; default 2,000 — they are held in memory). */
  maxImages?: number;
  /** Images decoded at a time. Default 64. */
  chunk?: number;
  log?: (line: string) => void;
}

/**
 * Pre-train the model's instruction ResNet (same architecture as the configuration's) as a scene classifier on
 * the training split's images and labels, freeze it, and load it into `model.encoders.instruction`.
 * @returns the last epoch's training accuracy
 */
export async function pretrainInstruction(
  model: TrainableModel,
  resolved: ResolvedModelConfig,
  train: DataSplit,
  options: PretrainInstructionOptions,
): Promise<number> {
  const target = (model.encoders as unknown as { instruction?: HasParameters }).instruction;
  const encoder = resolved.encoders.instruction;
  if (target === undefined || encoder === undefined || encoder.architecture !== 'resnet')
    throw new ExampleError('pretrainInstruction: the model has no torchvision-style instruction ResNet');
  const rng = new Rng(options.seed);
  const n = train.imageLabels.length;
  const order = rng.permutation(n);
  const picked = Array.from(order.subarray(0, Math.min(n, options.maxImages ?? 2000))).sort((a, b) => a - b);
  // dense class ids over the picked images (RSICD's number-only file names are classes of their own)
  const classes = new Map<number, number>();
  const labels = picked.map((i) => {
    const l = train.imageLabels[i] as number;
    if (!classes.has(l)) classes.set(l, classes.size);
    return classes.get(l) as number;
  });
  if (classes.size < 2)
    throw new ExampleError('pretrainInstruction: the training images have one scene label');
  const chunk = options.chunk ?? 64;
  const parts: tf.Tensor4D[] = [];
  let images: tf.Tensor4D | undefined;
  try {
    for (let s = 0; s < picked.length; s += chunk) {
      const raws = await train.loadImages(picked.slice(s, s + chunk));
      parts.push(tf.tidy(() => evalTransform(imagesToBatch(raws), { size: options.size }) as tf.Tensor4D));
    }
    images = parts.length === 1 ? (parts.pop() as tf.Tensor4D) : tf.concat(parts, 0);
    const pretrained = await pretrainInstructionEncoder(images, labels, {
      config: { ...(encoder.config as Partial<ResNetConfig>), numClasses: classes.size },
      numClasses: classes.size,
      epochs: options.epochs,
      batchSize: 32,
      rng,
      onEpoch: (e) =>
        options.log?.(
          `  scene classifier epoch ${e.epoch + 1}/${options.epochs}: loss ${e.loss.toFixed(4)}, training accuracy ${(100 * e.accuracy).toFixed(1)} %`,
        ),
    });
    try {
      const report = loadStateDict(target, await stateDict(pretrained.model), { strict: false });
      checkLoaded('instruction ResNet', 'the pre-trained scene classifier', report);
      return pretrained.history.at(-1)?.accuracy ?? Number.NaN;
    } finally {
      pretrained.dispose();
    }
  } finally {
    tf.dispose([...parts, ...(images === undefined ? [] : [images])]);
  }
}
