/**
 * Model configurations as data (`configs/*.json`, shipped with the package) and the catalogue that builds
 * them — open_clip's `model_configs/` + `create_model(name)` for PIR. Three architectures (`pir-itr`,
 * `pir-clip`, `vse`), each at three sizes (`tiny`: seconds on a CPU; `base`: trainable on a CPU; `paper`: the
 * published model) plus the `test` sizes of the test suite:
 *
 * | name | architecture | what it is |
 * |---|---|---|
 * | `pir-itr-paper` (alias `pir-itr`) | `pir-itr` | PIR-ITR as published: Swin-T + BERT-base, frozen ResNet-50 |
 * | `pir-itr-base` | `pir-itr` | PIR-ITR on a narrow Swin (112 px, 1 + 49 tokens), BERT-mini, ResNet-18 |
 * | `pir-itr-tiny` | `pir-itr` | PIR-ITR on 64 px images, BERT-tiny, D = 64 |
 * | `pir-itr-test` | `pir-itr` | the `*-test` encoders (tests) |
 * | `pir-clip-paper` (alias `pir-clip`) | `pir-clip` | PIR-CLIP stage 2 (PIR fine-tuning): CLIP ViT-B/32 + CLIP RN50 |
 * | `pir-clip-stage1-paper` | `pir-clip` | PIR-CLIP stage 1: the same CLIP with the PIR parts off — plain CLIP |
 * | `pir-clip-base`, `pir-clip-stage1-base`, `pir-clip-tiny`, `pir-clip-stage1-tiny` | `pir-clip` | the same at the smaller sizes |
 * | `pir-clip-test` | `pir-clip` | the `*-test` CLIP towers (tests) |
 * | `vse-paper`, `vse-base`, `vse-tiny`, `vse-test` | `vse` | the VSE baseline on PIR-ITR's encoders of each size |
 *
 * A configuration names its encoders from `@pir/encoders`' catalogue (`"swin-t"`, or
 * `{ "name": "swin-t", "overrides": { … } }`, or `{ "architecture": "swin", "config": { … } }`), gives the
 * model's own fields (`config`: `dim`, `k`, the ablation switches, …) and the training recipe (`train`, plain
 * data for a trainer: {@link TrainRecipe}). Your own configuration file has the same shape: `createModel(json)`.
 */
import {
  type ClipVisionTransformer,
  type CreateEncoderOptions,
  createEncoder,
  ENCODER_CONFIGS,
  type EncoderArchitecture,
  type EncoderName,
  encoderConfig,
  type InstructionEncoder,
  type InstructionView,
  type TextEncoder,
  type Tokenizer,
  type VisionEncoder,
} from '@pir/encoders';
import { LOGIT_SCALE_DEFAULTS, TEMPERATURE_DEFAULTS } from '@pir/losses';
import type { HasParameters } from '@pir/nn';
import { getGlobalRng, hashString, Rng } from '@pir/runtime';
import pirClipBase from '../configs/pir-clip-base.json';
import pirClipPaper from '../configs/pir-clip-paper.json';
import pirClipStage1Base from '../configs/pir-clip-stage1-base.json';
import pirClipStage1Paper from '../configs/pir-clip-stage1-paper.json';
import pirClipStage1Tiny from '../configs/pir-clip-stage1-tiny.json';
import pirClipTest from '../configs/pir-clip-test.json';
import pirClipTiny from '../configs/pir-clip-tiny.json';
import pirItrBase from '../configs/pir-itr-base.json';
import pirItrPaper from '../configs/pir-itr-paper.json';
import pirItrTest from '../configs/pir-itr-test.json';
import pirItrTiny from '../configs/pir-itr-tiny.json';
import vseBase from '../configs/vse-base.json';
import vsePaper from '../configs/vse-paper.json';
import vseTest from '../configs/vse-test.json';
import vseTiny from '../configs/vse-tiny.json';
import { PIR_CLIP_FIELDS, PIR_ITR_FIELDS, VSE_FIELDS } from './config_fields.js';
import { checkValue, type FieldSpec, hint } from './config_schema.js';
import { ModelInputError } from './errors.js';
import type { EncoderRole } from './model_base.js';
import { PirClip, type PirClipConfig, type PirClipEncoders } from './pir_clip.js';
import { PIR_ITR_DEFAULTS, PirItr, type PirItrConfig, type PirItrEncoders } from './pir_itr.js';
import { TRAIN_RECIPE_SPEC, type TrainRecipe, trainRecipeProblem } from './train_recipe.js';
import { VSE_DEFAULTS, type VseConfig, type VseEncoders, VseModel } from './vse.js';

/** One encoder of a model configuration: a catalogue name, a name with changed fields, or an inline config. */
export type EncoderRef =
  | EncoderName
  | { name: EncoderName; overrides?: Record<string, unknown> }
  | { architecture: EncoderArchitecture; config: Record<string, unknown> };

/** The model's own fields of a configuration (everything but the seed and ownership, which are per run). */
export type PirItrFields = Omit<PirItrConfig, 'seed' | 'ownsEncoders'>;
/** The model's own fields of a PIR-CLIP configuration. */
export type PirClipFields = Omit<PirClipConfig, 'seed' | 'ownsEncoders'>;
/** The model's own fields of a VSE configuration. */
export type VseFields = Omit<VseConfig, 'seed' | 'ownsEncoders'>;

/** The architectures a configuration can name. */
export type ModelArchitecture = 'pir-itr' | 'pir-clip' | 'vse';

/** What every kind of model configuration holds. */
export interface ModelConfigBase {
  /** The configuration's name (the file name without `.json` for the built-in ones). */
  name: string;
  /** One line on what it is. */
  description?: string;
  /** The encoders (an instruction encoder where the model uses one). */
  encoders: { vision: EncoderRef; text: EncoderRef; instruction?: EncoderRef };
  /** How to train it: plain data for a trainer (`@pir/models` only checks it). */
  train?: TrainRecipe;
}

/** A PIR-ITR configuration (`configs/pir-itr-*.json`). */
export interface PirItrModelConfig extends ModelConfigBase {
  architecture: 'pir-itr';
  /** Always named, and built frozen (even when `noBelief` and `noSpatialPae` leave it unused). */
  encoders: { vision: EncoderRef; text: EncoderRef; instruction: EncoderRef };
  config: PirItrFields;
}

/** A PIR-CLIP configuration (`configs/pir-clip-*.json`). */
export interface PirClipModelConfig extends ModelConfigBase {
  architecture: 'pir-clip';
  /** `instruction` is required unless `noBelief` and `noInstruction` (plain CLIP: stage 1). */
  encoders: { vision: EncoderRef; text: EncoderRef; instruction?: EncoderRef };
  config: PirClipFields;
}

/** A VSE baseline configuration (`configs/vse-*.json`): no instruction encoder. */
export interface VseModelConfig extends ModelConfigBase {
  architecture: 'vse';
  encoders: { vision: EncoderRef; text: EncoderRef; instruction?: never };
  config: VseFields;
}

/** A model configuration: what a `configs/*.json` file holds. */
export type ModelConfig = PirItrModelConfig | PirClipModelConfig | VseModelConfig;

/** The built-in configurations by canonical name. */
const CANONICAL = {
  'pir-itr-paper': pirItrPaper as unknown as PirItrModelConfig,
  'pir-itr-base': pirItrBase as unknown as PirItrModelConfig,
  'pir-itr-tiny': pirItrTiny as unknown as PirItrModelConfig,
  'pir-itr-test': pirItrTest as unknown as PirItrModelConfig,
  'pir-clip-paper': pirClipPaper as unknown as PirClipModelConfig & { encoders: { instruction: EncoderRef } },
  'pir-clip-base': pirClipBase as unknown as PirClipModelConfig & { encoders: { instruction: EncoderRef } },
  'pir-clip-tiny': pirClipTiny as unknown as PirClipModelConfig & { encoders: { instruction: EncoderRef } },
  'pir-clip-test': pirClipTest as unknown as PirClipModelConfig & { encoders: { instruction: EncoderRef } },
  'pir-clip-stage1-paper': pirClipStage1Paper as unknown as PirClipModelConfig & {
    encoders: { instruction?: undefined };
  },
  'pir-clip-stage1-base': pirClipStage1Base as unknown as PirClipModelConfig & {
    encoders: { instruction?: undefined };
  },
  'pir-clip-stage1-tiny': pirClipStage1Tiny as unknown as PirClipModelConfig & {
    encoders: { instruction?: undefined };
  },
  'vse-paper': vsePaper as unknown as VseModelConfig,
  'vse-base': vseBase as unknown as VseModelConfig,
  'vse-tiny': vseTiny as unknown as VseModelConfig,
  'vse-test': vseTest as unknown as VseModelConfig,
} as const;

/** Other names of built-in configurations (the names of `@pir/models` 0.1): alias → canonical name. */
export const MODEL_ALIASES = { 'pir-itr': 'pir-itr-paper', 'pir-clip': 'pir-clip-paper' } as const;

/** The built-in configurations by name, aliases included (an alias maps to its configuration's object). */
export const MODEL_CONFIGS = {
  ...CANONICAL,
  'pir-itr': CANONICAL['pir-itr-paper'],
  'pir-clip': CANONICAL['pir-clip-paper'],
} as const;

/** A name of {@link MODEL_CONFIGS} (canonical or alias). */
export type ModelName = keyof typeof MODEL_CONFIGS;

/** An encoder built by the catalogue: the contract plus named parameters and `dispose()`. */
export type BuiltEncoder<T> = T & HasParameters & { dispose(): void };

/** The encoders a model of configuration `C` gets from `createModel` (before `options.encoders`). */
export type BuiltEncodersOf<C> = C extends VseModelConfig
  ? { vision: BuiltEncoder<VisionEncoder>; text: BuiltEncoder<TextEncoder> }
  : C extends PirClipModelConfig
    ? {
        vision: ClipVisionTransformer;
        text: BuiltEncoder<TextEncoder>;
        instruction: C extends { encoders: { instruction: EncoderRef } }
          ? InstructionView
          : C extends { encoders: { instruction?: undefined } }
            ? undefined
            : InstructionView | undefined;
      }
    : {
        vision: BuiltEncoder<VisionEncoder>;
        text: BuiltEncoder<TextEncoder>;
        instruction: InstructionView;
      };

/** Encoders given to `createModel` by code (`options.encoders`). */
export interface GivenEncoders {
  /** Instead of the configuration's vision encoder (PIR-CLIP: a `ClipVisionTransformer`). */
  vision?: VisionEncoder;
  /** Instead of the configuration's text encoder. */
  text?: TextEncoder;
  /** Instead of the configuration's instruction encoder (used as is: freeze it yourself). */
  instruction?: InstructionEncoder;
}

/**
 * The model class a configuration (a name or a configuration object) builds, with its encoders' types; `X`:
 * the types of the encoders given by code.
 */
export type ModelOf<C, X = Record<never, never>> = C extends unknown
  ? (C extends ModelName ? (typeof MODEL_CONFIGS)[C] : C) extends infer K
    ? K extends VseModelConfig
      ? VseModel<Omit<BuiltEncodersOf<K>, keyof X> & Omit<X, 'instruction'> & VseEncoders>
      : K extends PirClipModelConfig
        ? PirClip<Omit<BuiltEncodersOf<K>, keyof X> & X & PirClipEncoders>
        : PirItr<Omit<BuiltEncodersOf<K>, keyof X> & X & PirItrEncoders>
    : never
  : never;

/** Any model `createModel` builds. */
export type AnyModel = PirItr | PirClip | VseModel;

/**
 * The names of the built-in model configurations: the canonical ones (by architecture and size), and with
 * `{ aliases: true }` the aliases too (`pir-itr`, `pir-clip`).
 * @example
 * ```ts
 * listModels().filter((n) => n.startsWith('vse')); // ['vse-paper', 'vse-base', 'vse-tiny', 'vse-test']
 * listModels({ aliases: true }).includes('pir-itr'); // true
 * ```
 */
export function listModels(options: { aliases?: boolean } = {}): ModelName[] {
  return Object.keys(options.aliases === true ? MODEL_CONFIGS : CANONICAL) as ModelName[];
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
  const unknownName = (key: string, name: unknown) =>
    fail(
      key,
      `unknown encoder '${String(name)}'${typeof name === 'string' ? hint(name, names) : ''}; known: ${names.join(', ')}`,
    );
  if (typeof ref === 'string') {
    if (!names.includes(ref)) unknownName(path, ref);
  } else if (isObject(ref) && 'name' in ref) {
    if (typeof ref.name !== 'string' || !names.includes(ref.name)) unknownName(`${path}.name`, ref.name);
    if (ref.overrides !== undefined && !isObject(ref.overrides))
      fail(`${path}.overrides`, 'must be an object');
    for (const key of Object.keys(ref))
      if (key !== 'name' && key !== 'overrides')
        fail(
          `${path}.${key}`,
          `unknown key '${key}'${hint(key, ['name', 'overrides'])}; allowed: name, overrides`,
        );
  } else if (isObject(ref) && 'architecture' in ref) {
    const archs: EncoderArchitecture[] = [
      'swin',
      'bert',
      'resnet',
      'clip-vit',
      'clip-text',
      'clip-resnet',
      'gru',
    ];
    if (!archs.includes(ref.architecture as EncoderArchitecture))
      fail(
        `${path}.architecture`,
        `unknown encoder architecture ${JSON.stringify(ref.architecture)}${typeof ref.architecture === 'string' ? hint(ref.architecture, archs) : ''}; known: ${archs.join(', ')}`,
      );
    if (!isObject(ref.config)) fail(`${path}.config`, 'must be an object');
    for (const key of Object.keys(ref))
      if (key !== 'architecture' && key !== 'config')
        fail(
          `${path}.${key}`,
          `unknown key '${key}'${hint(key, ['architecture', 'config'])}; allowed: architecture, config`,
        );
  } else {
    fail(
      path,
      `must be an encoder name, { name, overrides } or { architecture, config }, got ${JSON.stringify(ref)}`,
    );
  }
}

const ARCHITECTURES: readonly ModelArchitecture[] = ['pir-itr', 'pir-clip', 'vse'];
const TOP_KEYS = ['name', 'description', 'architecture', 'encoders', 'config', 'train'];
const FIELDS: Record<ModelArchitecture, FieldSpec> = {
  'pir-itr': PIR_ITR_FIELDS,
  'pir-clip': PIR_CLIP_FIELDS,
  vse: VSE_FIELDS,
};

/** Whether a model of this architecture with these fields runs an instruction encoder. */
function usesInstruction(architecture: ModelArchitecture, fields: Record<string, unknown>): boolean {
  if (architecture === 'vse') return false;
  if (architecture === 'pir-clip') return !(fields.noBelief === true && fields.noInstruction === true);
  return true; // PIR-ITR always builds its (frozen) instruction encoder
}

/** Cross-field checks of the model fields (`path` prefixes the keys in errors). */
function checkFieldRelations(
  architecture: ModelArchitecture,
  f: Record<string, unknown>,
  path: string,
  at: string,
): void {
  if (architecture === 'pir-itr') {
    const dim = (f.dim ?? PIR_ITR_DEFAULTS.dim) as number;
    const heads = (f.heads ?? PIR_ITR_DEFAULTS.heads) as number;
    if (dim % heads !== 0)
      throw new ModelInputError(at, `${path}heads`, `dim ${dim} must be divisible by heads ${heads}`);
  }
  for (const key of ['temperature', 'affiliationTemperature'] as const) {
    const t = f[key] as { min?: number; max?: number; init?: number } | undefined;
    if (t === undefined) continue;
    const min = t.min ?? TEMPERATURE_DEFAULTS.min;
    const max = t.max ?? TEMPERATURE_DEFAULTS.max;
    const init = t.init ?? TEMPERATURE_DEFAULTS.init;
    if (min > max) throw new ModelInputError(at, `${path}${key}.min`, `min ${min} must be ≤ max ${max}`);
    if (init < min || init > max)
      throw new ModelInputError(
        at,
        `${path}${key}.init`,
        `init ${init} must be in [min, max] = [${min}, ${max}]`,
      );
  }
}

/**
 * Checks a model configuration (the JSON value) and returns a copy. `optionalRoles`: encoders given by code,
 * which the configuration may leave out.
 */
function checkConfig(c: unknown, optionalRoles: readonly EncoderRole[] = []): ModelConfig {
  if (!isObject(c)) fail('config', `a model configuration is a JSON object, got ${JSON.stringify(c)}`);
  for (const key of Object.keys(c))
    if (!TOP_KEYS.includes(key))
      fail(key, `unknown key '${key}'${hint(key, TOP_KEYS)}; allowed: ${TOP_KEYS.join(', ')}`);
  if (!ARCHITECTURES.includes(c.architecture as ModelArchitecture))
    fail(
      'architecture',
      `must be 'pir-itr' or 'pir-clip' (PIR) or 'vse' (the baseline), got ${JSON.stringify(c.architecture)}${typeof c.architecture === 'string' ? hint(c.architecture, ARCHITECTURES) : ''}`,
    );
  const architecture = c.architecture as ModelArchitecture;
  if (typeof c.name !== 'string' || c.name === '') fail('name', 'must be a non-empty string');
  if (c.description !== undefined && typeof c.description !== 'string')
    fail('description', 'must be a string');
  if (c.config !== undefined && !isObject(c.config)) fail('config', 'must be an object of the model fields');
  const fields = (c.config ?? {}) as Record<string, unknown>;
  checkValue('config', fields, FIELDS[architecture], where);
  checkFieldRelations(architecture, fields, 'config.', where);
  if (!isObject(c.encoders)) fail('encoders', 'must be an object { vision, text, instruction }');
  const roles: EncoderRole[] = ['vision', 'text', 'instruction'];
  for (const key of Object.keys(c.encoders))
    if (!roles.includes(key as EncoderRole))
      fail(
        `encoders.${key}`,
        `unknown encoder role '${key}'${hint(key, roles)}; allowed: ${roles.join(', ')}`,
      );
  for (const role of ['vision', 'text'] as const)
    if (c.encoders[role] !== undefined || !optionalRoles.includes(role))
      checkEncoderRef(`encoders.${role}`, c.encoders[role]);
  const instruction = c.encoders.instruction;
  if (architecture === 'vse') {
    if (instruction !== undefined)
      fail('encoders.instruction', 'the VSE baseline has no instruction encoder: remove it');
  } else if (instruction !== undefined) {
    checkEncoderRef('encoders.instruction', instruction);
  } else if (usesInstruction(architecture, fields) && !optionalRoles.includes('instruction')) {
    fail(
      'encoders.instruction',
      architecture === 'pir-clip'
        ? 'PIR-CLIP needs an instruction encoder unless noBelief and noInstruction are both true (plain CLIP)'
        : 'PIR-ITR needs an instruction encoder',
    );
  }
  if (c.train !== undefined) {
    checkValue('train', c.train, TRAIN_RECIPE_SPEC, where);
    const problem = trainRecipeProblem(c.train as TrainRecipe);
    if (problem !== undefined) fail(`train.${problem.key}`, problem.detail);
  }
  return structuredClone({ ...c, config: fields }) as unknown as ModelConfig;
}

/**
 * A checked copy of a built-in configuration (by name or alias) or of one read from a file (its JSON value).
 * Every key is checked — types, ranges, enum values; unknown keys are errors, with a "did you mean" when
 * close — and errors (`ModelInputError`) name the key at fault (`argument`: `config.k`,
 * `train.optimizer.lr`, `encoders.text`).
 * @example
 * ```ts
 * modelConfig('pir-itr').config.k; // 40
 * modelConfig('pir-itr').encoders.text; // { name: 'bert-base-uncased', overrides: { pooler: false } }
 * ```
 */
export function modelConfig<N extends ModelName>(name: N): (typeof MODEL_CONFIGS)[N];
export function modelConfig(config: unknown): ModelConfig;
export function modelConfig(nameOrConfig: unknown): ModelConfig {
  if (typeof nameOrConfig === 'string') {
    const c = (MODEL_CONFIGS as Record<string, ModelConfig>)[nameOrConfig];
    if (c === undefined) {
      const names = listModels({ aliases: true });
      fail('name', `unknown model '${nameOrConfig}'${hint(nameOrConfig, names)}; known: ${names.join(', ')}`);
    }
    return checkConfig(c);
  }
  return checkConfig(nameOrConfig);
}

/**
 * The training recipe of a configuration (its `train` key, checked).
 * @throws ModelInputError (`argument` `'train'`) when the configuration has none
 * @example
 * ```ts
 * trainRecipe('pir-itr').optimizer.lr; // 0.00006
 * trainRecipe('pir-itr').augment.randAugment; // { numOps: 2, magnitude: 7 }
 * ```
 */
export function trainRecipe(nameOrConfig: ModelName | ModelConfig | ResolvedModelConfig): TrainRecipe {
  const c = modelConfig(nameOrConfig as unknown);
  if (c.train === undefined)
    throw new ModelInputError('trainRecipe', 'train', `the configuration '${c.name}' has no training recipe`);
  return c.train;
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

/** An encoder spelled out: its architecture and full configuration. */
export interface ResolvedEncoder {
  /** The encoder architecture (`'swin'`, `'bert'`, …). */
  architecture: EncoderArchitecture;
  /** Its full configuration (every field). */
  config: Record<string, unknown>;
}

/**
 * A configuration as a model was built from it: every encoder spelled out (`{ architecture, config }`) and
 * every model field given (defaults filled in), so it rebuilds the same model whatever later defaults are.
 */
export type ResolvedModelConfig = Omit<ModelConfig, 'encoders'> & {
  encoders: { vision: ResolvedEncoder; text: ResolvedEncoder; instruction?: ResolvedEncoder };
};

/** The model fields with every default filled in (what the constructors would use). */
function fullFields(architecture: ModelArchitecture, f: Record<string, unknown>): Record<string, unknown> {
  const temperatures = (keys: string[]) =>
    Object.fromEntries(
      keys.map((k) => {
        const { name: _n, ...given } = (f[k] ?? {}) as Record<string, unknown>;
        return [k, { ...TEMPERATURE_DEFAULTS, ...given }];
      }),
    );
  if (architecture === 'pir-itr')
    return { ...PIR_ITR_DEFAULTS, ...f, ...temperatures(['temperature', 'affiliationTemperature']) };
  if (architecture === 'vse')
    return { ...VSE_DEFAULTS, ...f, ...temperatures(['temperature', 'affiliationTemperature']) };
  const { name: _n, ...scale } = (f.logitScale ?? {}) as Record<string, unknown>;
  return {
    variant: 'paper',
    lambda: 1,
    noBelief: false,
    noInstruction: false,
    ...f,
    logitScale: { ...LOGIT_SCALE_DEFAULTS, ...scale },
  };
}

/**
 * The configuration with every encoder reference replaced by its full configuration and every model field
 * given (defaults filled in). An encoder the model does not use (PIR-CLIP's instruction encoder in plain
 * CLIP) is left out.
 */
export function resolveModelConfig(
  nameOrConfig: ModelName | ModelConfig | ResolvedModelConfig,
): ResolvedModelConfig {
  const c = modelConfig(nameOrConfig as unknown);
  const config = fullFields(c.architecture, c.config as Record<string, unknown>);
  const instruction = (c.encoders as ModelConfigBase['encoders']).instruction;
  return {
    ...c,
    config,
    encoders: {
      vision: resolveEncoder(c.encoders.vision),
      text: resolveEncoder(c.encoders.text),
      ...(instruction !== undefined && usesInstruction(c.architecture, config)
        ? { instruction: resolveEncoder(instruction) }
        : {}),
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
 * A short stable hash of what a model computes — the resolved architecture, encoders and model fields
 * (defaults filled in, so leaving a default out or writing it gives the same hash; the ablation switches and
 * loss fields count) — not the name, description or training recipe; e.g. for an index to refuse vectors made
 * by another model. Encoders given to `createModel` by code are not covered.
 * @example
 * ```ts
 * modelConfigHash('pir-itr') === modelConfigHash(modelConfig('pir-itr')); // true
 * ```
 */
export function modelConfigHash(nameOrConfig: ModelName | ModelConfig | ResolvedModelConfig): string {
  const { name: _n, description: _d, train: _t, ...what } = resolveModelConfig(nameOrConfig);
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
  /**
   * Fields of the model that differ from the configuration (e.g. `{ variant: 'released' }`, an ablation
   * switch); checked as the configuration's (`ModelInputError` naming `overrides.<key>`).
   */
  overrides?: Partial<PirItrFields & PirClipFields & VseFields>;
  /** BatchNorm folding of ResNet encoders (see `@pir/encoders`). */
  foldBatchNorm?: CreateEncoderOptions['foldBatchNorm'];
  /**
   * Encoders to use instead of building the configuration's (any object meeting `@pir/encoders`' contract):
   * the configuration may then leave those roles out. They stay the caller's (`model.dispose()` frees only
   * the encoders `createModel` built); a given instruction encoder is used as is (freeze it yourself).
   */
  encoders?: GivenEncoders;
}

/**
 * Build a model and its encoders from a built-in configuration or your own (weights initialised as the
 * papers do; load trained ones with `loadStateDict` on the model and on each encoder): a `PirItr`, a `PirClip`
 * or a `VseModel` by the configuration's architecture. The model owns the encoders it built:
 * `model.dispose()` frees them too. The instruction encoder is frozen.
 * @example
 * ```ts
 * const model = createModel('pir-itr-test', { seed: 1 });
 * model.k; // 4
 * model.dispose();
 * ```
 */
export function createModel<
  N extends ModelName | ModelConfig,
  X extends GivenEncoders = Record<never, never>,
>(nameOrConfig: N, options?: CreateModelOptions & { encoders?: X }): ModelOf<N, X>;
export function createModel(
  nameOrConfig: ModelName | ModelConfig,
  options: CreateModelOptions = {},
): AnyModel {
  const given: GivenEncoders = options.encoders ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw new ModelInputError(
      'createModel',
      'encoders',
      'must be an object { vision?, text?, instruction? }',
    );
  const givenRoles = (['vision', 'text', 'instruction'] as const).filter((r) => given[r] !== undefined);
  for (const key of Object.keys(given))
    if (!['vision', 'text', 'instruction'].includes(key))
      throw new ModelInputError(
        'createModel',
        `encoders.${key}`,
        `unknown encoder role '${key}'${hint(key, ['vision', 'text', 'instruction'])}; allowed: vision, text, instruction`,
      );
  const c =
    typeof nameOrConfig === 'string'
      ? modelConfig(nameOrConfig as unknown)
      : checkConfig(nameOrConfig, givenRoles);
  const overrides = options.overrides ?? {};
  checkValue('overrides', overrides, FIELDS[c.architecture], 'createModel');
  const fields: Record<string, unknown> = { ...(c.config as object), ...overrides };
  checkFieldRelations(c.architecture, fields, 'overrides.', 'createModel');
  if (c.architecture === 'vse' && given.instruction !== undefined)
    throw new ModelInputError(
      'createModel',
      'encoders.instruction',
      'the VSE baseline has no instruction encoder',
    );
  const uses = usesInstruction(c.architecture, fields);
  const rng = new Rng(options.seed ?? getGlobalRng().nextSeed());
  const made: { dispose(): void }[] = [];
  const built: EncoderRole[] = [];
  const build = (role: EncoderRole) => {
    const ref = (c.encoders as ModelConfigBase['encoders'])[role];
    if (ref === undefined)
      throw new ModelInputError(
        'createModel',
        `encoders.${role}`,
        `the configuration names no ${role} encoder and none was given in options.encoders`,
      );
    const { architecture, config } = resolveEncoder(ref);
    const encoderOptions: CreateEncoderOptions = {
      rng: rng.fork(role),
      ...(role === 'text' && options.tokenizer !== undefined ? { tokenizer: options.tokenizer } : {}),
      ...(options.foldBatchNorm !== undefined ? { foldBatchNorm: options.foldBatchNorm } : {}),
    };
    const encoder = createEncoder({ architecture, config }, encoderOptions);
    made.push(encoder);
    built.push(role);
    return encoder;
  };
  try {
    const vision = given.vision ?? (build('vision') as unknown as VisionEncoder);
    const text = given.text ?? (build('text') as unknown as TextEncoder);
    let instruction: InstructionEncoder | undefined = given.instruction;
    if (instruction === undefined && uses) {
      const net = build('instruction') as unknown as {
        params: { setTrainable(t: boolean): void };
        asInstructionEncoder?: () => InstructionView;
      };
      const arch = resolveEncoder(
        (c.encoders as ModelConfigBase['encoders']).instruction as EncoderRef,
      ).architecture;
      if (typeof net.asInstructionEncoder !== 'function')
        fail(
          'encoders.instruction',
          `a ${arch} cannot be an instruction encoder (use resnet or clip-resnet)`,
        );
      net.params.setTrainable(false); // frozen (PIR_SPEC §1), and ResNets fold their BatchNorm when frozen
      instruction = net.asInstructionEncoder(); // a view: loadStateDict(view, sd) loads the network
    }
    const common = { seed: rng.fork('model').nextSeed(), ownsEncoders: built };
    if (c.architecture === 'vse')
      return new VseModel({ vision, text }, { ...(fields as VseFields), ...common } as VseConfig);
    if (c.architecture === 'pir-clip') {
      if (typeof (vision as { embed?: unknown }).embed !== 'function')
        fail('encoders.vision', 'PIR-CLIP needs a CLIP ViT (clip-vit) as its vision encoder');
      return new PirClip({ vision: vision as ClipVisionTransformer, text, instruction }, {
        ...(fields as PirClipFields),
        ...common,
      } as PirClipConfig);
    }
    return new PirItr({ vision, text, instruction: instruction as InstructionEncoder }, {
      ...(fields as PirItrFields),
      ...common,
    } as PirItrConfig);
  } catch (e) {
    for (const m of made) m.dispose();
    throw e;
  }
}
