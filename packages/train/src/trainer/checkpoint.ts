/**
 * A training checkpoint: everything a run needs to continue **exactly** where it stopped, as files:
 *
 * | file | contents |
 * |---|---|
 * | `model.safetensors`, `tokenizer.json`, `pir-model.json` | the model directory of `@pir/models` (`serializeModel`): every weight of the model and its encoders, the tokenizer, the configuration — `loadModel(checkpointDir)` loads it as a `RetrievalModel` |
 * | `optimizer.safetensors` | AdamW's moments `<param>.exp_avg` / `<param>.exp_avg_sq` (PyTorch layout, float32) |
 * | `trainer.json` | {@link TrainerState}: epoch, step in the epoch, global step, the batch sampler's state, every random generator's state, the optimiser's step counts, the epoch's running sums, the history, the best epoch, what the run was (configuration with its recipe, seed, data fingerprints), and the size and SHA-256 of every other file — written last |
 */
import type { BatchSamplerState } from '@pir/datasets';
import type { Tokenizer } from '@pir/encoders';
import { readSafetensors, writeSafetensors } from '@pir/encoders/weights';
import {
  type EmbeddingModel,
  MODEL_FILES,
  MODEL_PREFIXES,
  type ModelConfig,
  type ResolvedModelConfig,
  serializeModel,
} from '@pir/models';
import { type HasParameters, hasParameters, loadStateDict, type StateDict, withPrefix } from '@pir/nn';
import type { RngState } from '@pir/runtime';
import { CheckpointError } from '../errors.js';
import type { AdamW } from '../optim/adamw.js';
import type { CheckpointFiles, StoredCheckpoint } from './checkpoint_store.js';
import type { BestRecord, EpochRecord } from './events.js';

/** `trainer.json`'s `format`. */
export const CHECKPOINT_FORMAT = 'pir-train-checkpoint';
/** The version this library writes and the newest it reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** The trainer's own files of a checkpoint (the model directory's are `MODEL_FILES` of `@pir/models`). */
export const CHECKPOINT_FILES = { state: 'trainer.json', optimizer: 'optimizer.safetensors' } as const;

/** Running sums of the current epoch (so that its means continue across a resume). */
export interface EpochSums {
  steps: number;
  samples: number;
  /** Training wall time so far. */
  seconds: number;
  gradNorm: number;
  /** Sum of each loss part. */
  losses: Record<string, number>;
  /** Learning rates of the last step. */
  lr: Record<string, number>;
}

/** What a run is: resuming refuses a checkpoint of another run (a field that differs is named). */
export interface RunIdentity {
  seed: number;
  /** The resolved configuration (its `train` recipe with the run's changes). */
  config: ResolvedModelConfig;
  /** `createModel` overrides of the model's fields. */
  overrides: Record<string, unknown>;
  captionsPerImage: number;
  dropLast: boolean;
  maxGradNorm: number | null;
  newParams: string[] | null;
  /** Fingerprints of the splits' captions, maps and labels. */
  data: Record<string, string>;
  /** A hash of the tokenizer's vocabulary. */
  tokenizer: string;
}

/** `trainer.json`. */
export interface TrainerState {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  /** The checkpoint's name. */
  name: string;
  createdAt: string;
  progress: {
    /** The epoch in progress (0-based; `epochs` when training is over). */
    epoch: number;
    /** Steps of it done (`stepsPerEpoch`: trained, evaluation pending). */
    stepInEpoch: number;
    /** Optimiser steps done. */
    step: number;
    stepsPerEpoch: number;
    totalSteps: number;
  };
  /** The batch sampler's state after the last trained batch (`Batch.stateAfter`). */
  sampler: BatchSamplerState | null;
  /** The states of the model's random generators and the global one (dropout; `EmbeddingTask.rngs()` order). */
  rngs: RngState[];
  /** AdamW's step counts (its moments are in `optimizer.safetensors`). */
  optimizer: { step: number; paramSteps: Record<string, number> };
  epochSums: EpochSums;
  history: EpochRecord[];
  best: BestRecord | null;
  /** Training wall time before this checkpoint, over every process of the run. */
  elapsedSeconds: number;
  run: RunIdentity;
  /** Size and SHA-256 of every other file of the checkpoint. */
  files: Record<string, { bytes: number; sha256?: string }>;
}

/** The model's parts under the model directory's prefixes (`model.`, `vision.`, `text.`, `instruction.`). */
export function modelParts(model: EmbeddingModel): HasParameters[] {
  const holders: [string, unknown][] = [
    [MODEL_PREFIXES.model, model],
    [MODEL_PREFIXES.vision, model.encoders.vision],
    [MODEL_PREFIXES.text, model.encoders.text],
  ];
  if (model.encoders.instruction !== undefined)
    holders.push([MODEL_PREFIXES.instruction, model.encoders.instruction]);
  return holders.flatMap(([prefix, holder]) =>
    hasParameters(holder) ? [{ namedParameters: () => withPrefix(prefix, holder.namedParameters()) }] : [],
  );
}

async function sha256(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (subtle === undefined) return undefined;
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

const encoder = new TextEncoder();

/** What {@link encodeCheckpoint} takes. */
export interface CheckpointInput {
  name: string;
  model: EmbeddingModel;
  /** The configuration the model was built from and its overrides (the model directory records them). */
  config: ModelConfig;
  overrides: Record<string, unknown>;
  tokenizer: Tokenizer;
  optimizer: AdamW;
  /** The trainer's state without the fields filled in here. */
  state: Omit<TrainerState, 'format' | 'formatVersion' | 'name' | 'createdAt' | 'optimizer' | 'files'>;
  createdAt?: Date;
}

/** The files of a checkpoint, in commit order (`trainer.json` last). Reads the weights and moments once. */
export async function encodeCheckpoint(input: CheckpointInput): Promise<CheckpointFiles> {
  const modelFiles = await serializeModel(input.model, {
    config: input.config,
    overrides: input.overrides,
    tokenizer: input.tokenizer,
  });
  const opt = await input.optimizer.state();
  const optimizerBytes = writeSafetensors(opt.moments, {
    'pir.format': 'pir-train-optimizer',
    'pir.format_version': '1',
    'pir.checkpoint': input.name,
  });
  const files: Record<string, Uint8Array> = { ...modelFiles, [CHECKPOINT_FILES.optimizer]: optimizerBytes };
  const info: TrainerState['files'] = {};
  for (const [name, bytes] of Object.entries(files)) {
    const digest = await sha256(bytes);
    info[name] = digest === undefined ? { bytes: bytes.length } : { bytes: bytes.length, sha256: digest };
  }
  const state: TrainerState = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    name: input.name,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    ...input.state,
    optimizer: { step: opt.step, paramSteps: opt.paramSteps },
    files: info,
  };
  return { ...files, [CHECKPOINT_FILES.state]: encoder.encode(`${JSON.stringify(state, null, 1)}\n`) };
}

/** A checkpoint read and verified: its state, the model's weights and the optimiser's moments. */
export interface DecodedCheckpoint {
  name: string;
  location: string;
  state: TrainerState;
  /** Every weight, under the model directory's prefixes. */
  weights: StateDict;
  /** AdamW's moments. */
  moments: StateDict;
}

/**
 * Read a stored checkpoint: `trainer.json` (format, version), then every file it lists against its size and
 * SHA-256, then the weights and the moments.
 * @throws CheckpointError naming the file and what is wrong
 */
export async function decodeCheckpoint(stored: StoredCheckpoint): Promise<DecodedCheckpoint> {
  const { files, location } = stored;
  const stateBytes = files[CHECKPOINT_FILES.state];
  if (stateBytes === undefined)
    throw new CheckpointError(CHECKPOINT_FILES.state, '', 'is missing: not a training checkpoint', location);
  let state: TrainerState;
  try {
    state = JSON.parse(new TextDecoder().decode(stateBytes)) as TrainerState;
  } catch (e) {
    throw new CheckpointError(CHECKPOINT_FILES.state, '', `is not JSON (${(e as Error).message})`, location, {
      cause: e,
    });
  }
  if (state?.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(
      CHECKPOINT_FILES.state,
      'format',
      `is '${String(state?.format)}', expected '${CHECKPOINT_FORMAT}'`,
      location,
    );
  if (!Number.isInteger(state.formatVersion) || state.formatVersion > CHECKPOINT_FORMAT_VERSION)
    throw new CheckpointError(
      CHECKPOINT_FILES.state,
      'formatVersion',
      `${state.formatVersion} is newer than this @pir/train reads (${CHECKPOINT_FORMAT_VERSION}): upgrade @pir/train`,
      location,
    );
  for (const [name, want] of Object.entries(state.files ?? {})) {
    const bytes = files[name];
    if (bytes === undefined)
      throw new CheckpointError(name, '', 'is listed in trainer.json but missing', location);
    if (bytes.length !== want.bytes)
      throw new CheckpointError(
        name,
        '',
        `has ${bytes.length} bytes, trainer.json says ${want.bytes}: the checkpoint is damaged`,
        location,
      );
    if (want.sha256 !== undefined) {
      const got = await sha256(bytes);
      if (got !== undefined && got !== want.sha256)
        throw new CheckpointError(
          name,
          '',
          'does not match its SHA-256 in trainer.json: the checkpoint is damaged',
          location,
        );
    }
  }
  const read = (name: string): StateDict => {
    const bytes = files[name];
    if (bytes === undefined) throw new CheckpointError(name, '', 'is missing', location);
    try {
      return readSafetensors(bytes);
    } catch (e) {
      throw new CheckpointError(name, '', `cannot be read: ${(e as Error).message}`, location, { cause: e });
    }
  };
  return {
    name: stored.name,
    location,
    state,
    weights: read(MODEL_FILES.weights),
    moments: read(CHECKPOINT_FILES.optimizer),
  };
}

/**
 * Put a checkpoint's weights into the model (strictly: every key and shape) and its moments and step counts
 * into the optimiser. Nothing else (generators, sampler) — the trainer restores those.
 */
export function applyCheckpointWeights(
  model: EmbeddingModel,
  optimizer: AdamW | undefined,
  ckpt: DecodedCheckpoint,
): void {
  loadStateDict(modelParts(model), ckpt.weights, { where: `checkpoint ${ckpt.name}` });
  optimizer?.loadState({
    step: ckpt.state.optimizer.step,
    paramSteps: ckpt.state.optimizer.paramSteps,
    moments: ckpt.moments,
  });
}
