/**
 * Whole-model save and load: one directory per model (`pir-model.json`, `model.safetensors`,
 * `tokenizer.json` — see `model_dir_format.ts` and the README's "Model directories"), in memory, over HTTP or
 * through any writer; the Node file system is `@pir/models/node`'s.
 *
 * `loadModel` trusts nothing it reads: sizes are bounded before and while reading, every file is checked
 * against the manifest (size, SHA-256, save id), the configuration against its hash, every weight key and
 * shape (strict), the tokenizer against the text encoder. Only data is read (JSON and safetensors): nothing
 * is executed.
 */
import type { CreateEncoderOptions } from '@pir/encoders';
import {
  readSafetensors,
  readSafetensorsHeader,
  WeightsError,
  writeSafetensors,
} from '@pir/encoders/weights';
import {
  type HasParameters,
  hasParameters,
  type LoadReport,
  loadStateDict,
  type StateDict,
  StateDictError,
  type StateDictLike,
  stateDict,
  withPrefix,
} from '@pir/nn';
import { createModel, type ModelConfig } from './catalogue.js';
import { ModelInputError } from './errors.js';
import {
  DEFAULT_MODEL_LIMITS,
  libraryVersions,
  MODEL_FILES,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  MODEL_PREFIXES,
  ModelFileError,
  type ModelLimits,
  type ModelManifest,
  newSaveId,
  parseManifest,
  sha256Hex,
} from './model_dir_format.js';
import {
  type EmbeddingModel,
  RetrievalModel,
  type RetrievalModelOptions,
  textLimits,
} from './model_dir_model.js';
import {
  type FetchLike,
  type FileFetcher,
  fetchSource,
  type ModelFiles,
  type ModelSource,
  type ModelWriter,
  memorySource,
} from './model_dir_source.js';
import { describeTokenizer, readTokenizer, TOKENIZER_FORMAT } from './model_dir_tokenizer.js';

/** Options of {@link serializeModel} / {@link saveModel}. */
export interface SaveModelOptions extends Partial<RetrievalModelOptions> {
  /** The time recorded as `createdAt` (default: now). */
  createdAt?: Date;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Size limits of the files (see {@link ModelLimits}). */
  limits?: ModelLimits;
  /** The `fetch` to use when the source is a URL (default `globalThis.fetch`). */
  fetch?: FetchLike;
  /** Check the files' SHA-256 against the manifest (default `true`; skipped where WebCrypto is missing). */
  verifyChecksums?: boolean;
  /** BatchNorm folding of ResNet encoders (see `@pir/encoders`). */
  foldBatchNorm?: CreateEncoderOptions['foldBatchNorm'];
}

/**
 * Where {@link loadModel} reads a model: a URL (or a path relative to the page) of the directory, a function
 * that fetches a file by name, the files in memory (`{ 'pir-model.json': bytes, … }`), or a {@link ModelSource}.
 */
export type ModelSourceLike = string | URL | FileFetcher | ModelFiles | ModelSource;

/**
 * The model's parts with their prefixes, as one list for `stateDict` / `loadStateDict`: the model's own
 * weights and each encoder it has (PIR-CLIP as plain CLIP has no instruction encoder).
 */
function parts(model: EmbeddingModel, where: string): HasParameters[] {
  const holders: [string, unknown][] = [
    [MODEL_PREFIXES.model, model],
    [MODEL_PREFIXES.vision, model.encoders.vision],
    [MODEL_PREFIXES.text, model.encoders.text],
  ];
  if (model.encoders.instruction !== undefined)
    holders.push([MODEL_PREFIXES.instruction, model.encoders.instruction]);
  return holders.map(([prefix, holder]) => {
    const role = prefix.slice(0, -1);
    if (!hasParameters(holder))
      throw new ModelInputError(
        where,
        role,
        `the ${role === 'model' ? 'model' : `${role} encoder`} has no namedParameters(): its weights cannot be saved (use the encoders of @pir/encoders)`,
      );
    return { namedParameters: () => withPrefix(prefix, holder.namedParameters()) };
  });
}

/**
 * The whole model's weights — its own (projections, PAE, heads, temperatures) and every encoder's — under the
 * model directory's prefixes (`model.`, `vision.`, `text.`, `instruction.`: {@link MODEL_PREFIXES}), as
 * `model.safetensors` holds them. `model.stateDict()` gives the model's own weights only.
 * @example
 * ```ts
 * const sd = await modelStateDict(trained);           // Map: 'vision.patch_embed.proj.weight' → …
 * loadModelStateDict(fresh, sd, { strict: false });   // start another model from it
 * ```
 */
export async function modelStateDict(model: EmbeddingModel): Promise<StateDict> {
  return stateDict(parts(model, 'modelStateDict'));
}

/**
 * Load weights named as {@link modelStateDict} gives them (a model directory's) into the model and its
 * encoders. `strict` (default true): every missing, unexpected or mis-shaped key in one `StateDictError`,
 * nothing written; `strict: false` loads what matches and reports the rest — e.g. PIR-CLIP's stage 2 from its
 * stage 1, or a model from a checkpoint of another size's encoders.
 * @returns what was loaded, missing, unexpected and mis-shaped
 */
export function loadModelStateDict(
  model: EmbeddingModel,
  sd: StateDictLike,
  options: { strict?: boolean } = {},
): LoadReport {
  return loadStateDict(parts(model, 'loadModelStateDict'), sd, { ...options, where: 'loadModelStateDict' });
}

const json = (x: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(x, null, 2)}\n`);

/**
 * A model directory in memory: `{ 'model.safetensors', 'tokenizer.json', 'pir-model.json' }` (in commit
 * order: the manifest last) — what {@link loadModel} reads back, e.g. in tests or bundled with an app.
 * @param model a {@link RetrievalModel}, or a model `createModel` built with `{ config }` (and `overrides`) here
 * @param options the configuration of a bare model; `createdAt`
 * @throws ModelInputError when the configuration does not describe the model, or the tokenizer cannot be saved
 * @example
 * ```ts
 * const model = createModel('pir-itr-test', { seed: 1 });
 * const files = await serializeModel(model, { config: 'pir-itr-test' });
 * Object.keys(files); // ['model.safetensors', 'tokenizer.json', 'pir-model.json']
 * model.dispose();
 * ```
 */
export async function serializeModel(
  model: RetrievalModel | EmbeddingModel,
  options: SaveModelOptions = {},
): Promise<Record<string, Uint8Array>> {
  const where = 'saveModel';
  const { createdAt, ...wrap } = options;
  let rm: RetrievalModel;
  if (model instanceof RetrievalModel) {
    for (const key of ['config', 'overrides', 'tokenizer'] as const)
      if (wrap[key] !== undefined)
        throw new ModelInputError(where, key, `a RetrievalModel carries its own ${key}: do not pass one`);
    rm = model;
  } else {
    if (wrap.config === undefined)
      throw new ModelInputError(
        where,
        'config',
        'pass { config } (the name or configuration given to createModel, and its overrides): the model ' +
          'directory must rebuild the model without you',
      );
    try {
      rm = new RetrievalModel(model, wrap as RetrievalModelOptions);
    } catch (e) {
      if (!(e instanceof ModelInputError)) throw e;
      const prefix = `${e.where}: ${e.argument}: `;
      throw new ModelInputError(
        where,
        e.argument,
        e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message,
      );
    }
  }
  if ((rm as unknown as { disposed: boolean }).disposed)
    throw new ModelInputError(where, 'model', 'the model has been disposed');
  const now = createdAt ?? new Date();
  const saveId = newSaveId(now);
  const tokenizer = describeTokenizer(rm.tokenizer, textLimits(rm.config), where);
  const sd: StateDict = await stateDict(parts(rm.model, where));
  let parameters = 0;
  for (const t of sd.values()) parameters += t.data.length;
  const weights = writeSafetensors(sd, {
    format: 'pt',
    'pir.format': MODEL_FORMAT,
    'pir.format_version': String(MODEL_FORMAT_VERSION),
    'pir.config_hash': rm.configHash,
    'pir.save_id': saveId,
  });
  const tokenizerBytes = json({ format: TOKENIZER_FORMAT, formatVersion: 1, saveId, ...tokenizer.json });
  const info = async (bytes: Uint8Array) => {
    const sha256 = await sha256Hex(bytes);
    return sha256 === undefined ? { bytes: bytes.length } : { bytes: bytes.length, sha256 };
  };
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    config: rm.config,
    configHash: rm.configHash,
    tokenizer: tokenizer.info,
    weights: { tensors: sd.size, parameters, dtype: 'float32', prefixes: MODEL_PREFIXES },
    files: {
      [MODEL_FILES.weights]: await info(weights),
      [MODEL_FILES.tokenizer]: await info(tokenizerBytes),
    },
    saveId,
    createdAt: now.toISOString(),
    libraries: libraryVersions(),
  };
  return {
    [MODEL_FILES.weights]: weights,
    [MODEL_FILES.tokenizer]: tokenizerBytes,
    [MODEL_FILES.manifest]: json(manifest),
  };
}

/**
 * Save a model through a writer: the files of {@link serializeModel}, handed over in commit order (the
 * manifest last; see {@link ModelWriter} for what a writer must guarantee). In Node, `saveModel` of
 * `@pir/models/node` takes a directory path and writes atomically.
 * @returns the manifest written
 * @example
 * ```ts
 * const model = createModel('pir-itr-test', { seed: 1 });
 * const stored = new Map<string, Uint8Array>();
 * const manifest = await saveModel(model, async (files) => {
 *   for (const [name, bytes] of files) stored.set(name, bytes);
 * }, { config: 'pir-itr-test' });
 * manifest.formatVersion; // 1
 * model.dispose();
 * ```
 */
export async function saveModel(
  model: RetrievalModel | EmbeddingModel,
  target: ModelWriter,
  options: SaveModelOptions = {},
): Promise<ModelManifest> {
  if (typeof target !== 'function')
    throw new ModelInputError(
      'saveModel',
      'target',
      'must be a writer function (files) => Promise<void>; to save to a directory import saveModel from @pir/models/node',
    );
  const files = await serializeModel(model, options);
  await target(Object.entries(files));
  return parseManifest(files[MODEL_FILES.manifest] as Uint8Array);
}

function isSource(x: unknown): x is ModelSource {
  return typeof x === 'object' && x !== null && typeof (x as ModelSource).read === 'function';
}

/** The {@link ModelSource} of a {@link ModelSourceLike} (paths are `@pir/models/node`'s). */
export function toModelSource(source: ModelSourceLike, options: { fetch?: FetchLike } = {}): ModelSource {
  if (isSource(source)) return source;
  if (typeof source === 'string' || source instanceof URL || typeof source === 'function')
    return fetchSource(source, options.fetch);
  if (typeof source === 'object' && source !== null) return memorySource(source as ModelFiles);
  throw new ModelInputError(
    'loadModel',
    'source',
    `must be a URL, a fetch function, the files in memory or a ModelSource, got ${source === null ? 'null' : typeof source}`,
  );
}

/** A file of the directory, read within its limit and checked against the manifest's size and checksum. */
async function readChecked(
  source: ModelSource,
  name: 'model.safetensors' | 'tokenizer.json',
  manifest: ModelManifest,
  maxBytes: number,
  verify: boolean,
): Promise<Uint8Array> {
  const location = source.location;
  const want = manifest.files[name];
  if (want.bytes > maxBytes)
    throw new ModelFileError(
      name,
      '',
      `pir-model.json says ${want.bytes} bytes, over the limit of ${maxBytes} (raise it with { limits } if you trust the model)`,
      location,
    );
  const bytes = await source.read(name, maxBytes);
  if (bytes === undefined)
    throw new ModelFileError(
      name,
      '',
      'is missing: the directory is incomplete (a copy that stopped early?); pir-model.json lists it',
      location,
    );
  if (bytes.length !== want.bytes)
    throw new ModelFileError(
      name,
      '',
      `has ${bytes.length} bytes but pir-model.json says ${want.bytes}: it is truncated or from another save ` +
        '(a save interrupted between files?); save the model again',
      location,
    );
  if (verify && want.sha256 !== undefined) {
    const got = await sha256Hex(bytes);
    if (got !== undefined && got !== want.sha256)
      throw new ModelFileError(
        name,
        '',
        `its SHA-256 ${got} is not the ${want.sha256} of pir-model.json: it was changed or damaged, or comes ` +
          'from another save; save the model again',
        location,
      );
  }
  return bytes;
}

/**
 * Load a model directory: rebuild the model from the saved configuration (no catalogue needed), load every
 * weight strictly, restore the tokenizer. Works in the browser and in Node; Node paths are
 * `@pir/models/node`'s `loadModel`.
 * @param source a URL of the directory, a function fetching a file by name, the files in memory, a ModelSource
 * @returns a {@link RetrievalModel}: dispose it when done
 * @throws ModelFileError (`where` the file, `argument` the field) for a missing, oversized, truncated,
 *   mismatched (another save), edited, corrupt or newer-format file; StateDictError (`where` `'loadModel'`)
 *   listing every missing, unexpected and mis-shaped weight
 * @example
 * ```ts
 * const model = createModel('pir-itr-test', { seed: 1 });
 * const files = await serializeModel(model, { config: 'pir-itr-test' });
 * model.dispose();
 * const loaded = await loadModel(files); // or loadModel('https://example.org/models/pir-itr-test/')
 * loaded.config.name; // 'pir-itr-test'
 * loaded.dispose();
 * ```
 */
export async function loadModel(
  source: ModelSourceLike,
  options: LoadModelOptions = {},
): Promise<RetrievalModel> {
  const src = toModelSource(source, options.fetch === undefined ? {} : { fetch: options.fetch });
  const limits = { ...DEFAULT_MODEL_LIMITS, ...(options.limits ?? {}) };
  for (const [k, v] of Object.entries(limits))
    if (!Number.isSafeInteger(v) || v < 1)
      throw new ModelInputError('loadModel', `limits.${k}`, `must be a positive integer, got ${v}`);
  const verify = options.verifyChecksums ?? true;
  const location = src.location;
  const manifestBytes = await src.read(MODEL_FILES.manifest, limits.maxManifestBytes);
  if (manifestBytes === undefined)
    throw new ModelFileError(
      MODEL_FILES.manifest,
      '',
      'not found: not a model directory, or its first save did not finish (the manifest is written last)',
      location,
    );
  const manifest = parseManifest(manifestBytes, location);
  const tokenizerBytes = await readChecked(
    src,
    MODEL_FILES.tokenizer,
    manifest,
    limits.maxTokenizerBytes,
    verify,
  );
  const tokenizer = await readTokenizer(
    tokenizerBytes,
    { info: manifest.tokenizer, saveId: manifest.saveId },
    location,
  );
  const text = textLimits(manifest.config);
  if (manifest.tokenizer.vocabSize > text.vocabSize)
    throw new ModelFileError(
      MODEL_FILES.tokenizer,
      'vocabSize',
      `the tokenizer's vocabulary (${manifest.tokenizer.vocabSize}) is larger than the text encoder's vocabSize (${text.vocabSize})`,
      location,
    );
  if (manifest.tokenizer.contextLength > text.contextLength)
    throw new ModelFileError(
      MODEL_FILES.tokenizer,
      'contextLength',
      `the tokenizer's contextLength (${manifest.tokenizer.contextLength}) exceeds the text encoder's (${text.contextLength})`,
      location,
    );
  let sd: StateDict;
  {
    const file = MODEL_FILES.weights;
    const bytes = await readChecked(src, file, manifest, limits.maxWeightsBytes, verify);
    try {
      const { metadata } = readSafetensorsHeader(bytes, { name: file });
      const expect: Record<string, string> = {
        'pir.format': MODEL_FORMAT,
        'pir.config_hash': manifest.configHash,
        'pir.save_id': manifest.saveId,
      };
      for (const [key, value] of Object.entries(expect))
        if (metadata[key] !== value)
          throw new ModelFileError(
            file,
            `__metadata__.${key}`,
            `is ${JSON.stringify(metadata[key] ?? null)} but pir-model.json says '${value}'` +
              (key === 'pir.save_id'
                ? ': the files come from different saves (a save interrupted between files?)'
                : ''),
            location,
          );
      sd = readSafetensors(bytes, { name: file });
    } catch (e) {
      if (e instanceof WeightsError)
        throw new ModelFileError(file, e.argument, e.message.slice(file.length + 2), location, { cause: e });
      throw e;
    }
  }
  const model = createModel(manifest.config as unknown as ModelConfig, {
    seed: 0,
    ...(tokenizer === undefined ? {} : { tokenizer }),
    ...(options.foldBatchNorm === undefined ? {} : { foldBatchNorm: options.foldBatchNorm }),
  }) as EmbeddingModel;
  try {
    try {
      loadStateDict(parts(model, 'loadModel'), sd, { where: 'loadModel' });
    } catch (e) {
      if (e instanceof StateDictError)
        throw new StateDictError(
          'loadModel',
          e,
          ` (model.safetensors does not fit the configuration of pir-model.json, at ${location})`,
        );
      throw e;
    }
    return new RetrievalModel(model, { config: manifest.config, tokenizer: tokenizer ?? null, manifest });
  } catch (e) {
    model.dispose();
    throw e;
  }
}
