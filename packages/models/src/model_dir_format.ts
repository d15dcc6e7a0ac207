/**
 * The model directory format (`pir-model`, version 1): file names, the manifest `pir-model.json` and its
 * checks, the size limits of the loader, and {@link ModelFileError}. The README's "Model directories" section
 * is the specification; this module is its one implementation.
 *
 * | file | what |
 * |---|---|
 * | `pir-model.json` | the manifest, written last: format and version, the resolved model configuration and its hash, the tokenizer summary, the size and SHA-256 of the other files, the save id, created-at, library versions |
 * | `model.safetensors` | every weight of the model and its encoders, PyTorch layout, under `model.`, `vision.`, `text.`, `instruction.` |
 * | `tokenizer.json` | the text encoder's tokenizer (see `model_dir_tokenizer.ts`) |
 */
import { PirError } from '@pir/runtime/errors';
import { version_core as tfjsVersion } from '@tensorflow/tfjs-core';
import { version as modelsVersion } from '../package.json';
import { type ModelConfig, modelConfig, modelConfigHash, type ResolvedModelConfig } from './catalogue.js';

/** The `format` field of the manifest and of the safetensors metadata. */
export const MODEL_FORMAT = 'pir-model';

/** The format version this library writes and the newest it reads. */
export const MODEL_FORMAT_VERSION = 1;

/** The file names of a model directory. */
export const MODEL_FILES = {
  /** The manifest, written last (its presence with matching files is what makes a directory a model). */
  manifest: 'pir-model.json',
  /** Every weight, safetensors, PyTorch layout. */
  weights: 'model.safetensors',
  /** The text encoder's tokenizer as JSON. */
  tokenizer: 'tokenizer.json',
} as const;

/** The state-dict prefixes of `model.safetensors`, one per part of the model. */
export const MODEL_PREFIXES = {
  /** The model's own weights (projections, PAE, heads, temperatures / logit scale). */
  model: 'model.',
  vision: 'vision.',
  text: 'text.',
  /** The frozen instruction encoder (saved too: the directory is the whole model). */
  instruction: 'instruction.',
} as const;

/** Size limits of the loader (bytes), for untrusted directories. */
export interface ModelLimits {
  /** `pir-model.json` (default 16 MiB). */
  maxManifestBytes?: number;
  /** `tokenizer.json` (default 64 MiB: a BERT WordPiece vocabulary is about 0.5 MB). */
  maxTokenizerBytes?: number;
  /** `model.safetensors` (default 2 GiB: the published PIR-ITR and PIR-CLIP are 0.6–0.8 GB in float32). */
  maxWeightsBytes?: number;
}

/** The default {@link ModelLimits}. */
export const DEFAULT_MODEL_LIMITS: Readonly<Required<ModelLimits>> = {
  maxManifestBytes: 16 * 2 ** 20,
  maxTokenizerBytes: 64 * 2 ** 20,
  maxWeightsBytes: 2 ** 31,
};

/** Largest number a configuration may hold (a guard against a manifest that asks for an absurd model). */
const MAX_CONFIG_NUMBER = 2 ** 24;

/** Size and checksum of one file of the directory, as the manifest records it. */
export interface ModelFileInfo {
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the contents, lower-case hex (absent when the writer had no WebCrypto). */
  sha256?: string;
}

/** The tokenizer summary of the manifest (the file `tokenizer.json` holds the tokenizer itself). */
export interface ModelTokenizerInfo {
  /** `'word'`, `'wordpiece'`, `'clip-bpe'` (the bundled CLIP vocabulary) or `'none'` (no tokenizer saved). */
  type: 'word' | 'wordpiece' | 'clip-bpe' | 'none';
  /** Ids are in `[0, vocabSize)`. */
  vocabSize: number;
  /** Sequence length of `batch`. */
  contextLength: number;
}

/** What `pir-model.json` holds (format version 1). */
export interface ModelManifest {
  /** Always `'pir-model'`. */
  format: typeof MODEL_FORMAT;
  /** {@link MODEL_FORMAT_VERSION} of the writer. */
  formatVersion: number;
  /** The configuration with every encoder spelled out (`resolveModelConfig`), so it rebuilds without the catalogue. */
  config: ResolvedModelConfig;
  /** `modelConfigHash(config)`: checked on load (a hand-edited configuration is refused). */
  configHash: string;
  /** The tokenizer summary. */
  tokenizer: ModelTokenizerInfo;
  /** The weights: tensors and parameters counted, the prefixes used. */
  weights: { tensors: number; parameters: number; dtype: 'float32'; prefixes: typeof MODEL_PREFIXES };
  /** Size and SHA-256 of `model.safetensors` and `tokenizer.json`. */
  files: Record<'model.safetensors' | 'tokenizer.json', ModelFileInfo>;
  /** Id of this save, repeated in the other two files: files of different saves are never taken together. */
  saveId: string;
  /** When the model was saved (ISO 8601). */
  createdAt: string;
  /** Versions of the libraries that wrote it (`@pir/models`, `@tensorflow/tfjs-core`). */
  libraries: Record<string, string>;
}

/**
 * A model directory (or one of its files) that cannot be read: missing, truncated, from another save, of a
 * newer format, edited, or larger than the limits. `where` is the file (`'pir-model.json'`,
 * `'model.safetensors'`, `'tokenizer.json'`), `argument` the key or field at fault (`''` for the whole file);
 * the message says where the directory is and what to do.
 * @example
 * ```ts
 * try {
 *   await loadModel({});
 * } catch (e) {
 *   (e as ModelFileError).where; // 'pir-model.json'
 * }
 * ```
 */
export class ModelFileError extends PirError {
  /** Where the directory is (a path, a URL, `'memory'`). */
  readonly location: string;

  /**
   * @param file the file at fault
   * @param argument the key or field at fault (`''` for the whole file)
   * @param message what was wrong and what to do
   * @param location the directory (path, URL, `'memory'`)
   */
  constructor(file: string, argument: string, message: string, location = '', options?: { cause?: unknown }) {
    super(
      file,
      argument,
      `${argument === '' ? '' : `${argument}: `}${message}${location === '' ? '' : ` (model at ${location})`}`,
      options,
    );
    this.name = 'ModelFileError';
    this.location = location;
  }
}

/** The library versions written into the manifest. */
export function libraryVersions(): Record<string, string> {
  return { '@pir/models': modelsVersion, '@tensorflow/tfjs-core': tfjsVersion };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Every number of a configuration, with its path, must be finite and at most {@link MAX_CONFIG_NUMBER}. */
function checkNumbers(x: unknown, path: string, fail: (argument: string, message: string) => never): void {
  if (typeof x === 'number') {
    if (!Number.isFinite(x) || Math.abs(x) > MAX_CONFIG_NUMBER)
      fail(path, `${x} is not a finite number of at most ${MAX_CONFIG_NUMBER}`);
  } else if (Array.isArray(x)) {
    if (x.length > 1024) fail(path, `an array of ${x.length} entries (at most 1024)`);
    x.forEach((v, i) => {
      checkNumbers(v, `${path}[${i}]`, fail);
    });
  } else if (isObject(x)) {
    for (const [k, v] of Object.entries(x)) checkNumbers(v, path === '' ? k : `${path}.${k}`, fail);
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const SAVE_ID = /^[0-9A-Za-z._:-]{1,128}$/;

/**
 * Parse and check `pir-model.json`: format, version (a newer one is refused), the configuration (through
 * `modelConfig`, numbers bounded) against its hash, the tokenizer summary, the file table and the save id.
 * @param bytes the file's contents
 * @param location the directory, for messages
 * @throws ModelFileError naming `pir-model.json` and the field at fault
 */
export function parseManifest(bytes: Uint8Array, location = ''): ModelManifest {
  const file = MODEL_FILES.manifest;
  const fail = (argument: string, message: string): never => {
    throw new ModelFileError(file, argument, message, location);
  };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelFileError(file, '', `not valid UTF-8 JSON (${String(e)})`, location, { cause: e });
  }
  if (!isObject(json)) return fail('', 'must be a JSON object');
  if (json.format !== MODEL_FORMAT)
    fail(
      'format',
      `expected '${MODEL_FORMAT}', got ${JSON.stringify(json.format)}: not a PIR model directory`,
    );
  const v = json.formatVersion;
  if (!Number.isInteger(v) || (v as number) < 1)
    fail('formatVersion', `must be a positive integer, got ${v}`);
  if ((v as number) > MODEL_FORMAT_VERSION)
    fail(
      'formatVersion',
      `the model was written in format version ${v}; this @pir/models (${modelsVersion}) reads up to ` +
        `${MODEL_FORMAT_VERSION}: upgrade @pir/models`,
    );
  if (!isObject(json.config)) fail('config', 'must be the resolved model configuration (an object)');
  checkNumbers(json.config, 'config', fail);
  let config: ModelConfig;
  try {
    config = modelConfig(json.config);
  } catch (e) {
    const arg = (e as PirError).argument ?? '';
    throw new ModelFileError(file, `config.${arg}`, (e as Error).message, location, { cause: e });
  }
  for (const role of ['vision', 'text', 'instruction'] as const) {
    const ref = (config.encoders as Record<string, unknown>)[role];
    if (role === 'instruction' && ref === undefined) continue; // a model without one (plain CLIP)
    if (!isObject(ref) || typeof ref.architecture !== 'string' || !isObject(ref.config))
      fail(`config.encoders.${role}`, 'must be spelled out as { architecture, config } (resolveModelConfig)');
  }
  const hash = modelConfigHash(config);
  if (typeof json.configHash !== 'string' || !/^[0-9a-f]{16}$/.test(json.configHash))
    fail('configHash', `must be 16 hex digits (modelConfigHash), got ${JSON.stringify(json.configHash)}`);
  // the same library must hash the configuration as it did when saving; another version of @pir/models may
  // define the hash differently (e.g. when new fields get defaults), so its hash is taken as recorded
  const writer = isObject(json.libraries) ? json.libraries['@pir/models'] : undefined;
  if (json.configHash !== hash && (writer === undefined || writer === modelsVersion))
    fail(
      'configHash',
      `${JSON.stringify(json.configHash)} does not match the configuration (its hash is '${hash}'): the ` +
        'file was edited or damaged; save the model again',
    );
  const tok = json.tokenizer;
  if (
    !isObject(tok) ||
    !['word', 'wordpiece', 'clip-bpe', 'none'].includes(tok.type as string) ||
    !Number.isInteger(tok.vocabSize) ||
    (tok.vocabSize as number) < 1 ||
    !Number.isInteger(tok.contextLength) ||
    (tok.contextLength as number) < 1
  )
    fail('tokenizer', 'must be { type, vocabSize, contextLength }');
  const files = json.files;
  if (!isObject(files)) return fail('files', 'must be an object of { bytes, sha256 } by file name');
  for (const name of [MODEL_FILES.weights, MODEL_FILES.tokenizer]) {
    const f = files[name];
    if (!isObject(f) || !Number.isSafeInteger(f.bytes) || (f.bytes as number) < 0)
      fail(`files.${name}`, 'must be { bytes, sha256? } with a byte count');
    const info = f as Record<string, unknown>;
    if (info.sha256 !== undefined && (typeof info.sha256 !== 'string' || !HEX64.test(info.sha256)))
      fail(`files.${name}.sha256`, 'must be 64 lower-case hex digits');
  }
  if (typeof json.saveId !== 'string' || !SAVE_ID.test(json.saveId))
    fail('saveId', 'must be a short string of letters, digits and ._:-');
  const w = json.weights;
  if (!isObject(w) || !Number.isSafeInteger(w.tensors) || !Number.isSafeInteger(w.parameters))
    fail('weights', 'must be { tensors, parameters, dtype, prefixes }');
  return {
    ...(json as unknown as ModelManifest),
    config: config as unknown as ResolvedModelConfig,
    createdAt: typeof json.createdAt === 'string' ? json.createdAt : '',
    libraries: isObject(json.libraries) ? (json.libraries as Record<string, string>) : {},
  };
}

/** SHA-256 of bytes as lower-case hex, or `undefined` where WebCrypto is not available (an insecure page). */
export async function sha256Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (subtle === undefined) return undefined;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A fresh save id: the time and 64 random bits (not model randomness: no seeded Rng involved). */
export function newSaveId(now: Date): string {
  const r = new Uint32Array(2);
  (globalThis as { crypto: Crypto }).crypto.getRandomValues(r);
  const hex = Array.from(r, (x) => x.toString(16).padStart(8, '0')).join('');
  return `${now.toISOString().replace(/[-:.]/g, '')}-${hex}`;
}
