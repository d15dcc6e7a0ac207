/**
 * {@link runTraining}: {@link train} as a command runs it, into a run directory:
 *
 * ```
 * <runDir>/config.json        the resolved configuration with the recipe as run (written at the start)
 * <runDir>/log.jsonl          every event: steps (loss parts, lr, grad norm, samples/s, memory), evaluations, epochs, checkpoints
 * <runDir>/checkpoints/       fileCheckpointStore: step-…/ folders, latest.json, best.json (atomic)
 * <runDir>/loss.svg|png       loss curves; recall.svg|png: validation recall per epoch (Vega-Lite, redrawn each epoch)
 * <runDir>/model/             the selected model as a model directory of @pir/models (loadModel('<runDir>/model'))
 * <runDir>/results.json       status, the selected epoch, val and test retrieval there, time, peak memory
 * ```
 *
 * Progress goes to stdout (a bar on a terminal, lines otherwise). Ctrl-C (SIGINT) finishes the current step,
 * writes a checkpoint and returns with status `'interrupted'` (a second Ctrl-C exits at once, code 130);
 * `resume: true` continues from `checkpoints/latest.json`.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MODEL_FILES, resolveModelConfig } from '@pir/models';
import { modelDirWriter } from '@pir/models/node';
import type { TrainEvent } from '../trainer/events.js';
import { resolveRecipe } from '../trainer/recipe.js';
import { type TrainOptions, type TrainResult, train } from '../trainer/train.js';
import { type CurveFiles, drawCurves } from './curves.js';
import { fileCheckpointStore } from './file_store.js';
import { type ProgressMode, type ProgressOptions, progressReporter } from './progress.js';
import { historyOf, type LogRecord, readRunLog, runLog } from './run_log.js';

/** Options of {@link runTraining}: those of {@link train} (but the store), and the run's outputs. */
export interface RunTrainingOptions extends Omit<TrainOptions, 'store' | 'memoryProbe'> {
  /** The run directory (created). */
  runDir: string;
  /** Progress display (default `'auto'`: a bar on a terminal, lines otherwise). */
  progress?: ProgressMode;
  /** Where progress goes (default `process.stdout`). */
  stream?: ProgressOptions['stream'];
  /** Draw the curves after each epoch and at the end (default true). */
  plots?: boolean;
  /** Stop cleanly on Ctrl-C (default true). */
  handleSigint?: boolean;
}

/** What {@link runTraining} resolves with: {@link TrainResult} and where its files are. */
export interface RunTrainingResult extends TrainResult {
  runDir: string;
  files: {
    config: string;
    log: string;
    checkpoints: string;
    results: string;
    /** The selected model directory (completed runs). */
    model?: string;
    curves: CurveFiles;
  };
  /** Peak resident memory of the process (bytes). */
  peakRssBytes: number;
}

async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await fs.rename(tmp, file);
}

/** Peak and current resident memory of this process. */
function processMemory(): { rssBytes: number; peakRssBytes: number } {
  return { rssBytes: process.memoryUsage().rss, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}

/**
 * Train into a run directory with progress, a JSONL log, curves, atomic checkpoints, Ctrl-C handling and
 * resume (see the module doc).
 * @example
 * ```ts
 * const result = await runTraining({ model: 'pir-itr-tiny', data, runDir: 'runs/itr-tiny', resume: 'auto' });
 * result.files.model; // 'runs/itr-tiny/model'
 * result.dispose();
 * ```
 */
export async function runTraining(options: RunTrainingOptions): Promise<RunTrainingResult> {
  const { runDir, progress: mode, stream, plots = true, handleSigint = true, ...trainOptions } = options;
  const dir = path.resolve(runDir);
  await fs.mkdir(dir, { recursive: true });
  const files: RunTrainingResult['files'] = {
    config: path.join(dir, 'config.json'),
    log: path.join(dir, 'log.jsonl'),
    checkpoints: path.join(dir, 'checkpoints'),
    results: path.join(dir, 'results.json'),
    curves: {},
  };
  const store = fileCheckpointStore(files.checkpoints);
  const log = runLog(files.log);
  const progress = progressReporter({
    ...(mode === undefined ? {} : { mode }),
    ...(stream === undefined ? {} : { stream }),
  });
  // the curves of a resumed run start from what the log already holds
  const earlier: LogRecord[] = [];
  if (trainOptions.resume !== undefined && trainOptions.resume !== false) {
    try {
      earlier.push(...readRunLog(files.log).records);
    } catch {
      // no log yet
    }
  }
  const events: TrainEvent[] = [];
  let title = typeof trainOptions.model === 'string' ? trainOptions.model : trainOptions.model.name;
  const redraw = async () => {
    if (!plots) return;
    try {
      const { steps, epochs } = historyOf([...earlier, ...events]);
      files.curves = await drawCurves(steps, epochs, dir, { title });
    } catch (e) {
      progress.note(`warning: the curves could not be drawn (${(e as Error).message})`);
    }
  };

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      progress.stop();
      process.exit(130);
    }
    progress.note('Ctrl-C: finishing this step and writing a checkpoint (Ctrl-C again quits at once)');
    controller.abort();
  };
  if (handleSigint) process.on('SIGINT', onSigint);
  const signal =
    trainOptions.signal === undefined
      ? controller.signal
      : AbortSignal.any([controller.signal, trainOptions.signal]);
  let peakRssBytes = 0;
  try {
    const result = await train({
      ...trainOptions,
      store,
      signal,
      memoryProbe: () => {
        const m = processMemory();
        peakRssBytes = Math.max(peakRssBytes, m.peakRssBytes);
        return m;
      },
      onEvent: async (event) => {
        if (event.type === 'start') {
          title = event.model;
          // the configuration as run: the recipe with its changes (checked again by train, identically)
          const { config } = resolveRecipe('runTraining', trainOptions.model, trainOptions.recipe);
          await writeJson(files.config, {
            ...resolveModelConfig(config),
            run: {
              seed: event.seed,
              microBatch: event.microBatch,
              overrides: trainOptions.overrides ?? {},
              recipeChanges: trainOptions.recipe ?? {},
            },
          });
        }
        log.write(event);
        events.push(event);
        progress.onEvent(event);
        if (event.type === 'epoch') await redraw();
        await trainOptions.onEvent?.(event);
      },
    });
    await redraw();
    if (result.status === 'completed' && result.best !== null) {
      const best = await store.load('best');
      if (best !== undefined) {
        const order = [MODEL_FILES.weights, MODEL_FILES.tokenizer, MODEL_FILES.manifest];
        files.model = path.join(dir, 'model');
        await modelDirWriter(files.model)(order.map((n) => [n, best.files[n] as Uint8Array] as const));
      }
    }
    peakRssBytes = Math.max(peakRssBytes, processMemory().peakRssBytes);
    await writeJson(files.results, {
      status: result.status,
      model: result.config.name,
      best: result.best,
      val: result.val ?? null,
      test: result.test ?? null,
      steps: result.steps,
      seconds: result.seconds,
      peakTensorBytes: result.peakBytes,
      peakRssBytes,
      epochs: result.epochs,
      files: { ...files, curves: files.curves },
    });
    return { ...result, runDir: dir, files, peakRssBytes };
  } finally {
    if (handleSigint) process.off('SIGINT', onSigint);
    progress.stop();
  }
}
