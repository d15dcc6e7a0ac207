/**
 * Train PIR-ITR — and, when asked, the VSE baseline of PIR_SPEC §7 (the same encoders, no PIR part) on the same
 * data with the same seed — each with its configuration's training recipe (PIR_SPEC §5), as `runTraining` of
 * `@pir/train/node` runs it: validation after every epoch, the best epoch kept by **validation** mR, the test
 * split evaluated there, a run directory per model (log, curves, checkpoints, the selected model directory).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadBertTokenizer, type Tokenizer } from '@pir/encoders';
import { type ModelName, modelConfig, resolveModelConfig, trainRecipe } from '@pir/models';
import type { BestRecord, RecipeChanges, RetrievalSummary, TrainableModel, TrainingData } from '@pir/train';
import { type ProgressMode, runTraining } from '@pir/train/node';
import { ExampleError } from './data.js';
import { loadPretrainedTowers, type PretrainedWeights, pretrainInstruction } from './init.js';

/** Options of {@link reproduce}. */
export interface ReproduceOptions {
  /** PIR-ITR's configuration: `pir-itr-paper` (the published model), `pir-itr-base`, `pir-itr-tiny`, `pir-itr-test`. */
  config: ModelName;
  /** The splits (train; val selects the epoch; test is reported). */
  data: TrainingData;
  /** Each model's run goes to `<runDir>/<configuration name>/`. */
  runDir: string;
  /** Also train the VSE baseline of the same size (`vse-*`) on the same data. */
  withBaseline?: boolean;
  /** Changes to the recipe (`{ epochs, batchSize }`), for both models. */
  recipe?: RecipeChanges;
  /** Seed of the runs (weights, batch order, augmentation, dropout). Default 0. */
  seed?: number;
  /** Rows per forward pass (gradient caching below the batch: the same gradient on less memory). */
  microBatch?: number;
  /**
   * Activation checkpointing in the encoders (start the backend with `cachePackedWeights: false` too): the
   * low-memory mode in which the paper-size PIR-ITR trains on wasm (with `microBatch: 1`).
   */
  gradientCheckpointing?: boolean;
  /** Pretrained towers (Swin, BERT, the instruction ResNet). */
  weights?: PretrainedWeights;
  /**
   * Epochs of scene-classification pre-training of the instruction ResNet on the training split when no
   * `weights.resnet` is given (0: keep it random). Default 5.
   */
  instructionEpochs?: number;
  /** Continue the runs from their latest checkpoints (`'auto'`: where there is one). */
  resume?: boolean | 'auto';
  /** Progress display of the runs (default `'auto'`). */
  progress?: ProgressMode;
  /** Where the example's own lines go (default: nowhere). */
  log?: (line: string) => void;
}

/** What one run gave. */
export interface RunSummary {
  /** The configuration's name (`pir-itr-tiny`, `vse-tiny`). */
  name: string;
  status: 'completed' | 'interrupted';
  /** The selected epoch (by validation mR). */
  best: BestRecord | null;
  /** Validation and test retrieval at the selected epoch. */
  val?: RetrievalSummary;
  test?: RetrievalSummary;
  steps: number;
  seconds: number;
  /** The run directory and the selected model directory (`loadModel` of `@pir/models/node`). */
  runDir: string;
  modelDir?: string;
}

/** What {@link reproduce} gave. */
export interface ReproduceResult {
  pir: RunSummary;
  baseline?: RunSummary;
}

/** The VSE baseline of a PIR-ITR configuration's size (`pir-itr-tiny` → `vse-tiny`). */
export function baselineOf(config: ModelName): ModelName {
  const name = modelConfig(config).name;
  const match = /^pir-itr-(paper|base|tiny|test)$/.exec(name);
  if (match === null)
    throw new ExampleError(`${config} is not a PIR-ITR configuration (pir-itr-paper|base|tiny|test)`);
  return `vse-${match[1]}` as ModelName;
}

/** Train PIR-ITR (and the baseline) on `options.data`; see the module doc. */
export async function reproduce(options: ReproduceOptions): Promise<ReproduceResult> {
  const log = options.log ?? (() => {});
  const seed = options.seed ?? 0;
  const pirName = modelConfig(options.config).name as ModelName;
  if (modelConfig(pirName).architecture !== 'pir-itr')
    throw new ExampleError(`--config ${options.config} is not a PIR-ITR configuration`);
  const recipe = trainRecipe(pirName);
  const size = options.recipe?.augment?.size ?? recipe.augment.size;
  const weights = options.weights ?? {};
  let tokenizer: Tokenizer | undefined;
  if (weights.bert !== undefined) {
    // pretrained BERT reads bert-base-uncased's WordPiece ids
    tokenizer = await loadBertTokenizer({ contextLength: recipe.captions.maxTokens });
    log(`tokenizer: bert-base-uncased WordPiece, ${recipe.captions.maxTokens} tokens`);
  }

  const run = async (name: ModelName, isPir: boolean): Promise<RunSummary> => {
    const runDir = join(options.runDir, name);
    const resuming =
      options.resume !== undefined &&
      options.resume !== false &&
      existsSync(join(runDir, 'checkpoints', 'latest.json'));
    const init = async (model: TrainableModel) => {
      for (const line of await loadPretrainedTowers(model, weights)) log(`${name}: ${line}`);
      const epochs = options.instructionEpochs ?? 5;
      if (isPir && weights.resnet === undefined && epochs > 0 && !resuming) {
        log(
          `${name}: pre-training the instruction ResNet as a scene classifier on the training split (${epochs} epochs)`,
        );
        const t = performance.now();
        const accuracy = await pretrainInstruction(model, resolveModelConfig(name), options.data.train, {
          epochs,
          size,
          seed: seed + 1,
          log,
        });
        log(
          `${name}: instruction ResNet frozen, training accuracy ${(100 * accuracy).toFixed(1)} % (${((performance.now() - t) / 1000).toFixed(1)} s)`,
        );
      }
    };
    const result = await runTraining({
      model: name,
      data: options.data,
      runDir,
      seed,
      init,
      progress: options.progress ?? 'auto',
      ...(options.recipe === undefined ? {} : { recipe: options.recipe }),
      ...(options.microBatch === undefined ? {} : { microBatch: options.microBatch }),
      ...(options.gradientCheckpointing === true ? { gradientCheckpointing: true } : {}),
      ...(tokenizer === undefined ? {} : { tokenizer }),
      ...(options.resume === undefined ? {} : { resume: options.resume }),
    });
    try {
      return {
        name,
        status: result.status,
        best: result.best,
        ...(result.val === undefined ? {} : { val: result.val }),
        ...(result.test === undefined ? {} : { test: result.test }),
        steps: result.steps,
        seconds: result.seconds,
        runDir: result.runDir,
        ...(result.files.model === undefined ? {} : { modelDir: result.files.model }),
      };
    } finally {
      result.dispose();
    }
  };

  const pir = await run(pirName, true);
  if (!options.withBaseline || pir.status !== 'completed') return { pir };
  const baseline = await run(baselineOf(pirName), false);
  return { pir, baseline };
}
