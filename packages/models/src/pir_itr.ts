/**
 * PIR-ITR (PIR_SPEC §1–4): the closed-domain PIR model, composed from the `@pir/*` layers.
 *
 * ```
 * images ─ vision encoder ─ [g ; local] [B, 1+N, Dv] ─ vision_proj ─ V [B, 1+N, D] ─┐
 *        └ instruction encoder (frozen) ─ [B, Di] ─ instruction_proj ─ u [B, D] ────┤ hard belief (top K)
 *                                                    Spatial-PAE(h₀ = kept tokens, u) ─ head_img(h[:, 0]) + V[:, 0] ─ L2 → v
 * ids, mask ─ text encoder ─ tokens [B, L, Dt] ─ text_proj ─ T ─ Temporal-PAE(T, mask) ─ head_txt(h[:, 0]) + T[:, 0] ─ L2 → t
 * loss = multi-positive InfoNCE(v, t; τ1) + λ · affiliation(v, t, scene labels; τ2)
 * ```
 *
 * Token 0 of the vision sequence is the encoder's pooled `global` feature (Swin-T: average pool), tokens
 * 1..N its `local` tokens, so with Swin-T the belief strategy keeps K = 40 of 50 tokens and the pooled token
 * competes like any other. Token 0 of the text sequence is the encoder's first token ([CLS] for BERT).
 *
 * Parameters of the model itself (projections, PAE, heads, temperatures) use the released PIR-ITR checkpoint's
 * module names (`vision_proj.weight`, `img_sa.0.mhatt.linear_q.weight`, `head_img.weight`, `temp`, …); the
 * encoders keep their own PyTorch names (`@pir/encoders`). `variant: 'released'` reproduces the released
 * code's missing text mask (padding takes part in the Temporal-PAE's attention).
 *
 * Ablations (PIR_SPEC §7's ablation study; configuration fields, all off by default) remove one part each and
 * leave the rest as published; a removed part's parameters are not created (nor expected in state dicts):
 *
 * | field | what the model computes instead | parameters it drops |
 * |---|---|---|
 * | `noBelief: true` | `h₀ = V` — all 1 + N projected tokens, in the encoder's order (token 0 = pooled), go to the Spatial-PAE; `k` is not used | — |
 * | `noSpatialPae: true` | the Spatial-PAE is the identity, `h = h₀`: `v = L2(V[:, 0] + head_img(h₀[:, 0]))` (h₀[:, 0] = the top-belief token, so `instruction_proj` gets no gradient: top-k has none; with `noBelief` too, the pooled token: `L2(g + head_img(g))`) | `img_sa.*`, `img_ca.*`, `mapping_img.*` (and `instruction_proj.*` with `noBelief`: the instruction is then unused and not encoded) |
 * | `noTemporalPae: true` | the Temporal-PAE is the identity: `t = L2(T[:, 0] + head_txt(T[:, 0]))` (`variant` then changes nothing) | `txt_sa.*`, `txt_ca.*`, `mapping_txt.*` |
 * | `lambda: 0` | `L = L_c` — no affiliation loss (`affiliation` is reported as 0, not computed) | `temp_center` (τ2) |
 * | `loss: 'triplet'` | `L_c` = the VSE++ triplet loss (margin 0.2, hardest negative; rows of one image are not negatives) instead of InfoNCE | `temp` (τ1) |
 */
import { hardBelief } from '@pir/belief';
import type { EncoderOutput, InstructionEncoder, TextEncoder, VisionEncoder } from '@pir/encoders';
import {
  type Ids,
  type Labels,
  LearnableTemperature,
  type LearnableTemperatureConfig,
  type PirLossParts,
} from '@pir/losses';
import { linear, linearSpecs, type NamedParameter, ParamStore } from '@pir/nn';
import { PaeHead, SpatialPAE, TemporalPAE } from '@pir/pae';
import { getGlobalRng, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './errors.js';
import {
  checkLossFields,
  type MatchingLossFields,
  type MatchingLossKind,
  matchingLoss,
} from './matching_loss.js';
import { type OwnershipOptions, PirModelBase } from './model_base.js';
import { temperatureParameter } from './scalars.js';

/** Configuration of {@link PirItr} (defaults: PIR_SPEC; the ablation switches: see the module doc). */
export interface PirItrConfig extends OwnershipOptions, MatchingLossFields {
  /** Width D of the joint space and of the PAE (512). */
  dim?: number;
  /** Tokens kept by the hard belief strategy (40). */
  k?: number;
  /** Attention heads of the PAE (8). */
  heads?: number;
  /** Spatial-PAE layers (2). */
  spatialLayers?: number;
  /** Temporal-PAE layers (3). */
  temporalLayers?: number;
  /** Dropout of the PAE in training (0.2). */
  dropout?: number;
  /** λ ≥ 0 of `L = L_c + λ·L_a` (1). `0` is the "no affiliation loss" ablation: τ2 (`temp_center`) is not created. */
  lambda?: number;
  /**
   * Ablation "no belief" (default false): no hard belief selection — all 1 + N projected vision tokens, in the
   * encoder's order, are the Spatial-PAE's input `h₀`; `k` is not used.
   */
  noBelief?: boolean;
  /**
   * Ablation "no Spatial-PAE" (default false): the Spatial-PAE is replaced by the identity, `h = h₀` (the
   * belief-kept tokens), so `v = L2(V[:, 0] + head_img(h₀[:, 0]))` with h₀[:, 0] the top-belief token. Its
   * weights (`img_sa`, `img_ca`, `mapping_img`) are not created. The instruction then only ranks tokens, and
   * the selection has no gradient: `instruction_proj` keeps its initial (or loaded) values. With `noBelief`
   * too, `instruction_proj` is not created (nothing uses the instruction: `encodeImages` does not run the
   * instruction encoder) and `v = L2(g + head_img(g))`.
   */
  noSpatialPae?: boolean;
  /**
   * Ablation "no Temporal-PAE" (default false): the Temporal-PAE is replaced by the identity, so
   * `t = L2(T[:, 0] + head_txt(T[:, 0]))`. Its weights (`txt_sa`, `txt_ca`, `mapping_txt`) are not created.
   */
  noTemporalPae?: boolean;
  /**
   * `'paper'` (default): the Temporal-PAE masks padding. `'released'`: no text mask in the PAE, as the
   * released code (a caption's embedding then depends on the padding of its batch).
   */
  variant?: 'paper' | 'released';
  /** τ1 of the contrastive loss (init 0.07, clamp [0.001, 0.5]); unused with `loss: 'triplet'`. */
  temperature?: LearnableTemperatureConfig;
  /** τ2 of the affiliation loss (init 0.07, clamp [0.001, 0.5]); unused with `lambda: 0`. */
  affiliationTemperature?: LearnableTemperatureConfig;
  /** Seed of the initial weights and dropout (default: drawn from the global `Rng`). */
  seed?: number;
}

/** The three encoders of PIR-ITR, by interface (any object with these methods works). */
export interface PirItrEncoders {
  vision: VisionEncoder;
  text: TextEncoder;
  /**
   * Frozen: the model never trains it (PIR_SPEC §1). Not run (and may be a placeholder) when the model does not
   * use the instruction (`noBelief` and `noSpatialPae`).
   */
  instruction: InstructionEncoder;
}

/**
 * What `encodeImages` returns (all models): the vision encoder's output and, for a model that uses one, the
 * instruction encoder's vector — what `imageHead` takes.
 */
export interface EncodedImages {
  /** `{global [B, Dv], local [B, N, Dv]}` (PIR-CLIP: the ViT stem's class and patch tokens). */
  vision: EncoderOutput;
  /** [B, Di]; absent when the model does not use an instruction encoder. */
  instruction?: tf.Tensor2D | undefined;
}

/** One training batch: B captions and, row for row, their images. */
export interface PirItrBatch {
  /** [B, H, W, 3] images (row i shows what caption i describes; an image may repeat). */
  images: tf.Tensor4D;
  /** [B, L] int32 token ids. */
  ids: tf.Tensor2D;
  /** [B, L] 1 = token, 0 = padding. */
  mask: tf.Tensor2D;
  /** Image identity per row: rows with the same id are positives of each other. */
  imageIds: Ids;
  /** Scene label per row (affiliation loss): numbers or names. */
  labels: Labels;
}

/** PIR-ITR's published configuration — the defaults of {@link PirItr} (and `configs/pir-itr.json`). */
export const PIR_ITR_DEFAULTS = {
  dim: 512,
  k: 40,
  heads: 8,
  spatialLayers: 2,
  temporalLayers: 3,
  dropout: 0.2,
  lambda: 1,
  variant: 'paper',
  noBelief: false,
  noSpatialPae: false,
  noTemporalPae: false,
  loss: 'contrastive',
  margin: 0.2,
  maxViolation: true,
} as const;

/**
 * PIR-ITR. Holds the projections, the PAE, the heads and the two temperatures; takes the encoders by
 * interface. `embedImages` / `embedTexts` give L2-normalised `[B, D]` embeddings; `loss` the training loss.
 * Ablated parts (see the module doc) are `null`.
 *
 * @example
 * ```ts
 * const model = new PirItr({ vision, text, instruction }, { dim: 64, k: 12, seed: 1 });
 * const v = model.embedImages(images);        // [B, 64]
 * const t = model.embedTexts(ids, mask);      // [B, 64]
 * const opt = tf.train.adam(1e-3);
 * opt.minimize(() => model.loss(batch).loss, false, model.trainableVariables());
 * model.applyConstraints(); // clamp τ1, τ2
 * ```
 */
export class PirItr<E extends PirItrEncoders = PirItrEncoders> extends PirModelBase {
  readonly dim: number;
  /** Tokens the hard belief keeps (not used with `noBelief`). */
  readonly k: number;
  readonly lambda: number;
  readonly variant: 'paper' | 'released';
  /** Ablation switches as built. */
  readonly noBelief: boolean;
  readonly noSpatialPae: boolean;
  readonly noTemporalPae: boolean;
  /** `L_c`: `'contrastive'` (InfoNCE, τ1) or `'triplet'` (VSE++). */
  readonly lossKind: MatchingLossKind;
  /** Triplet margin α. */
  readonly margin: number;
  /** Triplet: hardest negative (`true`) or sum over negatives. */
  readonly maxViolation: boolean;
  /** Whether the image side uses the instruction (false only with `noBelief` and `noSpatialPae`). */
  readonly usesInstruction: boolean;
  /**
   * Projections `vision_proj`, `text_proj` and (when the instruction is used) `instruction_proj` (PyTorch
   * names and layouts).
   */
  readonly projections: ParamStore;
  /** `null` with `noSpatialPae`. */
  readonly spatial: SpatialPAE | null;
  /** `null` with `noTemporalPae`. */
  readonly temporal: TemporalPAE | null;
  readonly headImg: PaeHead;
  readonly headTxt: PaeHead;
  /** τ1 (`temp` in state dicts); `null` with `loss: 'triplet'`. */
  readonly temperature: LearnableTemperature | null;
  /** τ2 (`temp_center` in state dicts); `null` with `lambda: 0`. */
  readonly affiliationTemperature: LearnableTemperature | null;

  constructor(
    /** The encoders, as passed (typed as given: `createModel` gives the concrete classes). */
    readonly encoders: E,
    config: PirItrConfig = {},
  ) {
    super('PirItr', encoders, { ownsEncoders: config.ownsEncoders ?? false });
    const c = { ...PIR_ITR_DEFAULTS, ...config };
    for (const key of ['dim', 'k', 'heads', 'spatialLayers', 'temporalLayers'] as const) {
      const v = c[key];
      if (!Number.isInteger(v) || v < 1)
        throw new ModelInputError('PirItr', key, `${key} must be a positive integer, got ${v}`);
    }
    if (c.dim % c.heads !== 0)
      throw new ModelInputError('PirItr', 'heads', `dim ${c.dim} must be divisible by heads ${c.heads}`);
    if (c.variant !== 'paper' && c.variant !== 'released')
      throw new ModelInputError(
        'PirItr',
        'variant',
        `variant must be 'paper' or 'released', got '${c.variant}'`,
      );
    for (const key of ['noBelief', 'noSpatialPae', 'noTemporalPae'] as const)
      if (typeof c[key] !== 'boolean')
        throw new ModelInputError('PirItr', key, `${key} must be true or false, got ${String(c[key])}`);
    checkLossFields('PirItr', c);
    this.noBelief = c.noBelief;
    this.noSpatialPae = c.noSpatialPae;
    this.noTemporalPae = c.noTemporalPae;
    this.usesInstruction = !(c.noBelief && c.noSpatialPae);
    const roles = this.usesInstruction
      ? (['vision', 'text', 'instruction'] as const)
      : (['vision', 'text'] as const);
    for (const role of roles) {
      const dim = (encoders[role] as { dim?: unknown } | undefined)?.dim;
      if (typeof dim !== 'number' || !(dim > 0))
        throw new ModelInputError(
          'PirItr',
          role,
          `the ${role} encoder must have a positive 'dim', got ${String(dim)}`,
        );
    }
    const n = encoders.vision.localTokens;
    if (!c.noBelief && n !== undefined && c.k > n + 1)
      throw new ModelInputError(
        'PirItr',
        'k',
        `the belief strategy keeps k = ${c.k} tokens but the vision encoder gives only 1 + ${n}`,
      );
    this.dim = c.dim;
    this.k = c.k;
    this.lambda = c.lambda;
    this.variant = c.variant;
    this.lossKind = c.loss;
    this.margin = c.margin;
    this.maxViolation = c.maxViolation;
    const seed = c.seed ?? getGlobalRng().nextSeed();
    const rng = new Rng(seed);
    // the published model's draw order, whatever is ablated: a part's weights do not depend on the others'
    this.projections = new ParamStore(
      [
        ...linearSpecs('vision_proj', encoders.vision.dim, c.dim),
        ...linearSpecs('text_proj', encoders.text.dim, c.dim),
        ...(this.usesInstruction ? linearSpecs('instruction_proj', encoders.instruction.dim, c.dim) : []),
      ],
      rng.fork('projections'),
      'PirItr',
    );
    const pae = { dim: c.dim, heads: c.heads, dropout: c.dropout };
    const spatialSeed = rng.fork('spatial').nextSeed();
    const temporalSeed = rng.fork('temporal').nextSeed();
    this.spatial = c.noSpatialPae
      ? null
      : new SpatialPAE({ ...pae, layers: c.spatialLayers, seed: spatialSeed });
    this.temporal = c.noTemporalPae
      ? null
      : new TemporalPAE({ ...pae, layers: c.temporalLayers, seed: temporalSeed });
    this.headImg = new PaeHead({ dim: c.dim, stateName: 'head_img', seed: rng.fork('head_img').nextSeed() });
    this.headTxt = new PaeHead({ dim: c.dim, stateName: 'head_txt', seed: rng.fork('head_txt').nextSeed() });
    this.temperature = c.loss === 'contrastive' ? new LearnableTemperature(c.temperature ?? {}) : null;
    this.affiliationTemperature =
      c.lambda > 0 ? new LearnableTemperature(c.affiliationTemperature ?? {}) : null;
    this.build();
  }

  /** Create the PAE and head weights now (tfjs layers build on first call otherwise). */
  private build(): void {
    const d = this.dim;
    this.spatial?.build([
      [null, this.noBelief ? null : this.k, d],
      [null, d],
    ]);
    this.temporal?.build([null, null, d]);
    this.headImg.build([
      [null, d],
      [null, null, d],
    ]);
    this.headTxt.build([
      [null, d],
      [null, null, d],
    ]);
  }

  /**
   * The image side from encoder outputs: `vision` = `{global [B, Dv], local [B, N, Dv]}`, `instruction`
   * [B, Di] (not needed when {@link usesInstruction} is false). @returns v [B, D], L2-normalised. `N + 1 ≥ k`
   * is required (with the belief strategy).
   */
  imageHead(vision: EncoderOutput, instruction?: tf.Tensor2D, training = false): tf.Tensor2D {
    this.check();
    const { global, local } = (vision ?? {}) as Partial<EncoderOutput>;
    if (!(global instanceof tf.Tensor) || !(local instanceof tf.Tensor))
      throw new ModelInputError(
        'PirItr.imageHead',
        'vision',
        'expected an encoder output { global, local } of tensors (as encodeImages returns)',
      );
    const b = global.shape[0];
    const dv = this.encoders.vision.dim;
    if (
      global.rank !== 2 ||
      local.rank !== 3 ||
      global.shape[1] !== dv ||
      local.shape[2] !== dv ||
      local.shape[0] !== b
    )
      throw new ModelInputError(
        'PirItr.imageHead',
        'vision',
        `expected global [B, ${dv}] and local [B, N, ${dv}], got [${global.shape}] and [${local.shape}]`,
      );
    if (!this.noBelief && local.shape[1] + 1 < this.k)
      throw new ModelInputError(
        'PirItr.imageHead',
        'vision',
        `the belief strategy keeps k = ${this.k} tokens but the vision encoder gives only 1 + ${local.shape[1]}`,
      );
    if (this.usesInstruction) {
      const di = this.encoders.instruction.dim;
      if (
        !(instruction instanceof tf.Tensor) ||
        instruction.rank !== 2 ||
        instruction.shape[0] !== b ||
        instruction.shape[1] !== di
      )
        throw new ModelInputError(
          'PirItr.imageHead',
          'instruction',
          `expected instruction [${b}, ${di}], got ${instruction instanceof tf.Tensor ? `[${instruction.shape}]` : String(instruction)}`,
        );
    }
    return tf.tidy(() => {
      const p = this.projections;
      const tokens = tf.concat([tf.expandDims(global, 1), local], 1); // [B, 1+N, Dv]
      const v = linear(tokens, p.get('vision_proj.weight'), p.get('vision_proj.bias')) as tf.Tensor3D;
      const g = tf.reshape(tf.slice(v, [0, 0, 0], [b, 1, this.dim]), [b, this.dim]);
      if (!this.usesInstruction) return this.headImg.apply([g, v]) as tf.Tensor2D; // h = h₀ = V
      const u = linear(
        instruction as tf.Tensor2D,
        p.get('instruction_proj.weight'),
        p.get('instruction_proj.bias'),
      ) as tf.Tensor2D;
      const h0 = this.noBelief ? v : hardBelief(v, u, { k: this.k }).tokens;
      const h = this.spatial === null ? h0 : (this.spatial.apply([h0, u], { training }) as tf.Tensor3D);
      return this.headImg.apply([g, h]) as tf.Tensor2D;
    });
  }

  /**
   * The text side from encoder outputs: `text` = `{local [B, L, Dt], mask? [B, L]}`. @returns t [B, D].
   * The global feature is `text_proj(local)[:, 0]` (token 0, [CLS] for BERT), as PIR_SPEC §3: `text.global`
   * is not used (so a BERT built with a pooler output gives the same result).
   */
  textHead(text: EncoderOutput, training = false): tf.Tensor2D {
    this.check();
    const { local, mask } = text;
    const dt = this.encoders.text.dim;
    if (local.rank !== 3 || local.shape[2] !== dt)
      throw new ModelInputError(
        'PirItr.textHead',
        'text',
        `expected local [B, L, ${dt}], got [${local.shape}]`,
      );
    const b = local.shape[0];
    return tf.tidy(() => {
      const p = this.projections;
      const t = linear(local, p.get('text_proj.weight'), p.get('text_proj.bias')) as tf.Tensor3D;
      const useMask = this.variant === 'paper' && mask !== undefined;
      const h =
        this.temporal === null
          ? t
          : (this.temporal.apply(useMask ? [t, mask] : [t], { training }) as tf.Tensor3D);
      const g = tf.reshape(tf.slice(t, [0, 0, 0], [b, 1, this.dim]), [b, this.dim]);
      return this.headTxt.apply([g, h]) as tf.Tensor2D;
    });
  }

  /**
   * What {@link imageHead} takes, from images: the vision encoder's output and the (frozen) instruction
   * encoder's vector (not computed when {@link usesInstruction} is false). The caller disposes the tensors.
   * @param images [B, H, W, 3] (the encoders' preprocessing)
   * @returns `vision` `{global [B, Dv], local [B, N, Dv]}`, `instruction` [B, Di]
   */
  encodeImages(images: tf.Tensor4D, training = false): EncodedImages {
    this.check();
    this.checkBatch('PirItr.encodeImages', 'images', images, 4, '[B, H, W, 3]');
    const vision = this.encoders.vision.encode(images, training);
    if (!this.usesInstruction) return { vision };
    // frozen: its variables are never in trainableVariables()
    const instruction = this.encoders.instruction.encode(images);
    return { vision, instruction };
  }

  /**
   * What the belief strategy makes of each image (evaluation mode): the belief score of each of the 1 + N
   * projected vision tokens (softmax over tokens of ⟨token, instruction⟩; token 0 is the pooled one, tokens
   * 1…N the encoder's `local` grid, row-major) and which K of them the hard belief keeps — the picture of what
   * the instruction prior trusted. Not defined for `noBelief` models.
   * @param images [B, H, W, 3] as for {@link embedImages}
   * @returns `scores` [B, 1 + N] (rows sum to 1) and `kept` [B, 1 + N] (1 = kept, K ones per row); the caller
   *   disposes both
   * @example
   * ```ts
   * const { scores, kept } = model.beliefMap(images); // Swin-T: [B, 50] each, 40 ones per row of kept
   * ```
   */
  beliefMap(images: tf.Tensor4D): { scores: tf.Tensor2D; kept: tf.Tensor2D } {
    this.check();
    if (this.noBelief)
      throw new ModelInputError('PirItr.beliefMap', 'model', 'this model has no belief strategy (noBelief)');
    const [scores, kept] = tf.tidy(() => {
      const { vision, instruction } = this.encodeImages(images, false);
      const b = vision.global.shape[0];
      const p = this.projections;
      const tokens = tf.concat([tf.expandDims(vision.global, 1), vision.local], 1); // [B, 1+N, Dv]
      const v = linear(tokens, p.get('vision_proj.weight'), p.get('vision_proj.bias')) as tf.Tensor3D;
      const u = linear(
        instruction as tf.Tensor2D,
        p.get('instruction_proj.weight'),
        p.get('instruction_proj.bias'),
      ) as tf.Tensor2D;
      const r = hardBelief(v, u, { k: this.k });
      const n = v.shape[1];
      const kept = tf.minimum(
        tf.sum(tf.reshape(tf.oneHot(tf.reshape(r.indices, [-1]), n), [b, this.k, n]), 1),
        1,
      );
      return [r.scores, kept];
    });
    return { scores: scores as tf.Tensor2D, kept: kept as tf.Tensor2D };
  }

  /** Image embeddings: `images` [B, H, W, 3] (the encoders' preprocessing) → v [B, D], L2-normalised. */
  embedImages(images: tf.Tensor4D, training = false): tf.Tensor2D {
    this.check();
    return tf.tidy(() => {
      const { vision, instruction } = this.encodeImages(images, training);
      return this.imageHead(vision, instruction, training);
    });
  }

  /** Caption embeddings: `ids`, `mask` [B, L] → t [B, D], L2-normalised. */
  embedTexts(ids: tf.Tensor2D, mask: tf.Tensor2D, training = false): tf.Tensor2D {
    this.check();
    this.checkBatch('PirItr.embedTexts', 'ids', ids, 2, '[B, L] token ids');
    this.checkBatch('PirItr.embedTexts', 'mask', mask, 2, '[B, L]');
    return tf.tidy(() => this.textHead(this.encoders.text.encode(ids, mask, training), training));
  }

  /** `L_c + λ·L_a` on a batch (dropout on when `training`). @returns `{loss, contrastive, affiliation}`. */
  loss(batch: PirItrBatch, training = true): PirLossParts {
    this.check();
    this.checkBatch('PirItr.loss', 'images', batch?.images, 4, '[B, H, W, 3]');
    this.checkRows('PirItr.loss', batch.images.shape[0], {
      ids: batch.ids,
      mask: batch.mask,
      imageIds: batch.imageIds,
      labels: batch.labels,
    });
    const v = this.embedImages(batch.images, training);
    const t = this.embedTexts(batch.ids, batch.mask, training);
    try {
      return this.lossFromEmbeddings(v, t, batch.imageIds, batch.labels);
    } finally {
      tf.dispose([v, t]);
    }
  }

  /**
   * `L_c + λ·L_a` from embeddings already computed (`v`, `t` [B, D], row i of each from caption i), with this
   * model's loss (`'contrastive'`: InfoNCE at τ1; `'triplet'`: VSE++), τ2 and λ (λ = 0: `affiliation` is 0,
   * not computed). @returns `{loss, contrastive, affiliation}`, scalars the caller owns (`contrastive` holds
   * `L_c` whichever loss it is).
   */
  lossFromEmbeddings(v: tf.Tensor2D, t: tf.Tensor2D, imageIds: Ids, labels: Labels): PirLossParts {
    this.check();
    return matchingLoss(
      'PirItr.lossFromEmbeddings',
      {
        kind: this.lossKind,
        margin: this.margin,
        maxViolation: this.maxViolation,
        temperature: this.temperature,
        affiliationTemperature: this.affiliationTemperature,
        lambda: this.lambda,
      },
      v,
      t,
      imageIds,
      labels,
    );
  }

  /** Clamp τ1 and τ2 into their ranges (the released `temp.clamp_`); `applyConstraints()` calls it. */
  protected constrain(): void {
    this.temperature?.project();
    this.affiliationTemperature?.project();
  }

  /**
   * The model's own parameters by released state-dict name: projections, PAE, heads, `temp` (τ1) and
   * `temp_center` (τ2) — those of the parts the model has (an ablated part has none).
   */
  namedParameters(): NamedParameter[] {
    return [
      ...this.projections.namedParameters(),
      ...this.layers().flatMap((l) => l.namedParameters()),
      ...(this.temperature === null ? [] : [temperatureParameter('temp', this.temperature)]),
      ...(this.affiliationTemperature === null
        ? []
        : [temperatureParameter('temp_center', this.affiliationTemperature)]),
    ];
  }

  private layers(): (SpatialPAE | TemporalPAE | PaeHead)[] {
    return [this.spatial, this.temporal, this.headImg, this.headTxt].filter(
      (l): l is SpatialPAE | TemporalPAE | PaeHead => l !== null,
    );
  }

  protected disposeOwn(): void {
    this.projections.dispose();
    for (const layer of this.layers()) layer.dispose();
    this.temperature?.dispose();
    this.affiliationTemperature?.dispose();
  }
}
