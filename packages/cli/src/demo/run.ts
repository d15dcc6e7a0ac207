/**
 * `pir demo`: PIR-ITR and the VSE baseline, trained and compared end to end on the built-in synthetic
 * remote-sensing benchmark (no downloads), with the trainer of `@pir/train`.
 *
 * 1. `data.ts` — `@pir/datasets` renders aerial-looking scenes of 12 classes with semantic noise (distractor
 *    objects, clouds, sensor effects) and five captions each, split by image into train / val / test; a word
 *    vocabulary of the training captions (`buildWordVocab`) serves both models.
 * 2. `model.ts` — the instruction encoder, a small ResNet scene classifier, is pre-trained on the training
 *    images' scene labels and frozen (`pretrainInstructionEncoder`), standing in for PIR's AID-pretrained
 *    ResNet-50; the configurations of PIR-ITR and of the VSE baseline (the same Swin and BERT, from scratch)
 *    with their training recipe.
 * 3. PIR-ITR is trained by `runTraining` of `@pir/train/node` into `<out>/pir-itr/`: its `init` loads the
 *    pre-trained instruction encoder into the new model and scores the untrained model on the test split;
 *    every epoch is validated, the best epoch (validation mR) is kept as a model directory.
 * 4. The VSE baseline likewise, into `<out>/vse/`.
 * 5. Both selected models are loaded back from their model directories (`loadModel` of `@pir/models/node`)
 *    and scored on the test split (`evaluateSplit`): one table.
 *
 * Everything runs on the chosen tfjs backend (wasm by default). Sizes are the demo's, not the paper's: the
 * point is the whole pipeline in about a minute on two CPU cores.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PretrainedInstructionEncoder } from '@pir/encoders';
import { loadStateDict, stateDict } from '@pir/encoders';
import { formatReport, type RetrievalReport } from '@pir/metrics';
import type { ModelConfig, PirItr } from '@pir/models';
import { loadModel } from '@pir/models/node';
import { type BackendInfo, type BackendName, initBackend, Rng } from '@pir/runtime';
import { evaluateSplit, type TrainableModel, type TrainEvent } from '@pir/train';
import { type RunTrainingResult, runTraining } from '@pir/train/node';
import { countText, recallTable, reportRow, secondsSince } from '../format.js';
import { type DemoData, type DemoDataOptions, makeDemoData, trainingImages } from './data.js';
import { DemoInterruptedError, DemoOptionsError } from './errors.js';
import { checkImageSize, demoModelConfigs, pretrainDemoInstructionEncoder } from './model.js';

/** What `pir demo` runs with: {@link DEMO_DEFAULTS}, changed by {@link DemoOverrides}. */
export interface DemoOptions {
  /** tfjs backend (default `'wasm'`). */
  backend: BackendName | 'auto';
  /** wasm threads (default: all cores). */
  threads?: number;
  /** Training epochs over all training captions (each model). */
  epochs: number;
  /** Captions per training batch (images repeat when two of their captions land in one batch). */
  batchSize: number;
  /** Width of the joint embedding space and of the PAE. */
  embedDim: number;
  /** Peak learning rate (AdamW without weight decay, 10 % linear warm-up, then linear decay). */
  learningRate: number;
  /** λ of PIR-ITR's `L = L_c + λ·L_a`. */
  lambda: number;
  /** Epochs of instruction-encoder pre-training (scene classification). */
  pretrainEpochs: number;
  /** Seed of the data, the initialisation and the shuffling. */
  seed: number;
  /**
   * Synthetic benchmark: number of images, side in pixels (a multiple of 32 in [32, 512]), the validation and
   * test shares, and optionally its semantic noise.
   */
  data: DemoDataOptions;
  /** Also train the VSE baseline on the same data and encoders, and compare (default true). */
  baseline: boolean;
  /**
   * The folder of the runs (`<out>/pir-itr/`, `<out>/vse/`: checkpoints, log, curves, the selected model);
   * default `pir-demo-<date>-<time>` in the working directory. It must not hold a run already.
   */
  out?: string;
  /** Where progress lines go (default: console.log; then a terminal also shows a live step counter). */
  log: (line: string) => void;
  /** Stops training (a checkpoint is written; `runDemo` rejects with a `DemoInterruptedError`). */
  signal?: AbortSignal;
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
  data: { images: 240, size: 32, valShare: 0.1, testShare: 0.25 },
  baseline: true,
  log: (line) => console.log(line),
};

/** One trained model of the demo. */
export interface DemoRun {
  /** The run directory: `config.json`, `log.jsonl`, `loss.png|svg`, `recall.png|svg`, `checkpoints/`, `results.json`. */
  runDir: string;
  /** The selected model as a model directory (`loadModel` of `@pir/models/node`). */
  modelDir: string;
  /** Test retrieval of the selected model, loaded back from {@link DemoRun.modelDir}. */
  test: RetrievalReport;
  /** The selected epoch (0-based): the best validation mR. */
  selectedEpoch: number;
  /** Validation mR after each epoch. */
  valMR: number[];
  /** Mean training loss of each epoch. */
  epochLoss: number[];
  /** Optimiser steps. */
  steps: number;
  /** Training wall time (validation included). */
  seconds: number;
  /** Trainable parameters. */
  parameters: number;
}

/** What {@link runDemo} resolves with: both runs, the untrained baseline, the instruction encoder's accuracy. */
export interface DemoResult {
  /** The backend it ran on. */
  backend: BackendInfo;
  /** The folder of the runs. */
  out: string;
  /** PIR-ITR's run. */
  pirItr: DemoRun;
  /** The VSE baseline's run (unless `baseline: false`). */
  vse?: DemoRun;
  /** Test retrieval of PIR-ITR before training (its initial weights, the pre-trained instruction encoder). */
  before: RetrievalReport;
  /** Test retrieval of PIR-ITR after training (the selected epoch): `pirItr.test`. */
  after: RetrievalReport;
  /** Mean training loss of each epoch of PIR-ITR: `pirItr.epochLoss`. */
  epochLoss: number[];
  /** Training accuracy of the instruction encoder after pre-training (scene classification). */
  instructionAccuracy: number;
  /** PIR-ITR's training wall time (validation included): `pirItr.seconds`. */
  trainSeconds: number;
  /** PIR-ITR's optimiser steps per second. */
  stepsPerSecond: number;
}

/** What {@link runDemo} takes: any of the {@link DemoOptions}, any field of `data`; the rest from {@link DEMO_DEFAULTS}. */
export type DemoOverrides = Partial<Omit<DemoOptions, 'data'>> & { data?: Partial<DemoDataOptions> };

/** `pir-demo-2025-06-01-143205`: the default folder of a demo started at `date` (local time). */
export function demoFolderName(date: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `pir-demo-${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}-` +
    `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`
  );
}

/** Refuse a folder that already holds a run of the demo (a new run would mix with it). */
async function checkOut(out: string): Promise<void> {
  for (const sub of ['pir-itr', 'vse']) {
    let entries: string[] = [];
    try {
      entries = await readdir(resolve(out, sub));
    } catch {
      continue; // not there: fine
    }
    if (entries.length > 0)
      throw new DemoOptionsError(
        'out',
        `'${out}' already holds a demo run (${sub}/); choose another folder (--out) or remove it`,
      );
  }
}

/**
 * A live one-line step counter on a terminal (rewritten in place), cleared before each logged line; on other
 * outputs nothing.
 */
function liveLine(enabled: boolean): { show(text: string): void; clear(): void } {
  let shown = false;
  return {
    show(text) {
      if (!enabled) return;
      process.stdout.write(`\r\x1b[K${text}`);
      shown = true;
    },
    clear() {
      if (!shown) return;
      process.stdout.write('\r\x1b[K');
      shown = false;
    },
  };
}

/**
 * Run the demo; resolves with the reports (the process keeps no tensors afterwards).
 * @throws DemoOptionsError (`where` `'runDemo'`, `argument` the option) for options it cannot run with
 * @throws DemoInterruptedError when stopped (Ctrl-C or `signal`) during training
 */
export async function runDemo(options: DemoOverrides = {}): Promise<DemoResult> {
  const o: DemoOptions = { ...DEMO_DEFAULTS, ...options, data: { ...DEMO_DEFAULTS.data, ...options.data } };
  const live = liveLine(options.log === undefined && process.stdout.isTTY === true);
  const log = (line: string) => {
    live.clear();
    o.log(line);
  };
  checkImageSize(o.data.size);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 2))
    throw new DemoOptionsError('batchSize', `must be an integer ≥ 2, got ${o.batchSize}`);
  const out = resolve(o.out ?? demoFolderName());
  await checkOut(out);
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
  const { train, val, test } = data.counts;
  log(
    `synthetic benchmark: ${data.classes.length} scene classes, ${o.data.size} px; train ${train.images} images / ` +
      `${train.captions} captions, val ${val.images} / ${val.captions}, test ${test.images} / ${test.captions} (${secondsSince(t0)} s)`,
  );
  if (o.batchSize > train.captions)
    throw new DemoOptionsError(
      'batchSize',
      `${o.batchSize} is more than the ${train.captions} training captions; use more images or a smaller batch`,
    );

  t0 = performance.now();
  let instruction: PretrainedInstructionEncoder | undefined;
  const pictures = trainingImages(data);
  try {
    instruction = await pretrainDemoInstructionEncoder(pictures.images, pictures.labels, {
      epochs: o.pretrainEpochs,
      rng: new Rng(o.seed).fork('instruction'),
    });
  } finally {
    pictures.images.dispose();
  }
  try {
    const instructionAccuracy = instruction.history[instruction.history.length - 1]?.accuracy ?? 0;
    log(
      `instruction encoder: ResNet scene classifier pre-trained ${o.pretrainEpochs} epochs, training accuracy ` +
        `${(100 * instructionAccuracy).toFixed(0)} %, frozen (${secondsSince(t0)} s)`,
    );
    const configs = demoModelConfigs(data.tokenizer, {
      size: o.data.size,
      embedDim: o.embedDim,
      lambda: o.lambda,
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.learningRate,
    });
    await mkdir(out, { recursive: true });
    log(`runs (checkpoints, log, loss and recall curves, the selected model): ${out}`);

    // PIR-ITR: the pre-trained instruction encoder goes into the new model; the untrained model is scored
    const instructionWeights = await stateDict(instruction.model);
    let before: RetrievalReport | undefined;
    const pirItr = await trainDemoModel(
      'PIR-ITR',
      configs.pirItr,
      data,
      o,
      resolve(out, 'pir-itr'),
      log,
      live,
      {
        init: async (model, parameters) => {
          const m = model as unknown as PirItr;
          const loaded = loadStateDict(
            m.encoders.instruction as unknown as Parameters<typeof loadStateDict>[0], // a view of the ResNet
            instructionWeights,
            { strict: false },
          );
          if (loaded.missing.length > 0 || loaded.mismatched.length > 0)
            throw new Error(`runDemo: the instruction encoder did not load: ${JSON.stringify(loaded)}`);
          log(
            `\nPIR-ITR: Swin (${m.encoders.vision.dim}-d, ${configs.tokens} tokens, belief keeps ${configs.k}), ` +
              `BERT (${m.encoders.text.dim}-d, ${data.tokenizer.vocabSize} words), joint width ${o.embedDim}; ` +
              `${countText(parameters(model))} trainable parameters`,
          );
          before = await evaluateSplit(model, data.training.test, { tokenizer: data.tokenizer });
          log('test set before training:');
          log(formatReport(before));
          log('');
        },
      },
    );

    let vse: DemoRun | undefined;
    if (o.baseline) {
      vse = await trainDemoModel('VSE', configs.vse, data, o, resolve(out, 'vse'), log, live, {
        init: (model, parameters) => {
          log(
            '\nVSE baseline: the same Swin and BERT, nothing of PIR (no instruction encoder, belief or PAE): ' +
              `v = proj(pooled image token), t = proj([CLS]); ${countText(parameters(model))} trainable parameters`,
          );
        },
      });
    }

    const rows = [
      reportRow('PIR-ITR, untrained', before as RetrievalReport),
      ...(vse === undefined ? [] : [reportRow('VSE baseline', vse.test)]),
      reportRow('PIR-ITR', pirItr.test),
    ];
    log(
      `\ntest set, ${test.images} images × ${test.captions} captions; each model at the epoch it selected on val ` +
        `(PIR-ITR ${pirItr.selectedEpoch + 1}${vse === undefined ? '' : `, VSE ${vse.selectedEpoch + 1}`}), loaded back from its model directory:`,
    );
    log(recallTable(rows));
    const mR = (r: RetrievalReport) => r.mR.toFixed(2);
    log(
      `\nmR: untrained ${mR(before as RetrievalReport)}` +
        `${vse === undefined ? '' : ` · VSE baseline ${mR(vse.test)}`} · PIR-ITR ${mR(pirItr.test)}` +
        `${vse === undefined ? '' : ` (PIR-ITR − VSE: ${signed(pirItr.test.mR - vse.test.mR)})`}`,
    );
    log(
      `files: ${pirItr.runDir}${vse === undefined ? '' : `, ${vse.runDir}`} (loss.png and recall.png: the curves)`,
    );
    return {
      backend,
      out,
      pirItr,
      ...(vse === undefined ? {} : { vse }),
      before: before as RetrievalReport,
      after: pirItr.test,
      epochLoss: pirItr.epochLoss,
      instructionAccuracy,
      trainSeconds: pirItr.seconds,
      stepsPerSecond: pirItr.steps / pirItr.seconds,
    };
  } finally {
    instruction.dispose();
  }
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
}

/**
 * Train one model with `runTraining` into `runDir` (progress as one line per epoch), then load its selected
 * model directory back and score it on the test split.
 */
async function trainDemoModel(
  label: string,
  config: ModelConfig,
  data: DemoData,
  o: DemoOptions,
  runDir: string,
  log: (line: string) => void,
  live: { show(text: string): void },
  hooks: {
    init: (model: TrainableModel, parameters: (m: TrainableModel) => number) => void | Promise<void>;
  },
): Promise<DemoRun> {
  const parameters = (m: TrainableModel) => m.trainableVariables().reduce((s, v) => s + v.size, 0);
  let stepsPerEpoch = 0;
  let tensors = 0;
  const tag = label.padEnd(7);
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'start') stepsPerEpoch = e.stepsPerEpoch;
    else if (e.type === 'step') {
      tensors = e.memory.numTensors;
      live.show(
        `${tag} epoch ${e.epoch + 1}/${o.epochs}  step ${e.stepInEpoch}/${e.stepsPerEpoch}  loss ${(e.losses.loss ?? Number.NaN).toFixed(4)}`,
      );
    } else if (e.type === 'epoch') {
      const r = e.record;
      log(
        `${tag} epoch ${r.epoch + 1}/${e.epochs}  loss ${(r.losses.loss ?? Number.NaN).toFixed(4)}  val mR ${(r.val?.mR ?? Number.NaN).toFixed(2)}${r.best ? ' ★' : '  '}` +
          `  (${r.seconds.toFixed(1)} s, ${stepsPerEpoch} steps of ${o.batchSize} captions, ${tensors} tensors)`,
      );
    }
  };
  let result: RunTrainingResult | undefined;
  try {
    result = await runTraining({
      model: config,
      data: data.training,
      tokenizer: data.tokenizer,
      seed: o.seed,
      runDir,
      progress: 'none',
      init: (model) => hooks.init(model, parameters),
      onEvent,
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
    if (result.status === 'interrupted') throw new DemoInterruptedError(result.runDir);
    const best = result.best;
    const modelDir = result.files.model;
    if (best === null || modelDir === undefined)
      throw new Error(`runDemo: ${label} finished without a selected model (${result.runDir})`);
    const run = {
      runDir,
      modelDir,
      selectedEpoch: best.epoch,
      valMR: result.epochs.map((r) => r.val?.mR ?? Number.NaN),
      epochLoss: result.epochs.map((r) => r.losses.loss ?? Number.NaN),
      steps: result.steps,
      seconds: result.seconds,
      parameters: parameters(result.model),
    };
    result.dispose();
    result = undefined;
    // the model as saved: loaded back from its directory and scored on the test split
    const loaded = await loadModel(modelDir);
    try {
      return { ...run, test: await evaluateSplit(loaded, data.training.test) };
    } finally {
      loaded.dispose();
    }
  } finally {
    result?.dispose();
  }
}
