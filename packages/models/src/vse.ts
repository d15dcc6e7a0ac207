/**
 * The VSE baseline (PIR_SPEC §7, the released code's `is_baseline` path): PIR-ITR's encoders and projections
 * with none of PIR's parts — no instruction encoder, belief, PAE or heads.
 *
 * ```
 * images ─ vision encoder ─ global [B, Dv] (Swin-T: the pooled token 0) ─ vision_proj ─ L2 → v
 * ids, mask ─ text encoder ─ local [B, L, Dt] ─ token 0 ([CLS]) ─ text_proj ─ L2 → t
 * loss = multi-positive InfoNCE(v, t; τ1)   or   VSE++ triplet(v, t; margin 0.2, hardest negative)
 *        (+ λ · affiliation(v, t, scene labels; τ2) when λ > 0 — default λ = 0: no affiliation loss)
 * ```
 *
 * `v = normalize(vision_proj([global ; local])[:, 0])` and `t = normalize(text_proj(local)[:, 0])`, i.e. the
 * projected token 0 on both sides, as PIR-ITR's global features `g_v` and `g_t` are. State-dict names are
 * PIR-ITR's: `vision_proj.*`, `text_proj.*`, `temp` (τ1, contrastive only) and `temp_center` (τ2, λ > 0 only).
 */
import type { EncoderOutput, TextEncoder, VisionEncoder } from '@pir/encoders';
import {
  type Ids,
  type Labels,
  LearnableTemperature,
  type LearnableTemperatureConfig,
  l2Normalize,
  type PirLossParts,
} from '@pir/losses';
import { linear, linearSpecs, type NamedParameter, ParamStore } from '@pir/nn';
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
import type { EncodedImages } from './pir_itr.js';
import { temperatureParameter } from './scalars.js';

/** Configuration of {@link VseModel}. */
export interface VseConfig extends OwnershipOptions, MatchingLossFields {
  /** Width D of the joint space (512, as PIR-ITR). */
  dim?: number;
  /**
   * λ ≥ 0 of `L = L_c + λ·L_a` (default 0: the baseline has no affiliation loss; τ2 `temp_center` is created
   * only when λ > 0).
   */
  lambda?: number;
  /** τ1 of the contrastive loss (init 0.07, clamp [0.001, 0.5]); unused with `loss: 'triplet'`. */
  temperature?: LearnableTemperatureConfig;
  /** τ2 of the affiliation loss (λ > 0 only). */
  affiliationTemperature?: LearnableTemperatureConfig;
  /** Seed of the initial weights (default: drawn from the global `Rng`). */
  seed?: number;
}

/** The VSE baseline's configuration as published (`configs/vse-paper.json`): the defaults of {@link VseModel}. */
export const VSE_DEFAULTS = {
  dim: 512,
  loss: 'contrastive',
  margin: 0.2,
  maxViolation: true,
  lambda: 0,
} as const;

/** The encoders of the VSE baseline (no instruction encoder). */
export interface VseEncoders {
  vision: VisionEncoder;
  /** Token 0 of `encode(ids, mask).local` is used ([CLS] for BERT). */
  text: TextEncoder;
}

/** One training batch: B captions and, row for row, their images. */
export interface VseBatch {
  /** [B, H, W, 3] images (row i shows what caption i describes). */
  images: tf.Tensor4D;
  /** [B, L] int32 token ids. */
  ids: tf.Tensor2D;
  /** [B, L] 1 = token, 0 = padding. */
  mask: tf.Tensor2D;
  /** Image identity per row: rows of one image are positives (InfoNCE) and never negatives (triplet). */
  imageIds: Ids;
  /** Scene label per row: needed only when λ > 0 (a `PirItrBatch` works as is). */
  labels?: Labels;
}

/**
 * The VSE baseline: `v = L2(vision_proj(global))`, `t = L2(text_proj(local[:, 0]))`, trained with
 * multi-positive InfoNCE (τ1) or the VSE++ triplet loss. Same public shape as {@link PirItr} (`embedImages`,
 * `embedTexts`, `encodeImages` → `imageHead`, `textHead`, `loss`, `lossFromEmbeddings`, state dicts,
 * `applyConstraints`), so one trainer drives both.
 * @example
 * ```ts
 * const model = new VseModel({ vision, text }, { dim: 64, loss: 'triplet', seed: 1 });
 * const v = model.embedImages(images); // [B, 64]
 * const { loss } = model.loss({ images, ids, mask, imageIds });
 * ```
 */
export class VseModel<E extends VseEncoders = VseEncoders> extends PirModelBase {
  readonly dim: number;
  readonly lambda: number;
  /** `L_c`: `'contrastive'` (InfoNCE, τ1) or `'triplet'` (VSE++). */
  readonly lossKind: MatchingLossKind;
  /** Triplet margin α. */
  readonly margin: number;
  /** Triplet: hardest negative (`true`) or sum over negatives. */
  readonly maxViolation: boolean;
  /** `vision_proj`, `text_proj` (PyTorch names and layouts). */
  readonly projections: ParamStore;
  /** τ1 (`temp`); `null` with `loss: 'triplet'`. */
  readonly temperature: LearnableTemperature | null;
  /** τ2 (`temp_center`); `null` unless λ > 0. */
  readonly affiliationTemperature: LearnableTemperature | null;

  constructor(
    /** The encoders, as passed. */
    readonly encoders: E,
    config: VseConfig = {},
  ) {
    super('VseModel', encoders, { ownsEncoders: config.ownsEncoders ?? false });
    const c = { ...VSE_DEFAULTS, ...config };
    if (!Number.isInteger(c.dim) || c.dim < 1)
      throw new ModelInputError('VseModel', 'dim', `dim must be a positive integer, got ${c.dim}`);
    checkLossFields('VseModel', c);
    for (const role of ['vision', 'text'] as const) {
      const dim = (encoders?.[role] as { dim?: unknown } | undefined)?.dim;
      if (typeof dim !== 'number' || !(dim > 0))
        throw new ModelInputError(
          'VseModel',
          role,
          `the ${role} encoder must have a positive 'dim', got ${String(dim)}`,
        );
    }
    this.dim = c.dim;
    this.lambda = c.lambda;
    this.lossKind = c.loss;
    this.margin = c.margin;
    this.maxViolation = c.maxViolation;
    const rng = new Rng(c.seed ?? getGlobalRng().nextSeed());
    this.projections = new ParamStore(
      [
        ...linearSpecs('vision_proj', encoders.vision.dim, c.dim),
        ...linearSpecs('text_proj', encoders.text.dim, c.dim),
      ],
      rng.fork('projections'),
      'VseModel',
    );
    this.temperature = c.loss === 'contrastive' ? new LearnableTemperature(c.temperature ?? {}) : null;
    this.affiliationTemperature =
      c.lambda > 0 ? new LearnableTemperature(c.affiliationTemperature ?? {}) : null;
  }

  /**
   * What {@link imageHead} takes, from images: the vision encoder's output (no instruction encoder). The
   * caller disposes the tensors.
   * @param images [B, H, W, 3] (the encoder's preprocessing)
   */
  encodeImages(images: tf.Tensor4D, training = false): EncodedImages {
    this.check();
    this.checkBatch('VseModel.encodeImages', 'images', images, 4, '[B, H, W, 3]');
    return { vision: this.encoders.vision.encode(images, training) };
  }

  /**
   * The image side from the vision encoder's output: `v = L2(vision_proj(vision.global))` — `global` is token 0
   * of PIR-ITR's vision sequence (Swin-T: the pooled feature); `local` is not used.
   * @param vision `{global [B, Dv], …}`
   * @param _instruction ignored (the baseline has none): the same call as PIR-ITR's
   * @returns v [B, D], L2-normalised
   */
  imageHead(vision: EncoderOutput, _instruction?: tf.Tensor2D, _training = false): tf.Tensor2D {
    this.check();
    const global = (vision as Partial<EncoderOutput> | undefined)?.global;
    const dv = this.encoders.vision.dim;
    if (!(global instanceof tf.Tensor) || global.rank !== 2 || global.shape[1] !== dv)
      throw new ModelInputError(
        'VseModel.imageHead',
        'vision',
        `expected an encoder output with global [B, ${dv}] (as encodeImages returns), got ${global instanceof tf.Tensor ? `[${global.shape}]` : String(global)}`,
      );
    const p = this.projections;
    return tf.tidy(() =>
      l2Normalize(linear(global, p.get('vision_proj.weight'), p.get('vision_proj.bias')) as tf.Tensor2D),
    );
  }

  /**
   * The text side from the text encoder's output: `t = L2(text_proj(text.local[:, 0]))` (token 0, [CLS] for
   * BERT; `text.global` and the mask are not used).
   * @param text `{local [B, L, Dt], …}`
   * @returns t [B, D], L2-normalised
   */
  textHead(text: EncoderOutput, _training = false): tf.Tensor2D {
    this.check();
    const local = (text as Partial<EncoderOutput> | undefined)?.local;
    const dt = this.encoders.text.dim;
    if (!(local instanceof tf.Tensor) || local.rank !== 3 || local.shape[2] !== dt || local.shape[1] < 1)
      throw new ModelInputError(
        'VseModel.textHead',
        'text',
        `expected an encoder output with local [B, L ≥ 1, ${dt}], got ${local instanceof tf.Tensor ? `[${local.shape}]` : String(local)}`,
      );
    const p = this.projections;
    const b = local.shape[0];
    return tf.tidy(() => {
      const cls = tf.reshape(tf.slice(local, [0, 0, 0], [b, 1, dt]), [b, dt]) as tf.Tensor2D;
      return l2Normalize(linear(cls, p.get('text_proj.weight'), p.get('text_proj.bias')) as tf.Tensor2D);
    });
  }

  /** Image embeddings: `images` [B, H, W, 3] → v [B, D], L2-normalised. */
  embedImages(images: tf.Tensor4D, training = false): tf.Tensor2D {
    this.check();
    return tf.tidy(() => this.imageHead(this.encodeImages(images, training).vision, undefined, training));
  }

  /** Caption embeddings: `ids`, `mask` [B, L] → t [B, D], L2-normalised. */
  embedTexts(ids: tf.Tensor2D, mask: tf.Tensor2D, training = false): tf.Tensor2D {
    this.check();
    this.checkBatch('VseModel.embedTexts', 'ids', ids, 2, '[B, L] token ids');
    this.checkBatch('VseModel.embedTexts', 'mask', mask, 2, '[B, L]');
    return tf.tidy(() => this.textHead(this.encoders.text.encode(ids, mask, training), training));
  }

  /** The training loss on a batch. @returns `{loss, contrastive, affiliation}` (`affiliation` 0 when λ = 0). */
  loss(batch: VseBatch, training = true): PirLossParts {
    this.check();
    this.checkBatch('VseModel.loss', 'images', batch?.images, 4, '[B, H, W, 3]');
    this.checkRows('VseModel.loss', batch.images.shape[0], {
      ids: batch.ids,
      mask: batch.mask,
      imageIds: batch.imageIds,
      ...(batch.labels === undefined ? {} : { labels: batch.labels }),
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
   * The loss from embeddings already computed (`v`, `t` [B, D], row i of each from caption i): `L_c`
   * (InfoNCE at τ1, or VSE++ triplet) `+ λ·L_a` (λ > 0 only; `labels` needed then).
   * @returns `{loss, contrastive, affiliation}`, scalars the caller owns (`contrastive` = `L_c`)
   */
  lossFromEmbeddings(v: tf.Tensor2D, t: tf.Tensor2D, imageIds: Ids, labels?: Labels): PirLossParts {
    this.check();
    return matchingLoss(
      'VseModel.lossFromEmbeddings',
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

  /** Clamp τ1 (and τ2) into their ranges; `applyConstraints()` calls it. */
  protected constrain(): void {
    this.temperature?.project();
    this.affiliationTemperature?.project();
  }

  /** The model's own parameters: `vision_proj.*`, `text_proj.*`, `temp` (contrastive), `temp_center` (λ > 0). */
  namedParameters(): NamedParameter[] {
    return [
      ...this.projections.namedParameters(),
      ...(this.temperature === null ? [] : [temperatureParameter('temp', this.temperature)]),
      ...(this.affiliationTemperature === null
        ? []
        : [temperatureParameter('temp_center', this.affiliationTemperature)]),
    ];
  }

  protected disposeOwn(): void {
    this.projections.dispose();
    this.temperature?.dispose();
    this.affiliationTemperature?.dispose();
  }
}
