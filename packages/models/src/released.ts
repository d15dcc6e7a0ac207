/**
 * The authors' checkpoints: load a released PIR-ITR (jaychempan/PIR) or PIR-CLIP (jaychempan/PIR-CLIP)
 * checkpoint strictly into a {@link PirItr} / {@link PirClip} with its encoders, and embed captions the way the
 * released PIR-ITR evaluation does.
 *
 * The released files name things their own way (PIR_SPEC §1); the name maps `pirItrReleased` /
 * `pirClipReleased` of `@pir/encoders/weights` (`NAME_MAPS`, so `pir convert` can reuse them) rename them to
 * ours — `conv_encoder.0/1/4–7` → `instruction_encoder.conv1/bn1/layer1–4`, `conv_proj` → `instruction_proj`,
 * `temp2` → `temp_center`; `visual` / `res_visual` / `vision_proj_res` / the top-level text tower →
 * `vision_encoder` / `instruction_encoder` / `instruction_proj` / `text_encoder` — and the architecture is read
 * off the shapes (and, for PIR-ITR, the `config` record the released training script saves beside the
 * weights), so that one strict `loadStateDict` over the model and its three encoders reports every missing,
 * unexpected and mis-shaped key at once.
 *
 * What the released forward passes do that the defaults do not, and how the loaded models reproduce it:
 *
 * | released | here |
 * |---|---|
 * | PIR-ITR's BERT gets token ids only: the attention mask is all ones (padding attends), token types 0 | `BertEncoder` with `attentionMask: 'none'`, `PirItr` with `variant: 'released'` |
 * | PIR-ITR's evaluation embeds captions in chunks of 128, each padded to its longest caption, truncated at 47 tokens — a caption's embedding depends on its chunk | {@link embedCaptionsReleased} |
 * | PIR-ITR ranks only the first 50 vision tokens (Swin-T at 224 px gives exactly 50) | the same slice ({@link FirstTokens}) when the Swin gives more |
 * | PIR-ITR crashes on a batch of one image (a `squeeze`) | works |
 * | PIR-CLIP's towers use exact GELU (OpenCLIP with `quick_gelu` off) | `activation: 'gelu'` on the ViT and the text tower (our CLIP presets default to QuickGELU: 1e-3–2e-2 off) |
 * | PIR-CLIP's soft belief: the rank weight of the j-th ranked token's position, L2 across the token axis | `PirClip` with `variant: 'released'` |
 */
import {
  type BertConfig,
  BertEncoder,
  type ClipTextConfig,
  ClipTextTransformer,
  type ClipVisionConfig,
  ClipVisionTransformer,
  type EncoderOutput,
  type InstructionView,
  ModifiedResNet,
  type ModifiedResNetConfig,
  ResNet,
  type ResNetConfig,
  type SwinConfig,
  SwinTransformer,
  type Tokenizer,
  type VisionEncoder,
} from '@pir/encoders';
import { mapStateDict, readCheckpoint, readWeights, type StateDict } from '@pir/encoders/weights';
import { type HasParameters, loadStateDict, type NamedParameter, withPrefix } from '@pir/nn';
import { importOptional } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, PirClipModelConfig, PirItrModelConfig } from './catalogue.js';
import { ModelInputError } from './errors.js';
import { PirClip } from './pir_clip.js';
import { PirItr, type PirItrConfig } from './pir_itr.js';

/** A released checkpoint: its bytes, a path (Node), or a state dict already read (released names). */
export type ReleasedSource = Uint8Array | string | StateDict;

/** Options shared by the released loaders. */
export interface ReleasedLoadOptions {
  /** File name in errors (default: the path, or `'checkpoint'`). */
  name?: string;
  /** The text encoder's tokenizer (`loadBertTokenizer({ contextLength: 47 })` / `loadClipTokenizer()`). */
  tokenizer?: Tokenizer;
  /** Passed to the reader: the most bytes it may allocate (default 4× the file, at least 1 MiB). */
  maxBytes?: number;
  /** Seed of the (overwritten) initial weights and of dropout in training. */
  seed?: number;
}

/** Options of {@link loadReleasedPirItr}. */
export interface ReleasedPirItrOptions extends ReleasedLoadOptions {
  /**
   * The released training `config` (the YAML the checkpoint saves as `'config'`): read from the file when it
   * has one; give it for a file without (a safetensors conversion). Keys used: `filter_size` (k), `head` (PAE
   * heads), `instru_num`, `cycle_num`, `dropout_r`, `center_factor`, `use_affil_loss`, `image_res`,
   * `max_tokens`, `batch_size_test_text`, `is_baseline`.
   */
  config?: Readonly<Record<string, unknown>>;
  /** Tokens kept by the hard belief (default: the config's `filter_size`, else 40). */
  k?: number;
  /** Heads of the PAE (default: the config's `head`, else 8). */
  heads?: number;
  /** Heads of BERT (not in the checkpoint; default hidden size / 64: 12 for BERT-base). */
  textHeads?: number;
  /** Image side (default: the config's `image_res`, else what the Swin's `attn_mask` buffers imply, else 224). */
  imageSize?: number;
}

/** Options of {@link loadReleasedPirClip}. */
export interface ReleasedPirClipOptions extends ReleasedLoadOptions {
  /**
   * OpenCLIP's `head_width` (default 64): heads of the ViT = width / headWidth, of the ModifiedResNet's
   * attention pool = 32 · width / headWidth (OpenCLIP's own formulas; 12 and 32 at full size).
   */
  headWidth?: number;
  /** Heads of the text tower (default text width / headWidth: 8 for PIR-CLIP's 512). */
  textHeads?: number;
}

/** What the released PIR-ITR loader builds: the encoders' and the model's configurations it read off the file. */
export interface ReleasedPirItrConfig {
  swin: SwinConfig;
  bert: BertConfig;
  resnet: ResNetConfig;
  /** The model's fields (`variant: 'released'`). */
  model: Required<
    Pick<
      PirItrConfig,
      'dim' | 'k' | 'heads' | 'spatialLayers' | 'temporalLayers' | 'dropout' | 'lambda' | 'variant'
    >
  >;
  /** Tokens a caption is truncated to by the released evaluation (`max_tokens`, 47). */
  maxTokens: number;
  /** Captions per chunk of the released evaluation (`batch_size_test_text`, 128). */
  chunkSize: number;
  /** Vision tokens the released code ranks: the first 50. */
  rankTokens: number;
}

/** What the released PIR-CLIP loader builds. */
export interface ReleasedPirClipConfig {
  vit: ClipVisionConfig;
  text: ClipTextConfig;
  resnet: ModifiedResNetConfig;
}

/** A PIR-ITR loaded from a released checkpoint. */
export type ReleasedPirItr = PirItr<{
  vision: SwinTransformer | FirstTokens;
  text: BertEncoder;
  instruction: InstructionView;
}>;

/** A PIR-CLIP loaded from a released checkpoint. */
export type ReleasedPirClip = PirClip<{
  vision: ClipVisionTransformer;
  text: ClipTextTransformer;
  instruction: InstructionView;
}>;

/** The released PIR-ITR ranks `swin_feat[:, 0:50]`. */
const RELEASED_RANK_TOKENS = 50;

/** Released evaluation settings of the models loaded here (for {@link embedCaptionsReleased}'s defaults). */
const evaluationSettings = new WeakMap<object, { maxTokens: number; chunkSize: number }>();

/**
 * A vision encoder that passes on only the first `count` local tokens of another one (its `global` as is) —
 * the released PIR-ITR ranks `[pooled; local][:, :50]`, which is every token of Swin-T at 224 px but not of a
 * Swin that gives more. Its parameters, trainable variables and `dispose` are the inner encoder's.
 */
export class FirstTokens implements VisionEncoder, HasParameters {
  readonly dim: number;
  readonly localTokens: number;
  readonly ignoredKeys: readonly RegExp[];

  constructor(
    /** The encoder whose tokens are cut. */
    readonly inner: VisionEncoder & HasParameters & { dispose?(): void },
    /** Local tokens passed on. */
    readonly count: number,
  ) {
    if (!Number.isInteger(count) || count < 1)
      throw new ModelInputError('FirstTokens', 'count', `count must be a positive integer, got ${count}`);
    this.dim = inner.dim;
    this.localTokens = Math.min(inner.localTokens ?? count, count);
    this.ignoredKeys = inner.ignoredKeys ?? [];
  }

  /** `inner.encode`, its `local` [B, N, D] cut to [B, min(N, count), D]. */
  encode(images: tf.Tensor4D, training = false): EncoderOutput {
    const out = this.inner.encode(images, training);
    const [b, n, d] = out.local.shape;
    if (n <= this.count) return out;
    const local = tf.slice(out.local, [0, 0, 0], [b, this.count, d]) as tf.Tensor3D;
    const mask =
      out.mask === undefined ? undefined : (tf.slice(out.mask, [0, 0], [b, this.count]) as tf.Tensor2D);
    tf.dispose([out.local, ...(out.mask === undefined ? [] : [out.mask])]);
    return { global: out.global, local, ...(mask === undefined ? {} : { mask }) };
  }

  trainableVariables(): tf.Variable[] {
    return this.inner.trainableVariables();
  }

  namedParameters(): NamedParameter[] {
    return this.inner.namedParameters();
  }

  /** Frees the inner encoder. */
  dispose(): void {
    this.inner.dispose?.();
  }
}

// ---------------------------------------------------------------------------------------------------------
// reading

/** Python values as unpickled (dicts are `Map`s) → plain JSON-like values. */
function plain(x: unknown): unknown {
  if (x instanceof Map) return Object.fromEntries([...x].map(([k, v]) => [String(k), plain(v)]));
  if (Array.isArray(x)) return x.map(plain);
  return x;
}

/** The state dict and the released `config` record of a source. */
async function readSource(
  where: string,
  source: ReleasedSource,
  options: ReleasedLoadOptions & { config?: Readonly<Record<string, unknown>> },
): Promise<{ sd: StateDict; config: Readonly<Record<string, unknown>>; name: string }> {
  let bytes: Uint8Array;
  let name = options.name ?? 'checkpoint';
  if (source instanceof Map) return { sd: source, config: options.config ?? {}, name };
  if (typeof source === 'string') {
    name = options.name ?? source;
    const fs = await importOptional<typeof import('node:fs/promises')>('node:fs/promises');
    const buf = await fs.readFile(source);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } else if (source instanceof Uint8Array) bytes = source;
  else
    throw new ModelInputError(
      where,
      'source',
      'expected the checkpoint as bytes (Uint8Array), a path (Node) or a state dict (a Map, as readWeights returns)',
    );
  const read = { name, ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }) };
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const { stateDict, fields } = readCheckpoint(bytes, read);
    const saved = plain(fields.get('config'));
    const config = {
      ...(typeof saved === 'object' && saved !== null ? saved : {}),
      ...(options.config ?? {}),
    };
    return { sd: stateDict, config, name };
  }
  return { sd: readWeights(bytes, read), config: options.config ?? {}, name };
}

const shapeOf = (sd: StateDict, key: string): number[] | undefined => sd.get(key)?.shape;

/** How many `prefix{i}suffix` keys there are for i = 0, 1, … (stops at the first gap). */
function countIndexed(sd: StateDict, prefix: string, suffix: string): number {
  let n = 0;
  while (sd.has(`${prefix}${n}${suffix}`)) n++;
  return n;
}

function positiveInt(where: string, argument: string, value: unknown, source: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new ModelInputError(
      where,
      argument,
      `${argument} (${source}) must be a positive integer, got ${String(value)}`,
    );
  return value;
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

// ---------------------------------------------------------------------------------------------------------
// PIR-ITR

/**
 * A released PIR-ITR state dict renamed to `PirItr`'s names (the `pirItrReleased` map of `@pir/encoders/weights`:
 * `conv_encoder.*` → `instruction_encoder.*` with torchvision names, `conv_proj` → `instruction_proj`, `temp2`
 * → `temp_center`; recomputed buffers and `num_batches_tracked` dropped). Applying it twice changes nothing.
 * @example
 * ```ts
 * const sd = mapReleasedPirItr(readCheckpoint(bytes).stateDict);
 * sd.has('instruction_encoder.layer1.0.conv1.weight'); // was conv_encoder.4.0.conv1.weight
 * ```
 */
export function mapReleasedPirItr(sd: StateDict): StateDict {
  return mapStateDict(sd, 'pirItrReleased');
}

/**
 * The configurations {@link loadReleasedPirItr} builds for a released PIR-ITR state dict (released or mapped
 * names): the Swin, BERT and ResNet sizes read off the tensor shapes, the model's fields from the released
 * `config` (and the shapes). Fields the file does not show fall back to the published sizes (Swin-T,
 * BERT-base, ResNet-50, D = 512) — a strict load then names what is missing.
 */
export function releasedPirItrConfig(
  sd: StateDict,
  options: Omit<ReleasedPirItrOptions, 'tokenizer' | 'maxBytes' | 'seed' | 'name'> = {},
): ReleasedPirItrConfig {
  const where = 'releasedPirItrConfig';
  const cfg = options.config ?? {};
  if (cfg.is_baseline === true)
    throw new ModelInputError(
      where,
      'config',
      'this is a baseline checkpoint (is_baseline: true: Swin + BERT + projections, no instruction encoder nor PAE), not PIR-ITR',
    );
  // the attn_mask buffers (dropped by the map) tell the image size: [windows, w², w²] at stage 0
  const mask = shapeOf(sd, 'vision_encoder.layers.0.blocks.1.attn_mask');
  const m = mapReleasedPirItr(sd);
  const v = 'vision_encoder.';
  const proj = shapeOf(m, `${v}patch_embed.proj.weight`) ?? [96, 3, 4, 4];
  const embedDim = proj[0] as number;
  const patchSize = proj[2] as number;
  const stages = countIndexed(m, `${v}layers.`, '.blocks.0.norm1.weight') || 4;
  const depths: number[] = [];
  const numHeads: number[] = [];
  for (let i = 0; i < stages; i++) {
    depths.push(countIndexed(m, `${v}layers.${i}.blocks.`, '.norm1.weight') || ([2, 2, 6, 2][i] ?? 2));
    numHeads.push(
      shapeOf(m, `${v}layers.${i}.blocks.0.attn.relative_position_bias_table`)?.[1] ?? 3 * 2 ** i,
    );
  }
  const table = shapeOf(m, `${v}layers.0.blocks.0.attn.relative_position_bias_table`)?.[0];
  const windowSize = table === undefined ? 7 : (Math.round(Math.sqrt(table)) + 1) / 2;
  const fc1 = shapeOf(m, `${v}layers.0.blocks.0.mlp.fc1.weight`)?.[0];
  const fromMask =
    mask === undefined
      ? undefined
      : Math.round(Math.sqrt(mask[0] as number)) * Math.round(Math.sqrt(mask[1] as number)) * patchSize;
  const imageSize = positiveInt(
    where,
    'imageSize',
    options.imageSize ?? cfg.image_res ?? fromMask ?? 224,
    options.imageSize !== undefined
      ? 'option'
      : cfg.image_res !== undefined
        ? "config 'image_res'"
        : 'default',
  );
  if (fromMask !== undefined && fromMask !== imageSize)
    throw new ModelInputError(
      where,
      'imageSize',
      `the Swin's attn_mask buffers were made for ${fromMask}-px images, not ${imageSize}`,
    );
  const swin: SwinConfig = {
    imageSize,
    patchSize,
    windowSize,
    embedDim,
    depths,
    numHeads,
    mlpRatio: fc1 === undefined ? 4 : fc1 / embedDim,
    numClasses: shapeOf(m, `${v}head.weight`)?.[0] ?? 0,
    eps: 1e-5,
  };

  const t = 'text_encoder.';
  const words = shapeOf(m, `${t}embeddings.word_embeddings.weight`) ?? [30522, 768];
  const hidden = words[1] as number;
  const textHeads = options.textHeads ?? hidden / 64;
  if (!Number.isInteger(textHeads) || textHeads < 1)
    throw new ModelInputError(
      where,
      'textHeads',
      `BERT's heads are not in the checkpoint and its hidden size ${hidden} is not a multiple of 64: pass { textHeads }`,
    );
  const bert: BertConfig = {
    vocabSize: words[0] as number,
    hiddenSize: hidden,
    numLayers: countIndexed(m, `${t}encoder.layer.`, '.attention.self.query.weight') || 12,
    numHeads: textHeads,
    intermediateSize: shapeOf(m, `${t}encoder.layer.0.intermediate.dense.weight`)?.[0] ?? 4 * hidden,
    maxPositions: shapeOf(m, `${t}embeddings.position_embeddings.weight`)?.[0] ?? 512,
    typeVocabSize: shapeOf(m, `${t}embeddings.token_type_embeddings.weight`)?.[0] ?? 2,
    layerNormEps: 1e-12,
    pooler: m.has(`${t}pooler.dense.weight`),
    globalOutput: 'cls',
    attentionMask: 'none',
  };

  const r = 'instruction_encoder.';
  const layers = [1, 2, 3, 4].map(
    (s) => countIndexed(m, `${r}layer${s}.`, '.conv1.weight') || [3, 4, 6, 3][s - 1],
  ) as [number, number, number, number];
  const resnet: ResNetConfig = {
    block: m.has(`${r}layer1.0.conv3.weight`) || !m.has(`${r}layer1.0.conv1.weight`) ? 'bottleneck' : 'basic',
    layers,
    width: shapeOf(m, `${r}conv1.weight`)?.[0] ?? 64,
    numClasses: shapeOf(m, `${r}fc.weight`)?.[0] ?? 0,
    batchNorm: 'frozen',
  };

  const dim = shapeOf(m, 'vision_proj.weight')?.[0] ?? numberOr(cfg.embed_dim, 512);
  const model: ReleasedPirItrConfig['model'] = {
    dim,
    k: positiveInt(where, 'k', options.k ?? cfg.filter_size ?? 40, "option or config 'filter_size'"),
    heads: positiveInt(where, 'heads', options.heads ?? cfg.head ?? 8, "option or config 'head'"),
    spatialLayers: countIndexed(m, 'mapping_img.', '.weight') || numberOr(cfg.instru_num, 2),
    temporalLayers: countIndexed(m, 'mapping_txt.', '.weight') || numberOr(cfg.cycle_num, 3),
    dropout: numberOr(cfg.dropout_r, 0.2),
    lambda: cfg.use_affil_loss === false ? 0 : numberOr(cfg.center_factor, 1),
    variant: 'released',
  };
  return {
    swin,
    bert,
    resnet,
    model,
    maxTokens: positiveInt(where, 'maxTokens', cfg.max_tokens ?? 47, "config 'max_tokens'"),
    chunkSize: positiveInt(
      where,
      'chunkSize',
      cfg.batch_size_test_text ?? 128,
      "config 'batch_size_test_text'",
    ),
    rankTokens: RELEASED_RANK_TOKENS,
  };
}

/** A target whose parameter names carry a prefix. */
function prefixed(prefix: string, target: HasParameters): HasParameters {
  return { namedParameters: () => withPrefix(prefix, target.namedParameters()) };
}

/**
 * Loads a released PIR-ITR checkpoint (`torch.save({'model': state_dict, 'config': config})` of
 * jaychempan/PIR's training script) into a {@link PirItr} with its Swin, BERT and frozen ResNet, strictly:
 * every missing, unexpected or mis-shaped key is listed in one `StateDictError` (nothing is loaded then). The
 * model reproduces the released forward pass (`variant: 'released'`, BERT without attention mask, ranking of
 * the first 50 vision tokens); embed captions as the released evaluation does with
 * {@link embedCaptionsReleased}. The model owns its encoders: `model.dispose()` frees everything.
 *
 * @param source the file's bytes, its path (Node), or its state dict (released names)
 * @throws WeightsError (unreadable file), StateDictError (keys or shapes that do not fit), ModelInputError
 *   (an option or config value out of range, a baseline checkpoint)
 * @example
 * ```ts
 * const model = await loadReleasedPirItr('checkpoint_best.pth', { tokenizer: await loadBertTokenizer({ contextLength: 47 }) });
 * const v = model.embedImages(images); // [B, 512]
 * const t = embedCaptionsReleased(model, captions); // [N, 512], chunks of 128 as released
 * ```
 */
export async function loadReleasedPirItr(
  source: ReleasedSource,
  options: ReleasedPirItrOptions = {},
): Promise<ReleasedPirItr> {
  const where = 'loadReleasedPirItr';
  const { sd, config } = await readSource(where, source, options);
  const c = releasedPirItrConfig(sd, { ...options, config });
  const mapped = mapReleasedPirItr(sd);
  const made: { dispose(): void }[] = [];
  try {
    const swin = new SwinTransformer(c.swin);
    made.push(swin);
    const bert = new BertEncoder(
      c.bert,
      options.tokenizer === undefined ? {} : { tokenizer: options.tokenizer },
    );
    made.push(bert);
    const resnet = new ResNet(c.resnet);
    made.push(resnet);
    resnet.params.setTrainable(false); // frozen, as released (finetune_conv: False)
    const vision = 1 + swin.localTokens > c.rankTokens ? new FirstTokens(swin, c.rankTokens - 1) : swin;
    const model = new PirItr(
      { vision, text: bert, instruction: resnet.asInstructionEncoder() },
      { ...c.model, ownsEncoders: true, ...(options.seed === undefined ? {} : { seed: options.seed }) },
    );
    made.push(model);
    loadStateDict(
      [
        prefixed('vision_encoder.', swin),
        prefixed('text_encoder.', bert),
        prefixed('instruction_encoder.', resnet),
        model,
      ],
      mapped,
      { where },
    );
    evaluationSettings.set(model, { maxTokens: c.maxTokens, chunkSize: c.chunkSize });
    builtFrom.set(model, vision === swin ? releasedPirItrModelConfig(c) : null);
    return model;
  } catch (e) {
    // the model owns the encoders once built; dispose each once
    const model = made.find((m) => m instanceof PirItr);
    if (model) model.dispose();
    else for (const m of made) m.dispose();
    throw e;
  }
}

/** Options of {@link embedCaptionsReleased}. */
export interface ReleasedCaptionOptions {
  /** Captions per chunk (released: `batch_size_test_text`, 128; default: the loaded checkpoint's, else 128). */
  chunkSize?: number;
  /** Tokens per caption, [CLS] and [SEP] included (released: `max_tokens`, 47; default: the checkpoint's). */
  maxTokens?: number;
  /** The padding id ([PAD] = 0 for BERT). */
  padId?: number;
  /** Tokenizer for string captions (default: the model's text encoder's). */
  tokenizer?: Tokenizer;
}

/**
 * Caption embeddings as the released PIR-ITR evaluation computes them: the captions, in order, in chunks of
 * `chunkSize`; each chunk tokenized, truncated to `maxTokens` (the last token, [SEP], kept) and padded to its
 * longest caption with [PAD]; BERT and the Temporal-PAE attend to the padding (no mask). A caption's embedding
 * therefore depends on the other captions of its chunk — exactly as the released numbers do. For embeddings
 * that do not, use `model.embedTexts(ids, mask)` with the `'paper'` variant.
 *
 * @param captions strings (tokenized with the model's tokenizer) or token-id lists with their special tokens
 * @returns t [N, D], L2-normalised (the caller disposes it)
 * @example
 * ```ts
 * const t = embedCaptionsReleased(model, ['many planes are parked', 'a river'], { chunkSize: 128 });
 * ```
 */
export function embedCaptionsReleased(
  model: PirItr,
  captions: readonly (string | readonly number[])[],
  options: ReleasedCaptionOptions = {},
): tf.Tensor2D {
  const where = 'embedCaptionsReleased';
  const saved = evaluationSettings.get(model);
  const chunkSize = positiveInt(where, 'chunkSize', options.chunkSize ?? saved?.chunkSize ?? 128, 'option');
  const maxTokens = options.maxTokens ?? saved?.maxTokens ?? 47;
  if (!Number.isInteger(maxTokens) || maxTokens < 2)
    throw new ModelInputError(where, 'maxTokens', `maxTokens must be an integer ≥ 2, got ${maxTokens}`);
  const padId = options.padId ?? 0;
  if (!Array.isArray(captions) || captions.length === 0)
    throw new ModelInputError(
      where,
      'captions',
      'expected a non-empty array of captions (strings or token ids)',
    );
  const ids = captions.map((c, i) => {
    let t: readonly number[];
    if (typeof c === 'string') t = (options.tokenizer ?? model.encoders.text.tokenizer).encode(c);
    else if (Array.isArray(c) && c.length > 0 && c.every((x) => Number.isInteger(x) && x >= 0)) t = c;
    else
      throw new ModelInputError(
        where,
        `captions[${i}]`,
        'a caption is a string or a non-empty list of non-negative integer token ids',
      );
    return t.length <= maxTokens ? [...t] : [...t.slice(0, maxTokens - 1), t[t.length - 1] as number];
  });
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < ids.length; start += chunkSize) {
      const chunk = ids.slice(start, start + chunkSize);
      const len = Math.max(...chunk.map((t) => t.length));
      const flat = new Int32Array(chunk.length * len).fill(padId);
      for (let i = 0; i < chunk.length; i++) flat.set(chunk[i] as number[], i * len);
      parts.push(
        tf.tidy(() => {
          const x = tf.tensor2d(flat, [chunk.length, len], 'int32');
          return model.embedTexts(x, tf.ones([chunk.length, len]) as tf.Tensor2D); // every position attends
        }),
      );
    }
    return parts.length === 1 ? (parts[0] as tf.Tensor2D) : (tf.concat(parts, 0) as tf.Tensor2D);
  } finally {
    if (parts.length > 1) tf.dispose(parts);
  }
}

// ---------------------------------------------------------------------------------------------------------
// PIR-CLIP

/**
 * A released PIR-CLIP state dict renamed to `PirClip`'s names (the `pirClipReleased` map of
 * `@pir/encoders/weights`: `visual` → `vision_encoder`, the top-level text tower → `text_encoder`,
 * `res_visual` → `instruction_encoder`, `vision_proj_res` → `instruction_proj`; `module.` stripped).
 */
export function mapReleasedPirClip(sd: StateDict): StateDict {
  return mapStateDict(sd, 'pirClipReleased');
}

/**
 * The configurations {@link loadReleasedPirClip} builds for a released PIR-CLIP state dict (released or
 * mapped names), read off the shapes; heads from OpenCLIP's `head_width` (64). Both towers use exact GELU.
 */
export function releasedPirClipConfig(
  sd: StateDict,
  options: Pick<ReleasedPirClipOptions, 'headWidth' | 'textHeads'> = {},
): ReleasedPirClipConfig {
  const where = 'releasedPirClipConfig';
  const m = mapReleasedPirClip(sd);
  const headWidth = positiveInt(where, 'headWidth', options.headWidth ?? 64, 'option');
  const heads = (width: number, what: string, argument: string) => {
    const h = width / headWidth;
    if (!Number.isInteger(h) || h < 1)
      throw new ModelInputError(
        where,
        argument,
        `${what} width ${width} is not a multiple of headWidth ${headWidth}: pass { ${argument} }`,
      );
    return h;
  };
  const v = 'vision_encoder.';
  const conv = shapeOf(m, `${v}conv1.weight`) ?? [768, 3, 32, 32];
  const width = conv[0] as number;
  const patchSize = conv[2] as number;
  const pos = shapeOf(m, `${v}positional_embedding`)?.[0] ?? 50;
  const fc = shapeOf(m, `${v}transformer.resblocks.0.mlp.c_fc.weight`)?.[0];
  const vit: ClipVisionConfig = {
    imageSize: Math.round(Math.sqrt(pos - 1)) * patchSize,
    patchSize,
    width,
    layers: countIndexed(m, `${v}transformer.resblocks.`, '.ln_1.weight') || 12,
    heads: heads(width, 'the ViT', 'headWidth'),
    outputDim: shapeOf(m, `${v}proj`)?.[1] ?? 512,
    mlpRatio: fc === undefined ? 4 : fc / width,
    activation: 'gelu',
    globalOutput: 'projected',
  };
  const t = 'text_encoder.';
  const tok = shapeOf(m, `${t}token_embedding.weight`) ?? [49408, 512];
  const tw = tok[1] as number;
  const tfc = shapeOf(m, `${t}transformer.resblocks.0.mlp.c_fc.weight`)?.[0];
  const text: ClipTextConfig = {
    vocabSize: tok[0] as number,
    contextLength: shapeOf(m, `${t}positional_embedding`)?.[0] ?? 77,
    width: tw,
    layers: countIndexed(m, `${t}transformer.resblocks.`, '.ln_1.weight') || 12,
    heads: options.textHeads ?? heads(tw, 'the text tower', 'textHeads'),
    outputDim: shapeOf(m, `${t}text_projection`)?.[1] ?? 512,
    mlpRatio: tfc === undefined ? 4 : tfc / tw,
    activation: 'gelu',
    pooling: 'argmax',
  };
  const r = 'instruction_encoder.';
  const rw = shapeOf(m, `${r}conv3.weight`)?.[0] ?? 64;
  const rpos = shapeOf(m, `${r}attnpool.positional_embedding`)?.[0];
  const resnet: ModifiedResNetConfig = {
    layers: [1, 2, 3, 4].map(
      (s) => countIndexed(m, `${r}layer${s}.`, '.conv1.weight') || [3, 4, 6, 3][s - 1],
    ) as [number, number, number, number],
    width: rw,
    imageSize: rpos === undefined ? vit.imageSize : Math.round(Math.sqrt(rpos - 1)) * 32,
    heads: heads(32 * rw, 'the ModifiedResNet attention pool', 'headWidth'),
    outputDim: shapeOf(m, `${r}attnpool.c_proj.weight`)?.[0] ?? 512,
    batchNorm: 'frozen',
  };
  if (resnet.imageSize !== vit.imageSize)
    throw new ModelInputError(
      where,
      'stateDict',
      `the ModifiedResNet is built for ${resnet.imageSize}-px images but the ViT for ${vit.imageSize}`,
    );
  return { vit, text, resnet };
}

/**
 * Loads a released PIR-CLIP checkpoint (the OpenCLIP fork jaychempan/PIR-CLIP: `{'state_dict': …}` as its
 * training script saves it, `module.` prefixes and an optimizer state beside it are fine — the optimizer's
 * tensors are not even read) into a {@link PirClip} with its ViT, text tower and ModifiedResNet, strictly (one
 * `StateDictError` listing every problem). Both towers get exact GELU (`activation: 'gelu'`) and the model the
 * released soft belief (`variant: 'released'`), as the released code computes them.
 *
 * @param source the file's bytes, its path (Node), or its state dict (released names)
 * @example
 * ```ts
 * const model = await loadReleasedPirClip('epoch_10.pt', { tokenizer: await loadClipTokenizer() });
 * const v = model.embedImages(images); // [B, 512]
 * ```
 */
export async function loadReleasedPirClip(
  source: ReleasedSource,
  options: ReleasedPirClipOptions = {},
): Promise<ReleasedPirClip> {
  const where = 'loadReleasedPirClip';
  const { sd } = await readSource(where, source, options);
  const c = releasedPirClipConfig(sd, options);
  const mapped = mapReleasedPirClip(sd);
  const made: { dispose(): void }[] = [];
  try {
    const vit = new ClipVisionTransformer(c.vit);
    made.push(vit);
    const text = new ClipTextTransformer(
      c.text,
      options.tokenizer === undefined ? {} : { tokenizer: options.tokenizer },
    );
    made.push(text);
    const resnet = new ModifiedResNet(c.resnet);
    made.push(resnet);
    resnet.params.setTrainable(false);
    const model = new PirClip(
      { vision: vit, text, instruction: resnet.asInstructionEncoder() },
      {
        variant: 'released',
        ownsEncoders: true,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      },
    );
    made.push(model);
    loadStateDict(
      [
        prefixed('vision_encoder.', vit),
        prefixed('text_encoder.', text),
        prefixed('instruction_encoder.', resnet),
        model,
      ],
      mapped,
      { where },
    );
    builtFrom.set(model, releasedPirClipModelConfig(c));
    return model;
  } catch (e) {
    const model = made.find((m) => m instanceof PirClip);
    if (model) model.dispose();
    else for (const m of made) m.dispose();
    throw e;
  }
}

/** The model configuration each loaded released model was built from (`null`: not expressible as one). */
const builtFrom = new WeakMap<object, ModelConfig | null>();

/**
 * The model configuration (`@pir/models`' JSON form) of a released PIR-ITR checkpoint's model: the encoders
 * spelled out (`{ architecture, config }` with the sizes read off the file) and the model's fields
 * (`variant: 'released'`) — what `saveModel` needs to write it as a model directory.
 */
export function releasedPirItrModelConfig(
  c: ReleasedPirItrConfig,
  name = 'pir-itr-released',
): PirItrModelConfig {
  return {
    name,
    description: "PIR-ITR loaded from the authors' released checkpoint (released forward: no BERT mask)",
    architecture: 'pir-itr',
    encoders: {
      vision: { architecture: 'swin', config: { ...c.swin } as unknown as Record<string, unknown> },
      text: { architecture: 'bert', config: { ...c.bert } as unknown as Record<string, unknown> },
      instruction: { architecture: 'resnet', config: { ...c.resnet } as unknown as Record<string, unknown> },
    },
    config: { ...c.model },
  };
}

/** The model configuration of a released PIR-CLIP checkpoint's model (exact GELU, `variant: 'released'`). */
export function releasedPirClipModelConfig(
  c: ReleasedPirClipConfig,
  name = 'pir-clip-released',
): PirClipModelConfig {
  return {
    name,
    description: "PIR-CLIP loaded from the authors' released checkpoint (exact GELU, released soft belief)",
    architecture: 'pir-clip',
    encoders: {
      vision: { architecture: 'clip-vit', config: { ...c.vit } as unknown as Record<string, unknown> },
      text: { architecture: 'clip-text', config: { ...c.text } as unknown as Record<string, unknown> },
      instruction: {
        architecture: 'clip-resnet',
        config: { ...c.resnet } as unknown as Record<string, unknown>,
      },
    },
    config: { variant: 'released' },
  };
}

/**
 * The model configuration a model loaded by {@link loadReleasedPirItr} / {@link loadReleasedPirClip} was built
 * from, to save it as a model directory: `saveModel(model, dir, { config: releasedModelConfig(model) })`.
 * @throws ModelInputError for a model not loaded from a released checkpoint, or one whose vision encoder
 *   ranks only its first tokens (`FirstTokens`: a Swin giving more than the released 50), which a model
 *   configuration cannot express
 */
export function releasedModelConfig(model: object): ModelConfig {
  const c = builtFrom.get(model);
  if (c === undefined)
    throw new ModelInputError(
      'releasedModelConfig',
      'model',
      'was not loaded by loadReleasedPirItr / loadReleasedPirClip',
    );
  if (c === null)
    throw new ModelInputError(
      'releasedModelConfig',
      'model',
      "ranks only the first 50 of its Swin's tokens (FirstTokens, the released quirk for inputs larger than Swin-T's): a model configuration cannot express that; load it with loadReleasedPirItr instead of saving it",
    );
  return structuredClone(c);
}
