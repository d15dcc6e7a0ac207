/**
 * Model configurations as data (`configs/*.json`, shipped with the package) and the catalogue that builds
 * them — open_clip's `model_configs/` + `create_model(name)` for PIR:
 *
 * | name            | what it is                                                                      |
 * |-----------------|---------------------------------------------------------------------------------|
 * | `pir-itr`       | PIR-ITR as published: Swin-T + BERT-base, frozen ResNet-50 instruction encoder   |
 * | `pir-clip`      | PIR-CLIP as published: CLIP ViT-B/32 + CLIP text, frozen CLIP RN50              |
 * | `pir-itr-test`  | PIR-ITR with the `*-test` encoders (tests, quick experiments)                   |
 * | `pir-clip-test` | PIR-CLIP with the `*-test` CLIP towers                                          |
 *
 * A configuration names its encoders from `@pir/encoders`' catalogue (`"swin-t"`, or
 * `{ "name": "swin-t", "overrides": { … } }`, or `{ "architecture": "swin", "config": { … } }`) and gives the
 * model's own fields (`dim`, `k`, …). Your own configuration file has the same shape: `createModel(json)`.
 */
import {
  type ClipVisionTransformer,
  type CreateEncoderOptions,
  createEncoder,
  ENCODER_CONFIGS,
  type EncoderArchitecture,
  type EncoderName,
  encoderConfig,
  type InstructionView,
  type TextEncoder,
  type Tokenizer,
  type VisionEncoder,
} from '@pir/encoders';
import type { HasParameters } from '@pir/nn';
import { getGlobalRng, hashString, Rng } from '@pir/runtime';
import pirClip from '../configs/pir-clip.json';
import pirClipTest from '../configs/pir-clip-test.json';
import pirItr from '../configs/pir-itr.json';
import pirItrTest from '../configs/pir-itr-test.json';
import { ModelInputError } from './errors.js';
import { PirClip, type PirClipConfig } from './pir_clip.js';
import { PirItr, type PirItrConfig } from './pir_itr.js';

/** One encoder of a model configuration: a catalogue name, a name with changed fields, or an inline config. */
export type EncoderRef =
  | EncoderName
  | { name: EncoderName; overrides?: Record<string, unknown> }
  | { architecture: EncoderArchitecture; config: Record<string, unknown> };

/** The model's own fields of a configuration (everything but the seed and ownership, which are per run). */
export type PirItrFields = Omit<PirItrConfig, 'seed' | 'ownsEncoders'>;
/** The model's own fields of a PIR-CLIP configuration. */
export type PirClipFields = Omit<PirClipConfig, 'seed' | 'ownsEncoders'>;

/** What both kinds of model configuration hold. */
export interface ModelConfigBase {
  /** The configuration's name (the file name without `.json` for the built-in ones). */
  name: string;
  /** One line on what it is. */
  description?: string;
  /** The three encoders. */
  encoders: { vision: EncoderRef; text: EncoderRef; instruction: EncoderRef };
}

/** A PIR-ITR configuration (`configs/pir-itr.json`). */
export interface PirItrModelConfig extends ModelConfigBase {
  architecture: 'pir-itr';
  config: PirItrFields;
}

/** A PIR-CLIP configuration (`configs/pir-clip.json`). */
export interface PirClipModelConfig extends ModelConfigBase {
  architecture: 'pir-clip';
  config: PirClipFields;
}

/** A model configuration: what a `configs/*.json` file holds. */
export type ModelConfig = PirItrModelConfig | PirClipModelConfig;

/** The built-in configurations by name. */
export const MODEL_CONFIGS = {
  'pir-itr': pirItr as PirItrModelConfig,
  'pir-clip': pirClip as PirClipModelConfig,
  'pir-itr-test': pirItrTest as PirItrModelConfig,
  'pir-clip-test': pirClipTest as PirClipModelConfig,
} as const;

/** A name of {@link MODEL_CONFIGS}. */
export type ModelName = keyof typeof MODEL_CONFIGS;

/** An encoder built by the catalogue: the contract plus named parameters and `dispose()`. */
export type BuiltEncoder<T> = T & HasParameters & { dispose(): void };

/** The model class a configuration builds, with its encoders' types. */
export type ModelOf<C> = C extends 'pir-clip' | 'pir-clip-test' | PirClipModelConfig
  ? PirClip<{
      vision: ClipVisionTransformer;
      text: BuiltEncoder<TextEncoder>;
      instruction: InstructionView;
    }>
  : PirItr<{
      vision: BuiltEncoder<VisionEncoder>;
      text: BuiltEncoder<TextEncoder>;
      instruction: InstructionView;
    }>;

/**
 * The names of the built-in model configurations.
 * @example
 * ```ts
 * listModels(); // ['pir-itr', 'pir-clip', 'pir-itr-test', 'pir-clip-test']
 * ```
 */
export function listModels(): ModelName[] {
  return Object.keys(MODEL_CONFIGS) as ModelName[];
}

const where = 'modelConfig';

function fail(argument: string, detail: string): never {
  throw new ModelInputError(where, argument, detail);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Check an encoder reference; `path` names it in errors (`encoders.vision`). */
function checkEncoderRef(path: string, ref: unknown): void {
  const names = Object.keys(ENCODER_CONFIGS);
  if (typeof ref === 'string') {
    if (!names.includes(ref)) fail(path, `unknown encoder '${ref}'; known: ${names.join(', ')}`);
  } else if (isObject(ref) && 'name' in ref) {
    if (typeof ref.name !== 'string' || !names.includes(ref.name))
      fail(`${path}.name`, `unknown encoder '${String(ref.name)}'; known: ${names.join(', ')}`);
    if (ref.overrides !== undefined && !isObject(ref.overrides))
      fail(`${path}.overrides`, 'must be an object');
  } else if (isObject(ref) && 'architecture' in ref) {
    if (!isObject(ref.config)) fail(`${path}.config`, 'must be an object');
  } else {
    fail(
      path,
      `must be an encoder name, { name, overrides } or { architecture, config }, got ${JSON.stringify(ref)}`,
    );
  }
}

/**
 * A checked copy of a built-in configuration (by name) or of one read from a file (its JSON value): clear
 * errors name the key at fault.
 * @example
 * ```ts
 * modelConfig('pir-itr').config.k; // 40
 * modelConfig('pir-itr').encoders.text; // 'bert-base-uncased'
 * ```
 */
export function modelConfig<N extends ModelName>(name: N): (typeof MODEL_CONFIGS)[N];
export function modelConfig(config: unknown): ModelConfig;
export function modelConfig(nameOrConfig: unknown): ModelConfig {
  let c: unknown = nameOrConfig;
  if (typeof nameOrConfig === 'string') {
    c = (MODEL_CONFIGS as Record<string, ModelConfig>)[nameOrConfig];
    if (c === undefined) fail('name', `unknown model '${nameOrConfig}'; known: ${listModels().join(', ')}`);
  }
  if (!isObject(c)) fail('config', `a model configuration is a JSON object, got ${JSON.stringify(c)}`);
  if (c.architecture !== 'pir-itr' && c.architecture !== 'pir-clip')
    fail('architecture', `must be 'pir-itr' or 'pir-clip', got ${JSON.stringify(c.architecture)}`);
  if (typeof c.name !== 'string' || c.name === '') fail('name', 'must be a non-empty string');
  if (!isObject(c.encoders)) fail('encoders', 'must be an object { vision, text, instruction }');
  for (const role of ['vision', 'text', 'instruction'] as const)
    checkEncoderRef(`encoders.${role}`, c.encoders[role]);
  if (c.config !== undefined && !isObject(c.config)) fail('config', 'must be an object of the model fields');
  return structuredClone({ ...c, config: c.config ?? {} }) as unknown as ModelConfig;
}

/** The full encoder configuration a reference stands for: `{ architecture, config }`. */
function resolveEncoder(ref: EncoderRef): {
  architecture: EncoderArchitecture;
  config: Record<string, unknown>;
} {
  if (typeof ref === 'string') {
    const e = encoderConfig(ref);
    return { architecture: e.architecture, config: e.config as unknown as Record<string, unknown> };
  }
  if ('name' in ref) {
    const e = encoderConfig(ref.name);
    return { architecture: e.architecture, config: { ...(e.config as object), ...(ref.overrides ?? {}) } };
  }
  return { architecture: ref.architecture, config: { ...ref.config } };
}

/** A configuration with every encoder spelled out (`{ architecture, config }`), as a model was built from it. */
export type ResolvedModelConfig = Omit<ModelConfig, 'encoders'> & {
  encoders: Record<
    'vision' | 'text' | 'instruction',
    { architecture: EncoderArchitecture; config: Record<string, unknown> }
  >;
};

/** The configuration with every encoder reference replaced by its full configuration. */
export function resolveModelConfig(nameOrConfig: ModelName | ModelConfig): ResolvedModelConfig {
  const c = modelConfig(nameOrConfig as unknown);
  return {
    ...c,
    encoders: {
      vision: resolveEncoder(c.encoders.vision),
      text: resolveEncoder(c.encoders.text),
      instruction: resolveEncoder(c.encoders.instruction),
    },
  } as ResolvedModelConfig;
}

/** JSON with sorted keys (so equal configurations hash equally). */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (isObject(x))
    return `{${Object.keys(x)
      .sort()
      .filter((k) => x[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(x[k])}`)
      .join(',')}}`;
  return JSON.stringify(x);
}

/**
 * A short stable hash of what a model computes — the resolved architecture, encoders and fields (not the name
 * or description) — e.g. for an index to refuse vectors made by another model.
 * @example
 * ```ts
 * modelConfigHash('pir-itr') === modelConfigHash(modelConfig('pir-itr')); // true
 * ```
 */
export function modelConfigHash(nameOrConfig: ModelName | ModelConfig): string {
  const { name: _n, description: _d, ...what } = resolveModelConfig(nameOrConfig);
  const text = canonical(what);
  const a = (hashString(text) >>> 0).toString(16).padStart(8, '0');
  const b = (hashString(`pir:${text}`) >>> 0).toString(16).padStart(8, '0');
  return a + b;
}

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** Seed of every initial weight (encoders and model); default drawn from the global `Rng`. */
  seed?: number;
  /** The text encoder's tokenizer (e.g. a `BertTokenizer`, `ClipTokenizer` or `WordTokenizer`). */
  tokenizer?: Tokenizer;
  /** Fields of the model that differ from the configuration (e.g. `{ variant: 'released' }`). */
  overrides?: Partial<PirItrFields & PirClipFields>;
  /** BatchNorm folding of ResNet encoders (see `@pir/encoders`). */
  foldBatchNorm?: CreateEncoderOptions['foldBatchNorm'];
}

/**
 * Build a model and its encoders from a built-in configuration or your own (weights initialised as the
 * papers do; load trained ones with `loadStateDict` on the model and on each encoder). The model owns the
 * encoders: `model.dispose()` frees them too. The instruction encoder is frozen.
 * @example
 * ```ts
 * const model = createModel('pir-itr-test', { seed: 1 });
 * model.k; // 4
 * model.dispose();
 * ```
 */
export function createModel<N extends ModelName | ModelConfig>(
  nameOrConfig: N,
  options?: CreateModelOptions,
): ModelOf<N>;
export function createModel(
  nameOrConfig: ModelName | ModelConfig,
  options: CreateModelOptions = {},
): PirItr | PirClip {
  const resolved = resolveModelConfig(nameOrConfig);
  const rng = new Rng(options.seed ?? getGlobalRng().nextSeed());
  const made: { dispose(): void }[] = [];
  const build = (role: 'vision' | 'text' | 'instruction') => {
    const { architecture, config } = resolved.encoders[role];
    const encoderOptions: CreateEncoderOptions = {
      rng: rng.fork(role),
      ...(role === 'text' && options.tokenizer !== undefined ? { tokenizer: options.tokenizer } : {}),
      ...(options.foldBatchNorm !== undefined ? { foldBatchNorm: options.foldBatchNorm } : {}),
    };
    const encoder = createEncoder({ architecture, config }, encoderOptions);
    made.push(encoder);
    return encoder;
  };
  try {
    const vision = build('vision');
    const text = build('text');
    const net = build('instruction') as unknown as {
      params: { setTrainable(t: boolean): void };
      asInstructionEncoder?: () => InstructionView;
    };
    if (typeof net.asInstructionEncoder !== 'function')
      fail(
        'encoders.instruction',
        `a ${resolved.encoders.instruction.architecture} cannot be an instruction encoder (use resnet or clip-resnet)`,
      );
    net.params.setTrainable(false); // frozen (PIR_SPEC §1), and ResNets fold their BatchNorm when frozen
    const instruction = net.asInstructionEncoder(); // a view: loadStateDict(view, sd) loads the network
    const fields = {
      ...resolved.config,
      ...(options.overrides ?? {}),
      seed: rng.fork('model').nextSeed(),
      ownsEncoders: true,
    };
    if (resolved.architecture === 'pir-clip') {
      if (!(vision instanceof Object) || typeof (vision as { embed?: unknown }).embed !== 'function')
        fail('encoders.vision', 'PIR-CLIP needs a CLIP ViT (clip-vit) as its vision encoder');
      return new PirClip(
        { vision: vision as never, text: text as never, instruction },
        fields as PirClipConfig,
      );
    }
    return new PirItr({ vision: vision as never, text: text as never, instruction }, fields as PirItrConfig);
  } catch (e) {
    for (const m of made) m.dispose();
    throw e;
  }
}
