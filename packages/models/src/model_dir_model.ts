/**
 * {@link RetrievalModel}: a PIR model with what it takes to use it on its own — the resolved configuration it
 * was built from (and its hash), the tokenizer of its captions — and the calls an application makes: embed
 * images and captions in batches, retrieve the top k both ways. `loadModel` returns one; `saveModel` writes
 * one (or a bare model with its configuration).
 */
import type { TextEncoder, Tokenizer } from '@pir/encoders';
import { MissingTokenizer } from '@pir/encoders/models';
import type { HasParameters } from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import {
  type ModelConfig,
  type ModelName,
  modelConfigHash,
  type PirClipFields,
  type PirItrFields,
  type ResolvedModelConfig,
  resolveModelConfig,
} from './catalogue.js';
import { ModelInputError } from './errors.js';
import type { ModelManifest } from './model_dir_format.js';
import { PirClip } from './pir_clip.js';
import { PIR_ITR_DEFAULTS, PirItr } from './pir_itr.js';
import { type EmbeddingMatrix, type RetrievalMatches, type RetrieveOptions, retrieve } from './retrieve.js';

/** The PIR models `createModel` builds. */
export type AnyPirModel = PirItr | PirClip;

/**
 * What {@link RetrievalModel} wraps and `saveModel` saves: a model of `createModel` (`PirItr`, `PirClip`, or
 * any other with this shape) — named parameters, encoders with named parameters, embeddings.
 */
export interface EmbeddingModel extends HasParameters {
  /** The encoders (the instruction encoder may be absent). */
  readonly encoders: {
    readonly vision: object;
    readonly text: TextEncoder;
    readonly instruction?: object | undefined;
  };
  /** [B, H, W, 3] → [B, D], L2-normalised. */
  embedImages(images: tf.Tensor4D, training?: boolean): tf.Tensor2D;
  /** ids, mask [B, L] → [B, D], L2-normalised. */
  embedTexts(ids: tf.Tensor2D, mask: tf.Tensor2D, training?: boolean): tf.Tensor2D;
  /** Free the model (and the encoders it owns). */
  dispose(): void;
}

/** Options of {@link RetrievalModel} (and of `saveModel` for a bare model). */
export interface RetrievalModelOptions {
  /**
   * The configuration the model was built from: a catalogue name, a configuration, or a resolved one (what
   * `createModel` took).
   */
  config: ModelName | ModelConfig | ResolvedModelConfig;
  /** The `overrides` given to `createModel`, if any (they become part of the saved configuration). */
  overrides?: Partial<PirItrFields & PirClipFields>;
  /**
   * The tokenizer of captions. Default: the text encoder's (`model.encoders.text.tokenizer`); `null`: none
   * (embedTexts then takes no strings; a text encoder built without a tokenizer has none either).
   */
  tokenizer?: Tokenizer | null;
  /** The manifest the model was loaded with (set by `loadModel`). */
  manifest?: ModelManifest;
}

/** Options of {@link RetrievalModel.embedImages} / {@link RetrievalModel.embedTexts}. */
export interface EmbedOptions {
  /** Rows per forward pass (images: 32, captions: 256). */
  batchSize?: number;
}

/** The text encoder's vocabulary size and longest sequence, from a resolved configuration. */
export function textLimits(config: ResolvedModelConfig): { vocabSize: number; contextLength: number } {
  const c = config.encoders.text.config;
  const vocabSize = typeof c.vocabSize === 'number' ? c.vocabSize : Number.POSITIVE_INFINITY;
  const context = typeof c.maxPositions === 'number' ? c.maxPositions : c.contextLength;
  return { vocabSize, contextLength: typeof context === 'number' ? context : Number.POSITIVE_INFINITY };
}

/** Whether a tokenizer is a real one (not the placeholder of an encoder built without one). */
function usable(t: Tokenizer | undefined): t is Tokenizer {
  return t !== undefined && !(t instanceof MissingTokenizer);
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A PIR model with its configuration and tokenizer: embed images and captions in batches, retrieve the top k
 * both ways, save it (`saveModel`) and load it back (`loadModel`) anywhere. `dispose()` frees the model and
 * its encoders.
 * @example
 * ```ts
 * const tokenizer = buildWordVocab(['a park', 'a river'], { contextLength: 8 });
 * const model = createModel('pir-itr-test', { seed: 1, tokenizer });
 * const rm = new RetrievalModel(model, { config: 'pir-itr-test' });
 * const t = rm.embedTexts(['a park', 'a river', 'a lake']); // [3, 16]
 * t.dispose();
 * rm.dispose(); // frees the model too
 * ```
 */
export class RetrievalModel<M extends EmbeddingModel = EmbeddingModel> {
  /** The model (a `PirItr`, a `PirClip`, …); its encoders are `model.encoders`. */
  readonly model: M;
  /** The configuration with every encoder spelled out, the overrides applied. */
  readonly config: ResolvedModelConfig;
  /**
   * `modelConfigHash(config)` as this version of `@pir/models` computes it: stamp embeddings with it (an index
   * refuses vectors of another model). A loaded model's manifest keeps the hash recorded when it was saved.
   */
  readonly configHash: string;
  /** The tokenizer of captions (`undefined`: none). */
  readonly tokenizer: Tokenizer | undefined;
  /** The manifest the model was loaded with (`undefined` for one made here). */
  readonly manifest: ModelManifest | undefined;
  private disposed = false;

  /**
   * @param model what `createModel(options.config, { overrides })` built (trained or not)
   * @param options the configuration it was built from, the overrides, the tokenizer
   * @throws ModelInputError when the configuration does not describe the model (architecture, `dim`, `k`,
   *   `variant`, `lambda`, an encoder's fields) or the tokenizer does not fit the text encoder
   */
  constructor(model: M, options: RetrievalModelOptions) {
    const where = 'RetrievalModel';
    const m = model as unknown as Partial<EmbeddingModel> | null;
    if (
      typeof m !== 'object' ||
      m === null ||
      typeof m.embedImages !== 'function' ||
      typeof m.embedTexts !== 'function' ||
      typeof m.namedParameters !== 'function' ||
      typeof m.encoders?.text?.encode !== 'function'
    )
      throw new ModelInputError(
        where,
        'model',
        'must be a model that createModel builds (a PirItr, a PirClip, …)',
      );
    if (options === undefined || options.config === undefined)
      throw new ModelInputError(
        where,
        'config',
        "the model's configuration is needed (the name or configuration given to createModel)",
      );
    const resolved = resolveModelConfig(options.config as ModelConfig);
    const config = {
      ...resolved,
      config: { ...resolved.config, ...(options.overrides ?? {}) },
    } as ResolvedModelConfig;
    const known = model instanceof PirItr ? 'pir-itr' : model instanceof PirClip ? 'pir-clip' : undefined;
    if (
      (known !== undefined || ['pir-itr', 'pir-clip'].includes(config.architecture)) &&
      config.architecture !== known
    )
      throw new ModelInputError(
        where,
        'config.architecture',
        `the configuration is '${config.architecture}' but the model is ${known === undefined ? 'neither a PirItr nor a PirClip' : `a ${known === 'pir-itr' ? 'PirItr' : 'PirClip'}`}`,
      );
    // the model's fields it exposes (dim, k, variant, lambda, …) against the configuration; a field the
    // configuration leaves out is the class default (known for the PIR models)
    const fields = config.config as Record<string, unknown>;
    const defaults: Record<string, unknown> =
      known === 'pir-itr'
        ? { ...PIR_ITR_DEFAULTS }
        : known === 'pir-clip'
          ? { lambda: 1, variant: 'paper' }
          : {};
    const exposed = model as unknown as Record<string, unknown>;
    for (const key of new Set([...Object.keys(fields), ...Object.keys(defaults)])) {
      const value = exposed[key];
      const want = fields[key] ?? defaults[key];
      const primitive = (x: unknown) => ['number', 'string', 'boolean'].includes(typeof x);
      if (!primitive(value) || !primitive(want)) continue;
      if (!same(want, value))
        throw new ModelInputError(
          where,
          `config.config.${key}`,
          `the configuration says ${JSON.stringify(want)} but the model has ${JSON.stringify(value)} (pass the overrides given to createModel)`,
        );
    }
    for (const role of ['vision', 'text', 'instruction'] as const) {
      // an encoder may be absent (PIR-CLIP as plain CLIP has no instruction encoder)
      const built = (model.encoders[role] as { config?: Record<string, unknown> } | undefined)?.config;
      if (typeof built !== 'object' || built === null) continue;
      const given = (config.encoders as Record<string, { config: Record<string, unknown> } | undefined>)[
        role
      ];
      for (const [key, value] of Object.entries(given?.config ?? {})) {
        if (value !== undefined && !same(built[key], value))
          throw new ModelInputError(
            where,
            `config.encoders.${role}.${key}`,
            `the configuration says ${JSON.stringify(value)} but the ${role} encoder has ${JSON.stringify(built[key])}`,
          );
      }
    }
    const tokenizer =
      options.tokenizer === null ? undefined : (options.tokenizer ?? model.encoders.text.tokenizer);
    const limits = textLimits(config);
    if (usable(tokenizer)) {
      if (tokenizer.vocabSize > limits.vocabSize)
        throw new ModelInputError(
          where,
          'tokenizer',
          `the tokenizer's vocabulary (${tokenizer.vocabSize}) is larger than the text encoder's (${limits.vocabSize})`,
        );
      if (tokenizer.contextLength > limits.contextLength)
        throw new ModelInputError(
          where,
          'tokenizer',
          `the tokenizer's contextLength ${tokenizer.contextLength} exceeds the text encoder's ${limits.contextLength}`,
        );
    }
    this.model = model;
    this.config = config;
    this.configHash = modelConfigHash(config as unknown as ModelConfig);
    this.tokenizer = usable(tokenizer) ? tokenizer : undefined;
    this.manifest = options.manifest;
  }

  /** Width D of the embeddings (PIR-ITR: `dim`; PIR-CLIP: the CLIP output width). */
  get embeddingDim(): number {
    const dim = (this.model as { dim?: unknown }).dim;
    return typeof dim === 'number' ? dim : this.model.encoders.text.dim;
  }

  private check(fn: string): void {
    if (this.disposed)
      throw new ModelInputError(`RetrievalModel.${fn}`, 'model', 'the model has been disposed');
  }

  private batchSize(fn: string, options: EmbedOptions, dflt: number): number {
    const b = options.batchSize ?? dflt;
    if (!Number.isInteger(b) || b < 1)
      throw new ModelInputError(`RetrievalModel.${fn}`, 'batchSize', `must be a positive integer, got ${b}`);
    return b;
  }

  /**
   * Image embeddings, `batchSize` images per forward pass (evaluation mode).
   * @param images [N, H, W, 3] float32, as the encoders expect them (CLIP mean/std)
   * @returns [N, D] L2-normalised; the caller disposes it
   */
  embedImages(images: tf.Tensor4D, options: EmbedOptions = {}): tf.Tensor2D {
    const fn = 'embedImages';
    this.check(fn);
    if (!(images instanceof tf.Tensor) || images.rank !== 4)
      throw new ModelInputError(
        `RetrievalModel.${fn}`,
        'images',
        `must be a [N, H, W, 3] tensor, got ${images instanceof tf.Tensor ? `shape [${images.shape}]` : typeof images}`,
      );
    const bs = this.batchSize(fn, options, 32);
    const n = images.shape[0];
    if (n <= bs) return this.model.embedImages(images, false);
    const parts: tf.Tensor2D[] = [];
    try {
      for (let i = 0; i < n; i += bs) {
        const b = Math.min(bs, n - i);
        parts.push(
          tf.tidy(() =>
            this.model.embedImages(tf.slice(images, [i, 0, 0, 0], [b, -1, -1, -1]) as tf.Tensor4D, false),
          ),
        );
      }
      return tf.concat(parts, 0);
    } finally {
      tf.dispose(parts);
    }
  }

  /**
   * Caption embeddings: tokenised with the model's tokenizer, `batchSize` captions per forward pass.
   * @param captions N strings
   * @returns [N, D] L2-normalised; the caller disposes it
   * @throws ModelInputError when the model has no tokenizer (embed token ids with `model.embedTexts(ids, mask)`)
   */
  embedTexts(captions: readonly string[], options: EmbedOptions = {}): tf.Tensor2D {
    const fn = 'embedTexts';
    this.check(fn);
    if (!Array.isArray(captions) || captions.some((c) => typeof c !== 'string'))
      throw new ModelInputError(`RetrievalModel.${fn}`, 'captions', 'must be an array of strings');
    const tokenizer = this.tokenizer;
    if (tokenizer === undefined)
      throw new ModelInputError(
        `RetrievalModel.${fn}`,
        'captions',
        'this model has no tokenizer (it was built or saved without one): embed token ids with model.embedTexts(ids, mask)',
      );
    const bs = this.batchSize(fn, options, 256);
    if (captions.length === 0) return tf.zeros([0, this.embeddingDim]) as tf.Tensor2D;
    const parts: tf.Tensor2D[] = [];
    try {
      for (let i = 0; i < captions.length; i += bs) {
        const { ids, mask } = tokenizer.batch(captions.slice(i, i + bs));
        try {
          parts.push(this.model.embedTexts(ids, mask, false));
        } finally {
          tf.dispose([ids, mask]);
        }
      }
      return parts.length === 1 ? (parts.pop() as tf.Tensor2D) : tf.concat(parts, 0);
    } finally {
      tf.dispose(parts);
    }
  }

  /**
   * Top-k retrieval both ways (see `retrieve`): images or their embeddings against captions or theirs.
   * @param images [N, H, W, 3] images (embedded here) or [N, D] embeddings
   * @param texts captions (embedded here) or [M, D] embeddings
   * @param options `k`, `direction`, chunk sizes, and `batchSize` for what is embedded here
   */
  async retrieve(
    images: tf.Tensor4D | EmbeddingMatrix,
    texts: readonly string[] | EmbeddingMatrix,
    options: RetrieveOptions & EmbedOptions = {},
  ): Promise<RetrievalMatches> {
    this.check('retrieve');
    const { batchSize, ...search } = options;
    const embed = batchSize === undefined ? {} : { batchSize };
    let v: EmbeddingMatrix | undefined;
    let t: EmbeddingMatrix | undefined;
    const ownV = images instanceof tf.Tensor && images.rank === 4;
    const ownT = Array.isArray(texts);
    try {
      v = ownV ? this.embedImages(images as tf.Tensor4D, embed) : (images as EmbeddingMatrix);
      t = ownT ? this.embedTexts(texts as readonly string[], embed) : (texts as EmbeddingMatrix);
      return await retrieve(v, t, search);
    } finally {
      if (ownV && v instanceof tf.Tensor) v.dispose();
      if (ownT && t instanceof tf.Tensor) t.dispose();
    }
  }

  /** Free the model and its encoders (the wrapped model is disposed: do not use it afterwards). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}
