/**
 * `pir train`: train a model of the catalogue (or a configuration file) on the synthetic benchmark or on
 * annotation files and an image folder, into a run directory (`runTraining` of `@pir/train/node`):
 * `config.json`, `log.jsonl`, `loss.png|svg`, `recall.png|svg`, `checkpoints/`, the selected `model/` (a model
 * directory `pir eval` and `loadModel` read) and `results.json`.
 *
 * - `--init <model-dir>` starts from a model directory's weights (a converted released checkpoint, PIR-CLIP's
 *   stage-1 model for stage 2): every tensor whose name and shape match is loaded, the rest keep their
 *   initialisation; its tokenizer becomes the run's unless `--tokenizer` says otherwise.
 * - `--tokenizer words|bert|clip`: a word vocabulary of the training captions (the default for towers trained
 *   from scratch), or the bundled BERT WordPiece / CLIP BPE (pretrained towers).
 * - Ctrl-C finishes the step, writes a checkpoint and exits with 130; `--resume` continues it exactly.
 */
import { access, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadBertTokenizer, loadClipTokenizer, type StateDict, type Tokenizer } from '@pir/encoders';
import {
  loadModelStateDict,
  type ModelConfig,
  type ModelName,
  modelConfig,
  modelStateDict,
} from '@pir/models';
import { loadModel } from '@pir/models/node';
import type { TrainableModel } from '@pir/train';
import { type ProgressMode, type RunTrainingResult, runTraining } from '@pir/train/node';
import { CommandOptionError, type DataSource, readTrainData } from './data.js';

/** Options of {@link trainCommand} (the flags of `pir train`). */
export interface TrainCommandOptions {
  /** A catalogue name (`pir-itr-tiny`, `vse-base`, `pir-clip`, …) or a configuration JSON file. */
  config: string;
  data: DataSource;
  /** The run directory. */
  out: string;
  /** Continue the run in `out` from its latest checkpoint. */
  resume?: boolean;
  epochs?: number;
  batchSize?: number;
  /** Rows per forward pass (gradient caching below the batch). */
  microBatch?: number;
  /** Activation checkpointing in the encoders (the low-memory mode; see `TrainOptions`). */
  gradientCheckpointing?: boolean;
  /** Peak learning rate. */
  lr?: number;
  seed?: number;
  /** A model directory whose weights start the run. */
  init?: string;
  tokenizer?: 'words' | 'bert' | 'clip';
  progress?: ProgressMode;
  log?: (line: string) => void;
}

const CATALOGUE_HINT =
  'a catalogue name (pir models: pir-itr-tiny, pir-itr-base, pir-itr, vse-tiny, pir-clip-tiny, …) or a .json configuration';

/** The configuration a `--config` names: a catalogue name, or a JSON file read with a size bound. */
async function resolveConfig(config: string): Promise<ModelName | ModelConfig> {
  if (!/\.json$/i.test(config)) {
    try {
      modelConfig(config as ModelName); // an unknown name fails here, listing the known ones
    } catch (e) {
      throw new CommandOptionError(
        'pir train',
        '--config',
        `'${config}': ${(e as Error).message} (${CATALOGUE_HINT})`,
      );
    }
    return config as ModelName;
  }
  const json = await readConfigFile(config);
  try {
    modelConfig(json as ModelConfig);
  } catch (e) {
    throw new CommandOptionError(
      'pir train',
      '--config',
      `'${config}' is not a model configuration: ${(e as Error).message}`,
    );
  }
  return json as ModelConfig;
}

/** Configurations are small: a file over this is not one (and is not read into memory). */
const MAX_CONFIG_BYTES = 1 << 20;

async function readConfigFile(file: string): Promise<unknown> {
  const fail = (detail: string): never => {
    throw new CommandOptionError('pir train', '--config', `'${file}' ${detail}`);
  };
  const info = await stat(file).catch(() => fail('does not exist'));
  if (!info.isFile()) fail('is not a file');
  if (info.size > MAX_CONFIG_BYTES)
    fail(
      `is ${info.size} bytes: a model configuration is a small JSON file (at most ${MAX_CONFIG_BYTES} bytes)`,
    );
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(`is not valid JSON: ${(e as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Run `pir train`.
 * @returns the training result (its model disposed) and the files written
 * @throws CommandOptionError for a flag it cannot run with (which flag, what to do)
 */
export async function trainCommand(o: TrainCommandOptions): Promise<Omit<RunTrainingResult, 'model'>> {
  const log = o.log ?? ((line: string) => console.log(line));
  const model = await resolveConfig(o.config);
  const out = resolve(o.out);
  const hasRun = await exists(resolve(out, 'checkpoints', 'latest.json'));
  if (hasRun && o.resume !== true)
    throw new CommandOptionError(
      'pir train',
      '--out',
      `'${out}' holds a run already: pass --resume to continue it, or choose another folder`,
    );
  if (!hasRun && o.resume === true)
    throw new CommandOptionError('pir train', '--resume', `'${out}' holds no checkpoint to resume`);

  const data = await readTrainData(o.data);
  let tokenizer: Tokenizer | undefined;
  if (o.tokenizer === 'bert') tokenizer = await loadBertTokenizer();
  else if (o.tokenizer === 'clip') tokenizer = await loadClipTokenizer();
  let initWeights: StateDict | undefined;
  if (o.init !== undefined) {
    const source = await loadModel(o.init);
    try {
      initWeights = await modelStateDict(source.model);
      if (o.tokenizer === undefined && source.tokenizer !== undefined) tokenizer = source.tokenizer;
    } finally {
      source.dispose();
    }
  }
  const recipe = {
    ...(o.epochs === undefined ? {} : { epochs: o.epochs }),
    ...(o.batchSize === undefined ? {} : { batchSize: o.batchSize }),
    ...(o.lr === undefined ? {} : { optimizer: { lr: o.lr } }),
  };
  const init =
    initWeights === undefined
      ? undefined
      : (m: TrainableModel) => {
          // the whole model: its own weights and every encoder's, under the model directory's prefixes
          const report = loadModelStateDict(m, initWeights as StateDict, { strict: false });
          log(
            `--init ${o.init}: ${report.loaded.length} tensors loaded` +
              (report.missing.length > 0
                ? `, ${report.missing.length} of the model kept as initialised`
                : '') +
              (report.unexpected.length > 0 ? `, ${report.unexpected.length} of the directory unused` : '') +
              (report.mismatched.length > 0 ? `, ${report.mismatched.length} of other shapes skipped` : ''),
          );
          if (report.loaded.length === 0)
            throw new CommandOptionError(
              'pir train',
              '--init',
              `'${o.init}' shares no tensor (name and shape) with the model of --config ${o.config}`,
            );
        };
  const result = await runTraining({
    model,
    data,
    runDir: out,
    recipe,
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(o.microBatch === undefined ? {} : { microBatch: o.microBatch }),
    ...(o.gradientCheckpointing === true ? { gradientCheckpointing: true } : {}),
    ...(tokenizer === undefined ? {} : { tokenizer }),
    ...(init === undefined ? {} : { init }),
    ...(o.resume === true ? { resume: true } : {}),
    ...(o.progress === undefined ? {} : { progress: o.progress }),
  });
  const { model: trained, ...rest } = result;
  trained.dispose();
  return rest as Omit<RunTrainingResult, 'model'>;
}
