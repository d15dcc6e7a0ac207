/**
 * {@link train}: the training loop of every model of `@pir/models` — PIR-ITR, PIR-CLIP, the VSE baseline — on
 * any {@link TrainingData}, from a configuration's training recipe (PIR_SPEC §5):
 *
 * ```
 * createModel(config) ─ AdamW(recipe.optimizer, schedule over epochs × steps)
 * for each epoch:
 *   BatchSampler(train, seeded, resumable) ─ prefetch(decode images) ─ augment (recipe.augment) ─ tokenize
 *     ─ trainStep (gradient caching when microBatch < batchSize, clipping) ─ readStep ─ onEvent('step')
 *     ─ every `checkpointEvery` steps: checkpoint 'latest'
 *   evaluate val (evaluateSplit: R@1/5/10 both ways, mR) ─ best mR so far? ─ checkpoint 'latest' (+ 'best')
 * at the end: the best checkpoint's weights back into the model, test evaluated there (never selected on)
 * ```
 *
 * Backend-agnostic (Node and browser): files, progress bars and plots are `@pir/train/node`'s. A run stops
 * cleanly when its `signal` aborts (a checkpoint is written first) and resumes **exactly** from the store's
 * `latest` checkpoint: weights, optimiser moments and steps, every random generator, the sampler's position —
 * the resumed run computes bit for bit what the uninterrupted one does on the same backend.
 */
import { BatchSampler, type BatchSamplerState, prefetch, type RawImage } from '@pir/datasets';
import type { Tokenizer } from '@pir/encoders';
import {
  type CreateModelOptions,
  createModel,
  type EmbeddingModel,
  type ModelConfig,
  type ModelName,
  type ResolvedModelConfig,
  resolveModelConfig,
} from '@pir/models';
import { hashString, PirError, Rng, type RngState } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, TrainInputError } from '../errors.js';
import { modelTask } from '../grad_cache/pir_tasks.js';
import { restoreRngStates, saveRngStates } from '../grad_cache/rng_state.js';
import type { EmbeddingTask, LossLike } from '../grad_cache/task.js';
import type { AdamW } from '../optim/adamw.js';
import type { NamedModel } from '../optim/model_parameters.js';
import type { ParamGroupOptions } from '../optim/param_groups.js';
import { readStep, trainStep } from '../step.js';
import { disposeTrainBatch, makeTrainBatch, type TrainBatch } from './batches.js';
import {
  applyCheckpointWeights,
  type DecodedCheckpoint,
  decodeCheckpoint,
  type EpochSums,
  encodeCheckpoint,
  type RunIdentity,
  type TrainerState,
} from './checkpoint.js';
import { type CheckpointStore, type CheckpointTag, memoryCheckpointStore } from './checkpoint_store.js';
import { evaluateSplit } from './evaluate_split.js';
import {
  type BestRecord,
  type EpochRecord,
  type MemoryRecord,
  type RetrievalSummary,
  type StepEvent,
  summarizeReport,
  type TrainEvent,
} from './events.js';
import { watchTensorMemory } from './peak_memory.js';
import { augmentOptions, type RecipeChanges, recipeOptimizer, resolveRecipe } from './recipe.js';
import { checkTokenizer, wordTokenizerFor } from './tokenizer.js';
import { checkSplit, type DataSplit, splitFingerprint, type TrainingData } from './training_data.js';

/** A model of `@pir/models` as the trainer uses it (`PirItr`, `PirClip`, `VseModel`). */
export type TrainableModel = EmbeddingModel & NamedModel & { applyConstraints(): void };

/** Options of {@link train}. */
export interface TrainOptions {
  /** The model: a catalogue name (`'pir-itr'`, `'vse-tiny'`, …) or a configuration with a `train` recipe. */
  model: ModelName | ModelConfig;
  /** The splits: `train`; `val` (selects the checkpoint); `test` (reported at the selected checkpoint). */
  data: TrainingData;
  /** Changes to the recipe (`{ epochs: 5, optimizer: { lr: 1e-4 } }`), checked as the configuration's. */
  recipe?: RecipeChanges;
  /** `createModel` overrides of the model's fields (ablation switches, `variant`, `dropout`, …). */
  overrides?: CreateModelOptions['overrides'];
  /**
   * Seed of the run (default 0): the model's initial weights, the batch order, the augmentation and (through
   * the model's generators) dropout all derive from it.
   */
  seed?: number;
  /**
   * The captions' tokenizer. Default: a word vocabulary of the training captions sized to the text encoder
   * (for towers trained from scratch; pass `loadBertTokenizer()` / `loadClipTokenizer()` for pretrained ones).
   */
  tokenizer?: Tokenizer;
  /** Called with the new model before training (and before a resume overwrites its weights): load pretrained encoders here. */
  init?: (model: TrainableModel) => void | Promise<void>;
  /**
   * Memory budget: rows (captions) per forward pass. Below the recipe's batch, each step computes the whole
   * batch's gradient by gradient caching (same result, one micro-batch's activations). Default: the batch.
   */
  microBatch?: number;
  /**
   * Activation checkpointing in the encoders that support it (`model.setGradientCheckpointing(true)`): same
   * gradients, a fraction of the activation memory, about one more forward pass of the encoders per step.
   * With `microBatch`, what lets the paper-size PIR-ITR train in the 4 GiB wasm heap (there, also start the
   * backend with `initBackend({ cachePackedWeights: false })`). Default false.
   */
  gradientCheckpointing?: boolean;
  /** Clip the global gradient norm to this (default: no clipping, as the released code). */
  maxGradNorm?: number;
  /** Captions of one image kept together in a batch (positives; `BatchSampler`'s `captionsPerImage`). Default 1. */
  captionsPerImage?: number;
  /** Drop the last, smaller batch of an epoch (default true, as the released code's loader). */
  dropLast?: boolean;
  /** Parameter-name prefixes (or a predicate) trained at twice the learning rate (`paramGroups`' `newParams`). */
  newParams?: ParamGroupOptions['newParams'];
  /** Images per forward pass in evaluation (default 32; captions: 8 ×). */
  evalBatch?: number;
  /** Training batches decoded ahead of the step (default 2). */
  prefetch?: number;
  /** Also write the `latest` checkpoint every this many steps (default 0: at the end of each epoch only). */
  checkpointEvery?: number;
  /** Where checkpoints go (default: {@link memoryCheckpointStore}). */
  store?: CheckpointStore;
  /** `true`: continue from the store's `latest` checkpoint (an error when there is none); `'auto'`: if there is one. */
  resume?: boolean | 'auto';
  /** Stop: after the current step a checkpoint is written and `train` resolves with status `'interrupted'`. */
  signal?: AbortSignal;
  /** Called with every {@link TrainEvent} (awaited: a slow handler slows training). */
  onEvent?: (event: TrainEvent) => void | Promise<void>;
  /** More memory figures for step events (Node: `{ rssBytes, peakRssBytes }`). */
  memoryProbe?: () => Record<string, number>;
}

/** What {@link train} resolves with. */
export interface TrainResult {
  /** `'completed'`, or `'interrupted'` (the signal aborted; resume from the store's `latest`). */
  status: 'completed' | 'interrupted';
  /**
   * The model: at the selected (`best`) checkpoint when completed, at the last step when interrupted. Yours
   * to dispose ({@link TrainResult.dispose}).
   */
  model: TrainableModel;
  /** The tokenizer of its captions. */
  tokenizer: Tokenizer;
  /** The configuration it was built from, with the recipe as run (checked), and its overrides. */
  config: ModelConfig;
  overrides: Record<string, unknown>;
  /** One record per finished epoch. */
  epochs: EpochRecord[];
  /** The selected epoch (best mR on the recipe's `selectOn` split), `null` before the first epoch ended. */
  best: BestRecord | null;
  /** Validation retrieval at the selected checkpoint. */
  val?: RetrievalSummary;
  /** Test retrieval at the selected checkpoint (completed runs with a test split). */
  test?: RetrievalSummary;
  /** Optimiser steps done. */
  steps: number;
  /** Training wall time of the whole run, over every resume. */
  seconds: number;
  /** High-water mark of the backend's tensor bytes in this process. */
  peakBytes: number;
  /** The checkpoint resumed from, if any. */
  resumedFrom?: string;
  /** Free the model. */
  dispose(): void;
}

function positiveInt(where: string, name: string, x: number | undefined, fallback: number, min = 1): number {
  const v = x ?? fallback;
  if (!Number.isInteger(v) || v < min)
    throw new TrainInputError(where, name, `must be an integer ≥ ${min}, got ${String(x)}`);
  return v;
}

/**
 * The image of each row: every distinct image decoded once (a batch may hold several captions of one image),
 * then handed to its rows.
 */
async function loadRows(split: DataSplit, imageIds: ArrayLike<number>): Promise<RawImage[]> {
  const rows = Array.from(imageIds);
  const unique = [...new Set(rows)];
  const decoded = await split.loadImages(unique);
  if (!Array.isArray(decoded) || decoded.length !== unique.length)
    throw new TrainInputError(
      'train',
      'data.train.loadImages',
      `returned ${Array.isArray(decoded) ? decoded.length : typeof decoded} images for ${unique.length} indices`,
    );
  const byIndex = new Map(unique.map((i, k) => [i, decoded[k] as RawImage]));
  return rows.map((i) => byIndex.get(i) as RawImage);
}

/** One turn of the event loop (macrotasks run: signal handlers, timers, I/O callbacks). */
function turnEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((ok) => {
    if (immediate !== undefined) immediate(ok);
    else setTimeout(ok, 0);
  });
}

function emptySums(): EpochSums {
  return { steps: 0, samples: 0, seconds: 0, gradNorm: 0, losses: {}, lr: {} };
}

/** JSON with sorted keys: equal values compare equal. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (typeof x === 'object' && x !== null)
    return `{${Object.keys(x)
      .sort()
      .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(x) ?? 'null';
}

function tokenizerHash(t: Tokenizer): string {
  const json = (t as { toJSON?: () => unknown }).toJSON?.();
  const text = canonical(json ?? { vocabSize: t.vocabSize, contextLength: t.contextLength });
  return (hashString(text) >>> 0).toString(16).padStart(8, '0');
}

/** Refuse to resume a checkpoint of another run, naming the first field that differs. */
function checkIdentity(saved: RunIdentity, now: RunIdentity, location: string): void {
  const fields: [keyof RunIdentity, string][] = [
    ['seed', 'the seed'],
    ['config', 'the configuration (model, encoders or training recipe)'],
    ['overrides', 'the model overrides'],
    ['tokenizer', 'the tokenizer'],
    ['data', 'the data (captions, images or labels of a split)'],
    ['captionsPerImage', 'captionsPerImage'],
    ['dropLast', 'dropLast'],
    ['maxGradNorm', 'maxGradNorm'],
    ['newParams', 'newParams'],
  ];
  for (const [key, what] of fields)
    if (canonical(saved?.[key]) !== canonical(now[key]))
      throw new CheckpointError(
        'trainer.json',
        `run.${key}`,
        `the checkpoint was written by a run with other ${what}; resume with the same options, or start a new run`,
        location,
      );
}

/**
 * Train a model of `@pir/models` on `data` with its configuration's recipe: epochs of seeded batches,
 * augmentation, the training step (gradient caching below `microBatch`), validation retrieval after each epoch,
 * the best epoch kept by validation mR, test retrieval reported there (PIR_SPEC §5). See the module doc.
 *
 * @returns the run's result; `result.model` holds the selected weights (dispose it with `result.dispose()`)
 * @throws TrainInputError for options it cannot run with (a configuration without a `train` recipe, an empty
 *   split, a batch larger than the training split, a missing validation split, …), `CheckpointError` for a
 *   checkpoint it cannot resume
 * @example
 * ```ts
 * const data = syntheticTrainingData(generateSynthetic({ seed: 1, count: 24, size: 32 }));
 * const result = await train({ model: 'pir-itr-test', data, recipe: { epochs: 1, batchSize: 8 } });
 * result.best?.mR; // validation mR of the selected epoch
 * result.test?.mR; // test mR there
 * result.dispose();
 * ```
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const where = 'train';
  if (typeof options !== 'object' || options === null)
    throw new TrainInputError(where, 'options', 'expected { model, data, … }');
  const { config, recipe } = resolveRecipe(where, options.model, options.recipe);
  const resolved: ResolvedModelConfig = resolveModelConfig(config);
  const data = options.data;
  if (typeof data !== 'object' || data === null)
    throw new TrainInputError(
      where,
      'data',
      'expected { train, val?, test? } (syntheticTrainingData, trainingData)',
    );
  const trainSize = checkSplit(where, 'train', data.train);
  if (data.val !== undefined) checkSplit(where, 'val', data.val);
  if (data.test !== undefined) checkSplit(where, 'test', data.test);
  const selectOn = recipe.selectOn;
  if (data[selectOn] === undefined)
    throw new TrainInputError(
      where,
      `data.${selectOn}`,
      selectOn === 'val'
        ? 'the recipe selects the checkpoint on the validation split (selectOn "val", PIR_SPEC §5) but the data has none: add a val split (or set recipe.selectOn to "test" to reproduce the released code)'
        : 'the recipe selects the checkpoint on the test split (selectOn "test") but the data has none',
    );
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed))
    throw new TrainInputError(where, 'seed', `must be an integer, got ${String(seed)}`);
  const batchSize = recipe.batchSize;
  const microBatch = Math.min(positiveInt(where, 'microBatch', options.microBatch, batchSize), batchSize);
  const maxGradNorm = options.maxGradNorm;
  if (maxGradNorm !== undefined && !(Number.isFinite(maxGradNorm) && maxGradNorm > 0))
    throw new TrainInputError(where, 'maxGradNorm', `must be a finite number > 0, got ${maxGradNorm}`);
  const captionsPerImage = positiveInt(where, 'captionsPerImage', options.captionsPerImage, 1);
  const dropLast = options.dropLast ?? true;
  const checkpointEvery = positiveInt(where, 'checkpointEvery', options.checkpointEvery, 0, 0);
  const depth = positiveInt(where, 'prefetch', options.prefetch, 2, 0);
  const evalBatch = positiveInt(where, 'evalBatch', options.evalBatch, 32);
  if (batchSize > trainSize.captions)
    throw new TrainInputError(
      where,
      'recipe.batchSize',
      `a batch of ${batchSize} captions is larger than the training split (${trainSize.captions} captions of ${trainSize.images} images): lower recipe.batchSize or use more data`,
    );
  const newParams = options.newParams;
  if (newParams !== undefined && typeof newParams !== 'function' && !Array.isArray(newParams))
    throw new TrainInputError(where, 'newParams', 'must be name prefixes or a predicate');
  const store = options.store ?? memoryCheckpointStore();
  if (typeof store?.save !== 'function' || typeof store.load !== 'function')
    throw new TrainInputError(where, 'store', 'expected a CheckpointStore { save, load }');
  const overrides = { ...(options.overrides ?? {}) } as Record<string, unknown>;

  // the order of each epoch and the augmentation derive from the seed alone
  const root = new Rng(seed);
  let sampler: BatchSampler;
  try {
    sampler = new BatchSampler(
      { captionToImage: data.train.captionToImage, imageLabels: data.train.imageLabels },
      { batchSize, captionsPerImage, dropLast, rng: root.fork('batches') },
    );
  } catch (e) {
    if (!(e instanceof PirError)) throw e;
    const argument =
      e.argument === 'batchSize'
        ? 'recipe.batchSize'
        : e.argument === 'captionsPerImage'
          ? 'captionsPerImage'
          : 'data.train';
    throw new TrainInputError(where, argument, e.message.replace(/^BatchSampler: /, ''), { cause: e });
  }
  const augmentRoot = root.fork('augment');
  const augment = augmentOptions(recipe.augment);
  const maxWords = recipe.captions.maxWords;
  const stepsPerEpoch = sampler.batchesPerEpoch;
  const totalSteps = recipe.epochs * stepsPerEpoch;

  const tokenizer = options.tokenizer ?? wordTokenizerFor(resolved, data.train.captions, recipe);
  checkTokenizer(where, tokenizer, resolved);
  const identity: RunIdentity = {
    seed,
    config: resolved,
    overrides,
    captionsPerImage,
    dropLast,
    maxGradNorm: maxGradNorm ?? null,
    newParams: Array.isArray(newParams) ? [...newParams] : newParams === undefined ? null : ['<predicate>'],
    data: Object.fromEntries(
      (['train', 'val', 'test'] as const).flatMap((s) =>
        data[s] === undefined ? [] : [[s, splitFingerprint(data[s] as DataSplit)]],
      ),
    ),
    tokenizer: tokenizerHash(tokenizer),
  };

  const model = createModel(config, {
    seed: root.fork('model').nextSeed(),
    tokenizer,
    ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
  }) as unknown as TrainableModel;
  let optimizer: AdamW | undefined;
  const watch = watchTensorMemory();
  try {
    if (options.gradientCheckpointing === true)
      (model as unknown as { setGradientCheckpointing(on: boolean): unknown }).setGradientCheckpointing(true);
    await options.init?.(model);
    const task = modelTask(model as never) as unknown as EmbeddingTask<TrainBatch, LossLike>;
    optimizer = recipeOptimizer(model, recipe, totalSteps, newParams);
    const opt = optimizer;
    const parameters = opt.groups.reduce((n, g) => n + g.params.reduce((m, p) => m + p.variable.size, 0), 0);

    let epoch = 0;
    let stepInEpoch = 0;
    let step = 0;
    let sums = emptySums();
    let history: EpochRecord[] = [];
    let best: BestRecord | null = null;
    let elapsedBefore = 0;
    let samplerState: BatchSamplerState | null = null;
    let resumedFrom: string | undefined;
    /** Whether anything happened since the last checkpoint (written or resumed). */
    let dirty = true;

    if (options.resume !== undefined && options.resume !== false) {
      const stored = await store.load('latest');
      if (stored === undefined) {
        if (options.resume === true)
          throw new TrainInputError(where, 'resume', `there is no checkpoint to resume in ${store.location}`);
      } else {
        const ckpt = await decodeCheckpoint(stored);
        const s = ckpt.state;
        checkIdentity(s.run, identity, ckpt.location);
        if (s.progress?.stepsPerEpoch !== stepsPerEpoch || s.progress.totalSteps !== totalSteps)
          throw new CheckpointError(
            'trainer.json',
            'progress',
            `the checkpoint has ${s.progress?.stepsPerEpoch} steps per epoch and ${s.progress?.totalSteps} in all; this run ${stepsPerEpoch} and ${totalSteps}`,
            ckpt.location,
          );
        applyCheckpointWeights(model, opt, ckpt);
        const rngs = task.rngs();
        if (!Array.isArray(s.rngs) || s.rngs.length !== rngs.length)
          throw new CheckpointError(
            'trainer.json',
            'rngs',
            `holds ${s.rngs?.length} generator states, the model has ${rngs.length}`,
            ckpt.location,
          );
        restoreRngStates(rngs, s.rngs as RngState[]);
        if (s.sampler !== null) sampler.setState(s.sampler);
        ({ epoch, stepInEpoch, step } = s.progress);
        sums = s.epochSums;
        history = s.history;
        best = s.best;
        elapsedBefore = s.elapsedSeconds;
        samplerState = s.sampler;
        resumedFrom = ckpt.location;
        dirty = false;
      }
    }

    const started = performance.now();
    const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
    const emit = async (event: TrainEvent) => {
      await options.onEvent?.(event);
    };
    const memory = (): MemoryRecord => {
      watch.sample();
      const m = tf.memory();
      return {
        numTensors: m.numTensors,
        numBytes: m.numBytes,
        peakBytes: watch.peakBytes,
        ...(options.memoryProbe?.() ?? {}),
      };
    };
    const save = async (tags: CheckpointTag[], reason: string) => {
      const t = performance.now();
      const name = `step-${String(step).padStart(8, '0')}`;
      const state: Omit<
        TrainerState,
        'format' | 'formatVersion' | 'name' | 'createdAt' | 'optimizer' | 'files'
      > = {
        progress: { epoch, stepInEpoch, step, stepsPerEpoch, totalSteps },
        sampler: samplerState,
        rngs: saveRngStates(task.rngs()),
        epochSums: sums,
        history,
        best,
        elapsedSeconds: elapsed(),
        run: identity,
      };
      const files = await encodeCheckpoint({
        name,
        model,
        config,
        overrides,
        tokenizer,
        optimizer: opt,
        state,
      });
      await store.save(name, files, tags);
      dirty = false;
      await emit({
        type: 'checkpoint',
        name,
        tags,
        step,
        epoch,
        seconds: (performance.now() - t) / 1000,
        reason,
      });
    };
    const evaluate = async (split: 'val' | 'test', selected?: BestRecord): Promise<RetrievalSummary> => {
      const t = performance.now();
      const report = await evaluateSplit(model, data[split] as DataSplit, {
        tokenizer,
        imageSize: recipe.augment.size,
        maxWords,
        imageBatch: evalBatch,
        textBatch: evalBatch * 8,
        prefetch: depth,
      });
      const summary = summarizeReport(report);
      await emit({
        type: 'eval',
        split,
        epoch: selected?.epoch ?? epoch,
        summary,
        seconds: (performance.now() - t) / 1000,
        ...(selected === undefined ? {} : { selected: true }),
      });
      return summary;
    };

    await emit({
      type: 'start',
      model: config.name,
      architecture: config.architecture,
      epochs: recipe.epochs,
      batchSize,
      stepsPerEpoch,
      totalSteps,
      startStep: step,
      ...(resumedFrom === undefined ? {} : { resumedFrom }),
      microBatch,
      trainImages: trainSize.images,
      trainCaptions: trainSize.captions,
      parameters,
      seed,
    });

    let status: 'completed' | 'interrupted' = 'completed';
    const aborted = () => options.signal?.aborted === true;
    const stepOptions = { microBatch, training: true, ...(maxGradNorm === undefined ? {} : { maxGradNorm }) };
    outer: while (epoch < recipe.epochs) {
      if (aborted()) {
        if (dirty) await save(['latest'], 'interrupt');
        status = 'interrupted';
        break;
      }
      if (stepInEpoch < stepsPerEpoch) {
        const loads = prefetch(
          sampler.epoch(),
          async (batch) => ({ batch, images: await loadRows(data.train, batch.imageIds) }),
          { depth },
        );
        let last = performance.now();
        for await (const { batch, images } of loads) {
          if (batch.epoch !== epoch || batch.index !== stepInEpoch)
            throw new CheckpointError(
              'trainer.json',
              'sampler',
              `the sampler is at epoch ${batch.epoch} batch ${batch.index}, the trainer at epoch ${epoch} step ${stepInEpoch}`,
              store.location,
            );
          const rng = augmentRoot.fork(`${batch.epoch}:${batch.index}`);
          const captions = Array.from(batch.captions, (c) => data.train.captions[c] as string);
          const tb = makeTrainBatch(batch, images as RawImage[], captions, tokenizer, maxWords, rng, augment);
          let result: ReturnType<typeof trainStep>;
          try {
            result = trainStep(task, opt, tb, stepOptions);
          } finally {
            disposeTrainBatch(tb);
          }
          const values = (await readStep(result)) as unknown as Record<string, unknown>;
          step++;
          dirty = true;
          stepInEpoch++;
          samplerState = batch.stateAfter;
          const now = performance.now();
          const seconds = (now - last) / 1000;
          last = now;
          const gradNorm = values.gradNorm as number;
          const learningRates = values.learningRates as Record<string, number>;
          const losses = Object.fromEntries(
            Object.entries(values).filter(([k]) => !['gradNorm', 'step', 'learningRates'].includes(k)),
          ) as Record<string, number>;
          const rows = batch.captions.length;
          sums.steps++;
          sums.samples += rows;
          sums.seconds += seconds;
          sums.gradNorm += gradNorm;
          for (const [k, v] of Object.entries(losses)) sums.losses[k] = (sums.losses[k] ?? 0) + v;
          sums.lr = { ...learningRates };
          const event: StepEvent = {
            type: 'step',
            epoch,
            stepInEpoch,
            stepsPerEpoch,
            step,
            totalSteps,
            losses,
            gradNorm,
            lr: learningRates,
            samples: rows,
            seconds,
            samplesPerSecond: rows / seconds,
            memory: memory(),
          };
          await emit(event);
          // let signal handlers run (Ctrl-C, a button): a step of in-memory data may never leave the microtasks
          if (options.signal !== undefined) await turnEventLoop();
          if (aborted()) {
            await save(['latest'], 'interrupt');
            status = 'interrupted';
            break outer;
          }
          if (checkpointEvery > 0 && step % checkpointEvery === 0 && stepInEpoch < stepsPerEpoch) {
            await save(['latest'], 'every');
            last = performance.now();
          }
        }
      }
      // end of the epoch: evaluate, select, checkpoint
      const val = data.val === undefined ? undefined : await evaluate('val');
      const test = selectOn === 'test' ? await evaluate('test') : undefined;
      const selection = selectOn === 'val' ? val : test;
      const improved = selection !== undefined && (best === null || selection.mR > best.mR);
      const n = Math.max(sums.steps, 1);
      const record: EpochRecord = {
        epoch,
        step,
        losses: Object.fromEntries(Object.entries(sums.losses).map(([k, v]) => [k, v / n])),
        gradNorm: sums.gradNorm / n,
        lr: sums.lr,
        seconds: sums.seconds,
        samplesPerSecond: sums.seconds > 0 ? sums.samples / sums.seconds : 0,
        ...(val === undefined ? {} : { val }),
        ...(test === undefined ? {} : { test }),
        ...(selection === undefined ? {} : { selectionMR: selection.mR }),
        best: improved,
      };
      history = [...history, record];
      const name = `step-${String(step).padStart(8, '0')}`;
      if (improved)
        best = { epoch, step, selectOn, mR: (selection as RetrievalSummary).mR, checkpoint: name };
      epoch++;
      stepInEpoch = 0;
      sums = emptySums();
      await emit({ type: 'epoch', record, epochs: recipe.epochs });
      await save(improved ? ['latest', 'best'] : ['latest'], 'epoch');
    }

    const result: TrainResult = {
      status,
      model,
      tokenizer,
      config,
      overrides,
      epochs: history,
      best,
      steps: step,
      seconds: 0,
      peakBytes: 0,
      ...(resumedFrom === undefined ? {} : { resumedFrom }),
      dispose: () => model.dispose(),
    };
    if (status === 'completed' && best !== null) {
      // the selected weights back into the model (unless they are the last ones), then test there
      if (history[history.length - 1]?.best !== true) {
        const stored = await store.load('best');
        if (stored === undefined)
          throw new CheckpointError('best', '', 'the store has no best checkpoint', store.location);
        const ckpt: DecodedCheckpoint = await decodeCheckpoint(stored);
        applyCheckpointWeights(model, undefined, ckpt);
      }
      const val = history[best.epoch]?.val;
      if (val !== undefined) result.val = val;
      if (data.test !== undefined)
        result.test =
          selectOn === 'test'
            ? (history[best.epoch]?.test as RetrievalSummary)
            : await evaluate('test', best);
    }
    result.seconds = elapsed();
    result.peakBytes = watch.peakBytes;
    await emit({
      type: 'end',
      status,
      steps: step,
      seconds: result.seconds,
      best,
      ...(result.val === undefined ? {} : { val: result.val }),
      ...(result.test === undefined ? {} : { test: result.test }),
      peakBytes: result.peakBytes,
    });
    return result;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer?.dispose();
    watch.stop();
  }
}
