/**
 * PIR-CLIP (PIR_SPEC §1, §2, §4): the open-domain PIR model — a CLIP model fine-tuned with PIR.
 *
 * ```
 * images ─ ViT stem: x = ln_pre([class; patches] + pos) [B, 1+N, W] ─┐
 *        └ instruction encoder (frozen) [B, Di] ─ instruction_proj ─ y [B, W] ─┤ soft belief over all 1+N tokens
 *                                  [y ; x'] (instruction slot first, no positional embedding) ─ ViT blocks
 *                                  ─ ln_post(token 0) · proj ─ L2 → v
 * ids, mask ─ CLIP text tower ─ global (end-of-text token, projected) ─ L2 → t
 * loss = CLIP loss(v, t; logit scale) + λ · affiliation(v, t, scene labels; same logit scale)
 * ```
 *
 * PIR-CLIP has no Temporal-PAE: its text side is the plain CLIP text tower, and its "Spatial-PAE" is the ViT
 * itself with the instruction token prepended; the pooled output is token 0, the instruction slot.
 *
 * Decision (not fixed by PIR_SPEC): the soft belief re-weights every token of the ViT stem's output — the
 * class token and the N patches, after `ln_pre` — i.e. exactly the sequence the ViT would otherwise run on.
 * State-dict names of the model's own weights: `instruction_proj.{weight,bias}` (PyTorch layout) and
 * `logit_scale` (the log of the scale, as CLIP's parameter); the towers keep their OpenAI CLIP names.
 *
 * Switches (configuration fields, off by default) remove PIR's parts, down to plain CLIP — the stage-1 model
 * of PIR-CLIP (CLIP contrastive fine-tuning; configs `pir-clip-stage1-*`):
 *
 * | field | what the model computes instead | parameters it drops |
 * |---|---|---|
 * | `noBelief: true` | no soft belief: the stem's tokens go to the ViT unweighted | — |
 * | `noInstruction: true` | no instruction token: the ViT runs on its own `[class; patches]` and pools token 0, the class token | — (and `instruction_proj.*` with `noBelief`: nothing uses the instruction, which is then not encoded) |
 * | `lambda: 0` | `L` = the CLIP loss alone (`affiliation` reported as 0, not computed) | — (the logit scale is CLIP's) |
 *
 * With all three the image side is CLIP's image tower, `L2(ln_post(ViT(stem)[:, 0]) · proj)`, and the loss
 * CLIP's: plain CLIP.
 */
import { prependInstruction, type SoftBeliefVariant, softBelief } from '@pir/belief';
import type { ClipVisionTransformer, EncoderOutput, InstructionEncoder, TextEncoder } from '@pir/encoders';
import {
  clipLoss,
  type Labels,
  LogitScale,
  type LogitScaleConfig,
  l2Normalize,
  type PirLossParts,
  pirClipLoss,
} from '@pir/losses';
import { linear, linearSpecs, type NamedParameter, ParamStore } from '@pir/nn';
import { getGlobalRng, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './errors.js';
import { type OwnershipOptions, PirModelBase } from './model_base.js';
import type { EncodedImages } from './pir_itr.js';
import { temperatureParameter } from './scalars.js';

/** Configuration of {@link PirClip}. */
export interface PirClipConfig extends OwnershipOptions {
  /** Soft-belief formula (`'paper'` default, `'released'`: PIR_SPEC §2). */
  variant?: SoftBeliefVariant;
  /** λ ≥ 0 of `L = L_c + λ·L_a` (1); `0`: no affiliation loss. */
  lambda?: number;
  /** Switch "no belief" (default false): the stem's tokens are not re-weighted by the soft belief. */
  noBelief?: boolean;
  /**
   * Switch "no instruction token" (default false): the instruction token is not prepended; the ViT pools its
   * class token. With `noBelief` too, the instruction is unused: no `instruction_proj`, and the instruction
   * encoder may be omitted.
   */
  noInstruction?: boolean;
  /**
   * Train the instruction encoder too (default false: frozen, as PIR-ITR's and the paper's description). The
   * released PIR-CLIP training does: its ModifiedResNet is not frozen and its BatchNorm runs in training mode.
   * `true` adds the instruction encoder's weights (not its BatchNorm statistics) to `trainableVariables()`, and
   * in training the encoder normalises with the batch's statistics (`encode(images, true)`; its running
   * statistics are updated once per step and micro-batch). With gradient caching each micro-batch has its own
   * statistics, as in PyTorch's gradient caching: the step then equals the whole batch's only up to them.
   * Needs an instruction encoder whose `namedParameters()` lists its weights (the `@pir/encoders` ResNets).
   */
  trainInstruction?: boolean;
  /** CLIP logit scale (init 1/0.07, capped at 100), shared by both loss parts. */
  logitScale?: LogitScaleConfig;
  /** Seed of the initial weights (default: drawn from the global `Rng`). */
  seed?: number;
}

/** The encoders of PIR-CLIP. The vision tower must be a CLIP ViT (its stem, blocks and pooling are used apart). */
export interface PirClipEncoders {
  vision: ClipVisionTransformer;
  /** Only `encode(ids, mask).global` is used (CLIP: the projected end-of-text feature). */
  text: TextEncoder;
  /**
   * Frozen (CLIP RN50's attention-pool output in the paper). Required unless the model does not use it
   * (`noBelief` and `noInstruction`: plain CLIP).
   */
  instruction?: InstructionEncoder | undefined;
}

/** One training batch: B captions and, row for row, their images. */
export interface PirClipBatch {
  images: tf.Tensor4D;
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  /** Scene label per row (affiliation loss). */
  labels: Labels;
}

/**
 * PIR-CLIP: a CLIP ViT with PIR's soft belief and instruction token, the CLIP text tower, and
 * `CLIP loss + λ·affiliation`.
 * @example
 * ```ts
 * const model = new PirClip({ vision: vit, text: clipText, instruction: rn50.asInstructionEncoder() });
 * const v = model.embedImages(images); // [B, 512]
 * const { loss } = model.loss({ images, ids, mask, labels });
 * ```
 */
export class PirClip<E extends PirClipEncoders = PirClipEncoders> extends PirModelBase {
  readonly variant: SoftBeliefVariant;
  readonly lambda: number;
  /** Switches as built. */
  readonly noBelief: boolean;
  readonly noInstruction: boolean;
  /** Whether the image side uses the instruction (false only with `noBelief` and `noInstruction`). */
  readonly usesInstruction: boolean;
  /** Whether training updates the instruction encoder ({@link PirClipConfig.trainInstruction}). */
  readonly trainInstruction: boolean;
  /** Width W of the ViT (the instruction token's width). */
  readonly width: number;
  /** `instruction_proj` (Linear Di → W; empty when the instruction is unused). */
  readonly projections: ParamStore;
  /** CLIP's logit scale (`logit_scale`). */
  readonly logitScale: LogitScale;

  constructor(
    /** The encoders, as passed (typed as given: `createModel` gives the concrete classes). */
    readonly encoders: E,
    config: PirClipConfig = {},
  ) {
    super('PirClip', encoders, { ownsEncoders: config.ownsEncoders ?? false });
    const vision = encoders.vision as Partial<ClipVisionTransformer> | undefined;
    if (
      vision === undefined ||
      typeof vision.embed !== 'function' ||
      typeof vision.transform !== 'function' ||
      typeof vision.pool !== 'function' ||
      vision.config === undefined
    )
      throw new ModelInputError(
        'PirClip',
        'vision',
        'the vision encoder must be a ClipVisionTransformer (embed / transform / pool are used separately)',
      );
    this.noBelief = config.noBelief ?? false;
    this.noInstruction = config.noInstruction ?? false;
    for (const key of ['noBelief', 'noInstruction'] as const)
      if (typeof this[key] !== 'boolean')
        throw new ModelInputError('PirClip', key, `${key} must be true or false, got ${String(this[key])}`);
    this.usesInstruction = !(this.noBelief && this.noInstruction);
    this.trainInstruction = config.trainInstruction ?? false;
    if (typeof this.trainInstruction !== 'boolean')
      throw new ModelInputError(
        'PirClip',
        'trainInstruction',
        `trainInstruction must be true or false, got ${String(this.trainInstruction)}`,
      );
    if (
      this.trainInstruction &&
      (!this.usesInstruction ||
        typeof (encoders.instruction as { namedParameters?: unknown } | undefined)?.namedParameters !==
          'function')
    )
      throw new ModelInputError(
        'PirClip',
        'trainInstruction',
        this.usesInstruction
          ? 'trainInstruction needs an instruction encoder with namedParameters() (a ResNet of @pir/encoders)'
          : 'trainInstruction has nothing to train: this model does not use the instruction (noBelief and noInstruction)',
      );
    if (this.trainInstruction)
      // the encoder's weights train (createModel and the released loader build it frozen); buffers do not
      for (const p of (
        encoders.instruction as unknown as { namedParameters(): NamedParameter[] }
      ).namedParameters())
        p.variable.trainable = p.spec.trainable !== false;
    const roles = this.usesInstruction ? (['text', 'instruction'] as const) : (['text'] as const);
    for (const role of roles) {
      const dim = (encoders[role] as { dim?: unknown } | undefined)?.dim;
      if (typeof dim !== 'number' || !(dim > 0))
        throw new ModelInputError(
          'PirClip',
          role,
          `the ${role} encoder must have a positive 'dim', got ${String(dim)}`,
        );
    }
    this.variant = config.variant ?? 'paper';
    if (this.variant !== 'paper' && this.variant !== 'released')
      throw new ModelInputError(
        'PirClip',
        'variant',
        `variant must be 'paper' or 'released', got '${this.variant}'`,
      );
    this.lambda = config.lambda ?? 1;
    if (!(typeof this.lambda === 'number' && Number.isFinite(this.lambda) && this.lambda >= 0))
      throw new ModelInputError(
        'PirClip',
        'lambda',
        `lambda must be a finite number ≥ 0, got ${String(this.lambda)}`,
      );
    this.width = encoders.vision.config.width;
    const rng = new Rng(config.seed ?? getGlobalRng().nextSeed());
    this.projections = new ParamStore(
      this.usesInstruction
        ? linearSpecs('instruction_proj', (encoders.instruction as InstructionEncoder).dim, this.width)
        : [],
      rng.fork('projections'),
      'PirClip',
    );
    this.logitScale = new LogitScale(config.logitScale ?? {});
  }

  /**
   * What {@link imageHead} takes, from images: the ViT stem's output split as an encoder output (`global` =
   * the class token, `local` = the patch tokens, after `ln_pre`) and the frozen instruction encoder's vector
   * (not computed when {@link usesInstruction} is false). The caller disposes the tensors.
   * @param images [B, S, S, 3] (CLIP-normalised)
   * @returns `vision` `{global [B, W], local [B, N, W]}`, `instruction` [B, Di]
   */
  encodeImages(images: tf.Tensor4D, _training = false): EncodedImages {
    this.check();
    this.checkBatch('PirClip.encodeImages', 'images', images, 4, '[B, H, W, 3]');
    const vision = tf.tidy(() => {
      const stem = this.encoders.vision.embed(images); // [B, 1+N, W]
      const [b, l, w] = stem.shape;
      return {
        global: tf.reshape(tf.slice(stem, [0, 0, 0], [b, 1, w]), [b, w]) as tf.Tensor2D, // class token
        local: tf.slice(stem, [0, 1, 0], [b, l - 1, w]) as tf.Tensor3D, // patches [B, N, W]
      };
    });
    if (!this.usesInstruction) return { vision };
    // frozen unless trainInstruction (then, in training, BatchNorm on the batch's statistics)
    const instruction = this.encoders.instruction as InstructionEncoder & {
      encode(images: tf.Tensor4D, training?: boolean): tf.Tensor2D;
    };
    return { vision, instruction: instruction.encode(images, this.trainInstruction && _training) };
  }

  /**
   * The image side from encoder outputs (as {@link encodeImages} returns them): soft belief over the ViT stem's
   * tokens `[global; local]`, the instruction token prepended, the ViT blocks, pooling.
   * @param vision `{global [B, W], local [B, N, W]}` the ViT stem's class and patch tokens
   * @param instruction [B, Di] the instruction encoder's output (not needed when {@link usesInstruction} is false)
   * @returns v [B, outputDim], L2-normalised
   */
  imageHead(vision: EncoderOutput, instruction?: tf.Tensor2D, _training = false): tf.Tensor2D {
    this.check();
    const { global, local } = (vision ?? {}) as Partial<EncoderOutput>;
    if (!(global instanceof tf.Tensor) || !(local instanceof tf.Tensor))
      throw new ModelInputError(
        'PirClip.imageHead',
        'vision',
        "expected the ViT stem's output as { global, local } tensors (as encodeImages returns)",
      );
    const w = this.width;
    if (
      global.rank !== 2 ||
      local.rank !== 3 ||
      global.shape[1] !== w ||
      local.shape[2] !== w ||
      local.shape[0] !== global.shape[0]
    )
      throw new ModelInputError(
        'PirClip.imageHead',
        'vision',
        `expected the ViT stem's global [B, ${w}] and local [B, N, ${w}], got [${global.shape}] and [${local.shape}]`,
      );
    const b = global.shape[0];
    if (this.usesInstruction) {
      const di = (this.encoders.instruction as InstructionEncoder).dim;
      if (
        !(instruction instanceof tf.Tensor) ||
        instruction.rank !== 2 ||
        instruction.shape[0] !== b ||
        instruction.shape[1] !== di
      )
        throw new ModelInputError(
          'PirClip.imageHead',
          'instruction',
          `expected [${b}, ${di}], got ${instruction instanceof tf.Tensor ? `[${instruction.shape}]` : String(instruction)}`,
        );
    }
    const vit = this.encoders.vision;
    return tf.tidy(() => {
      const x = tf.concat([tf.expandDims(global, 1), local], 1) as tf.Tensor3D; // [B, 1+N, W]
      if (!this.usesInstruction) return l2Normalize(vit.pool(vit.transform(x)).pooled); // plain CLIP
      const y = linear(
        instruction as tf.Tensor2D,
        this.projections.get('instruction_proj.weight'),
        this.projections.get('instruction_proj.bias'),
      ) as tf.Tensor2D; // [B, W]
      const tokens = this.noBelief ? x : softBelief(x, y, { variant: this.variant }).tokens;
      const seq = this.noInstruction ? tokens : prependInstruction(tokens, y).tokens; // [B, 2+N, W]
      const { pooled } = vit.pool(vit.transform(seq));
      return l2Normalize(pooled);
    });
  }

  /**
   * What training updates: {@link PirModelBase.trainableVariables}, and with `trainInstruction` the instruction
   * encoder's weights (its parameters that are not buffers: not the BatchNorm running statistics).
   */
  override trainableVariables(): tf.Variable[] {
    const base = super.trainableVariables();
    if (!this.trainInstruction) return base;
    const seen = new Set(base);
    const instruction = (
      this.encoders.instruction as unknown as { namedParameters(): NamedParameter[] }
    ).namedParameters();
    return [
      ...base,
      ...instruction
        .filter((p) => p.spec.trainable !== false && !seen.has(p.variable))
        .map((p) => p.variable),
    ];
  }

  /** The text side: `t = L2norm(text.global)`. */
  textHead(text: EncoderOutput, _training = false): tf.Tensor2D {
    this.check();
    return l2Normalize(text.global);
  }

  /** Image embeddings [B, outputDim] (the frozen instruction encoder runs on the same images). */
  embedImages(images: tf.Tensor4D, training = false): tf.Tensor2D {
    this.check();
    return tf.tidy(() => {
      const { vision, instruction } = this.encodeImages(images, training);
      return this.imageHead(vision, instruction, training);
    });
  }

  /** Caption embeddings [B, D]. */
  embedTexts(ids: tf.Tensor2D, mask: tf.Tensor2D, training = false): tf.Tensor2D {
    this.check();
    this.checkBatch('PirClip.embedTexts', 'ids', ids, 2, '[B, L] token ids');
    this.checkBatch('PirClip.embedTexts', 'mask', mask, 2, '[B, L]');
    return tf.tidy(() => this.textHead(this.encoders.text.encode(ids, mask, training)));
  }

  /**
   * `CLIP loss + λ·affiliation` from embeddings (row i of `v` and `t` from caption i); with λ = 0 the
   * affiliation loss is not computed (`affiliation` is 0).
   */
  lossFromEmbeddings(v: tf.Tensor2D, t: tf.Tensor2D, labels: Labels): PirLossParts {
    this.check();
    if (this.lambda > 0) return pirClipLoss(v, t, { labels, logScale: this.logitScale, lambda: this.lambda });
    const lc = clipLoss(v, t, { logScale: this.logitScale });
    return { loss: tf.clone(lc), contrastive: lc, affiliation: tf.scalar(0) };
  }

  /** The training loss on a batch. */
  loss(batch: PirClipBatch, training = true): PirLossParts {
    this.check();
    this.checkBatch('PirClip.loss', 'images', batch?.images, 4, '[B, H, W, 3]');
    this.checkRows('PirClip.loss', batch.images.shape[0], {
      ids: batch.ids,
      mask: batch.mask,
      labels: batch.labels,
    });
    const v = this.embedImages(batch.images, training);
    const t = this.embedTexts(batch.ids, batch.mask, training);
    try {
      return this.lossFromEmbeddings(v, t, batch.labels);
    } finally {
      tf.dispose([v, t]);
    }
  }

  /** Cap the logit scale (CLIP's clamp at 100); `applyConstraints()` calls it. */
  protected constrain(): void {
    this.logitScale.project();
  }

  /**
   * The model's own parameters: `instruction_proj.{weight,bias}` (when the instruction is used) and
   * `logit_scale` (log of the scale).
   */
  namedParameters(): NamedParameter[] {
    return [...this.projections.namedParameters(), temperatureParameter('logit_scale', this.logitScale)];
  }

  protected disposeOwn(): void {
    this.projections.dispose();
    this.logitScale.dispose();
  }
}
