/**
 * `pir demo`: PIR-ITR, end to end, on the built-in synthetic remote-sensing benchmark (no downloads).
 *
 * 1. `data.ts` — `@pir/datasets` renders aerial-looking scenes of 12 classes with semantic noise (distractor
 *    objects, clouds, sensor effects) and five captions each; train/test split by image; a word vocabulary
 *    of the training captions (`buildWordVocab`).
 * 2. `model.ts` — the instruction encoder, a small ResNet scene classifier, is pre-trained on the training
 *    images' scene labels and frozen (`pretrainInstructionEncoder`), standing in for PIR's AID-pretrained
 *    ResNet-50; `PirItr` (`@pir/models`) is built around it with a small Swin and a small BERT, both from
 *    scratch; the number of vision tokens (and so the belief's K) is asked of the Swin.
 * 3. `evaluate.ts` — `@pir/metrics` scores test retrieval (R@1/5/10 both ways, mR) before training;
 * 4. `train_loop.ts` — the demo's own minimal loop trains with PIR-ITR's loss (multi-positive InfoNCE +
 *    affiliation, learnable τ1/τ2, Adam), until the `@pir` trainer lands;
 * 5. `evaluate.ts` again, after training.
 *
 * This file runs them in that order and reports. Everything runs on the chosen tfjs backend (wasm by
 * default). Sizes are the demo's, not the paper's: the point is the whole pipeline in about a minute on two
 * CPU cores.
 */

import type { PretrainedInstructionEncoder } from '@pir/encoders';
import { formatReport, type RetrievalReport } from '@pir/metrics';
import type { PirItr } from '@pir/models';
import { type BackendInfo, type BackendName, initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { captionsOf, type DemoDataOptions, disposeDemoData, makeDemoData } from './data.js';
import { evaluateTestRetrieval } from './evaluate.js';
import { buildDemoModel, checkImageSize, pretrainDemoInstructionEncoder } from './model.js';
import { trainLoop } from './train_loop.js';

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
  /**
   * Synthetic benchmark: number of images, side in pixels (a multiple of 32 in [32, 512]), test share, and
   * optionally its semantic noise.
   */
  data: DemoDataOptions;
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

/** What {@link runDemo} takes: any of the {@link DemoOptions}, any field of `data`; the rest from {@link DEMO_DEFAULTS}. */
export type DemoOverrides = Partial<Omit<DemoOptions, 'data'>> & { data?: Partial<DemoDataOptions> };

/**
 * Run the demo; resolves with the reports (the process keeps no tensors afterwards).
 * @throws DemoOptionsError (`where` `'runDemo'`, `argument` the option) for options it cannot run with
 */
export async function runDemo(options: DemoOverrides = {}): Promise<DemoResult> {
  const o: DemoOptions = { ...DEMO_DEFAULTS, ...options, data: { ...DEMO_DEFAULTS.data, ...options.data } };
  const log = o.log;
  checkImageSize(o.data.size);
  const backend = await initBackend({
    backend: o.backend,
    seed: o.seed,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
  log(
    `backend: ${backend.name}${backend.simd !== undefined ? ` (SIMD ${backend.simd ? 'on' : 'off'}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'})` : ''}`,
  );

  let t0 = performance.now();
  const data = makeDemoData(o.data, o.seed);
  log(
    `synthetic benchmark: ${data.classes.length} scene classes, ${o.data.size} px; train ${data.train.length} images / ` +
      `${captionsOf(data, data.train).length} captions, test ${data.test.length} / ` +
      `${captionsOf(data, data.test).length} (${seconds(t0)} s)`,
  );

  // one generator, forked by role ('instruction', 'vision', 'text', 'model', 'shuffle'): each stream depends
  // only on the seed and its name
  const rng = new Rng(o.seed);
  let instruction: PretrainedInstructionEncoder | undefined;
  let model: PirItr | undefined;
  try {
    t0 = performance.now();
    instruction = await pretrainDemoInstructionEncoder(data, {
      epochs: o.pretrainEpochs,
      rng: rng.fork('instruction'),
    });
    const instructionAccuracy = instruction.history[instruction.history.length - 1]?.accuracy ?? 0;
    log(
      `instruction encoder: ResNet scene classifier pre-trained ${o.pretrainEpochs} epochs, training accuracy ` +
        `${(100 * instructionAccuracy).toFixed(0)} %, frozen (${seconds(t0)} s)`,
    );

    const built = buildDemoModel(data, instruction, { embedDim: o.embedDim, lambda: o.lambda }, rng);
    model = built.model;
    log(
      `PIR-ITR: Swin (${built.vision.dim}-d, ${built.tokens} tokens, belief keeps ${built.k}), BERT (${built.text.dim}-d, ` +
        `${data.tokenizer.vocabSize} words), joint width ${o.embedDim}; ${countParameters(model.trainableVariables())} trainable parameters`,
    );

    const before = await evaluateTestRetrieval(model, data);
    log('\ntest set before training:');
    log(formatReport(before));

    log('');
    const trained = await trainLoop(model, data, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.learningRate,
      rng: rng.fork('shuffle'),
      onEpoch: (e) =>
        log(
          `epoch ${e.epoch + 1}/${o.epochs}  loss ${e.loss.toFixed(4)}  ` +
            `(${e.seconds.toFixed(1)} s, ${e.steps} steps of ${o.batchSize} captions, ${tf.memory().numTensors} tensors)`,
        ),
    });
    const trainSeconds = trained.seconds;
    const totalSteps = trained.steps * o.epochs;
    const stepsPerSecond = totalSteps / trainSeconds;
    log(`trained ${totalSteps} steps in ${trainSeconds.toFixed(1)} s (${stepsPerSecond.toFixed(1)} steps/s)`);

    const after = await evaluateTestRetrieval(model, data);
    log('\ntest set after training:');
    log(formatReport(after));
    log(`\nmR ${before.mR.toFixed(2)} → ${after.mR.toFixed(2)}`);
    return {
      backend,
      before,
      after,
      epochLoss: trained.epochLoss,
      instructionAccuracy,
      trainSeconds,
      stepsPerSecond,
    };
  } finally {
    // the model owns its encoders, the instruction encoder included; before it exists, free that one alone
    if (model !== undefined) model.dispose();
    else instruction?.dispose();
    disposeDemoData(data);
  }
}

function countParameters(vars: readonly tf.Variable[]): string {
  const n = vars.reduce((s, v) => s + v.size, 0);
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;
}

function seconds(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(1);
}
