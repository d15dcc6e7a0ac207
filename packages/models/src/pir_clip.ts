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
 */
import { prependInstruction, type SoftBeliefVariant, softBelief } from '@pir/belief';
import type { ClipVisionTransformer, EncoderOutput, InstructionEncoder, TextEncoder } from '@pir/encoders';
import { ParamStore } from '@pir/encoders';
import { type Labels, LogitScale, type LogitScaleConfig, type PirLossParts, pirClipLoss } from '@pir/losses';
import type { StateDict } from '@pir/pae';
import { getGlobalRng, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './errors.js';
import { encoderVariables, linearSpecs, project } from './parts.js';
import { exportVariables, loadVariables, type VariableSource } from './state.js';

/** Configuration of {@link PirClip}. */
export interface PirClipConfig {
  /** Soft-belief formula (`'paper'` default, `'released'`: PIR_SPEC §2). */
  variant?: SoftBeliefVariant;
  /** λ of `L = L_c + λ·L_a` (1). */
  lambda?: number;
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
  /** Frozen (CLIP RN50's attention-pool output in the paper). */
  instruction: InstructionEncoder;
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
export class PirClip {
  readonly variant: SoftBeliefVariant;
  readonly lambda: number;
  /** Width W of the ViT (the instruction token's width). */
  readonly width: number;
  /** `instruction_proj` (Linear Di → W). */
  readonly projections: ParamStore;
  /** CLIP's logit scale (`logit_scale`). */
  readonly logitScale: LogitScale;
  private disposed = false;

  constructor(
    readonly encoders: PirClipEncoders,
    config: PirClipConfig = {},
  ) {
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
    for (const role of ['text', 'instruction'] as const) {
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
    this.width = encoders.vision.config.width;
    const rng = new Rng(config.seed ?? getGlobalRng().nextSeed());
    this.projections = new ParamStore(
      linearSpecs('instruction_proj', encoders.instruction.dim, this.width),
      rng.fork('projections'),
      'PirClip',
    );
    this.logitScale = new LogitScale(config.logitScale ?? {});
  }

  private check(): void {
    if (this.disposed) throw new ModelInputError('PirClip', 'model', 'the model has been disposed');
  }

  /**
   * The image side: `images` [B, S, S, 3] (CLIP-normalised), `instruction` [B, Di] (the instruction encoder's
   * output). @returns v [B, outputDim], L2-normalised.
   */
  imageHead(images: tf.Tensor4D, instruction: tf.Tensor2D, _training = false): tf.Tensor2D {
    this.check();
    const b = images.shape[0];
    const di = this.encoders.instruction.dim;
    if (instruction.rank !== 2 || instruction.shape[0] !== b || instruction.shape[1] !== di)
      throw new ModelInputError(
        'PirClip.imageHead',
        'instruction',
        `expected [${b}, ${di}], got [${instruction.shape}]`,
      );
    const vit = this.encoders.vision;
    return tf.tidy(() => {
      const x = vit.embed(images); // [B, 1+N, W]
      const y = project(
        instruction,
        this.projections.get('instruction_proj.weight'),
        this.projections.get('instruction_proj.bias'),
      ) as tf.Tensor2D; // [B, W]
      const { tokens } = softBelief(x, y, { variant: this.variant });
      const seq = prependInstruction(tokens, y).tokens; // [B, 2+N, W]
      const { pooled } = vit.pool(vit.transform(seq));
      return l2(pooled);
    });
  }

  /** The text side: `t = L2norm(text.global)`. */
  textHead(text: EncoderOutput): tf.Tensor2D {
    this.check();
    return tf.tidy(() => l2(text.global));
  }

  /** Image embeddings [B, outputDim] (the frozen instruction encoder runs on the same images). */
  embedImages(images: tf.Tensor4D, training = false): tf.Tensor2D {
    this.check();
    return tf.tidy(() => {
      const instruction = tf.tidy(() => this.encoders.instruction.encode(images));
      return this.imageHead(images, instruction, training);
    });
  }

  /** Caption embeddings [B, D]. */
  embedTexts(ids: tf.Tensor2D, mask: tf.Tensor2D, training = false): tf.Tensor2D {
    this.check();
    return tf.tidy(() => this.textHead(this.encoders.text.encode(ids, mask, training)));
  }

  /** `CLIP loss + λ·affiliation` from embeddings (row i of `v` and `t` from caption i). */
  lossFromEmbeddings(v: tf.Tensor2D, t: tf.Tensor2D, labels: Labels): PirLossParts {
    this.check();
    return pirClipLoss(v, t, { labels, logScale: this.logitScale, lambda: this.lambda });
  }

  /** The training loss on a batch. */
  loss(batch: PirClipBatch, training = true): PirLossParts {
    this.check();
    const b = batch.images.shape[0];
    const labels =
      batch.labels instanceof tf.Tensor ? (batch.labels.shape[0] as number) : batch.labels.length;
    for (const [key, n] of [
      ['ids', batch.ids.shape[0]],
      ['mask', batch.mask.shape[0]],
      ['labels', labels],
    ] as const) {
      if (n !== b)
        throw new ModelInputError(
          'PirClip.loss',
          key,
          `${key} has ${n} rows but images has ${b}: one row per caption`,
        );
    }
    const v = this.embedImages(batch.images, training);
    const t = this.embedTexts(batch.ids, batch.mask, training);
    try {
      return this.lossFromEmbeddings(v, t, batch.labels);
    } finally {
      tf.dispose([v, t]);
    }
  }

  /** Clamp the logit scale to its cap; call after each optimiser step. */
  clampTemperatures(): void {
    this.logitScale.project();
  }

  private ownVariables(): VariableSource[] {
    const out: VariableSource[] = this.projections
      .entries()
      .map(([name, variable]) => ({ name, variable, layout: this.projections.spec(name)?.layout ?? 'same' }));
    out.push({ name: 'logit_scale', variable: this.logitScale.variable, layout: 'same' });
    return out;
  }

  /** The model's own variables, then the vision and text towers' (the instruction encoder never trains). */
  trainableVariables(): tf.Variable[] {
    this.check();
    const own = this.ownVariables()
      .map((s) => s.variable)
      .filter((v) => v.trainable);
    return [...own, ...encoderVariables(this.encoders.vision), ...encoderVariables(this.encoders.text)];
  }

  /** `instruction_proj.weight` [W, Di], `instruction_proj.bias`, `logit_scale` (PyTorch layout). */
  stateDict(): StateDict {
    this.check();
    return exportVariables(this.ownVariables());
  }

  /** Load the model's own weights (strict by default; every problem listed in one error, nothing written). */
  loadStateDict(
    sd: StateDict,
    options: { strict?: boolean } = {},
  ): { loaded: string[]; missing: string[]; unexpected: string[] } {
    this.check();
    return loadVariables('PirClip.loadStateDict', this.ownVariables(), sd, options.strict ?? true);
  }

  /** Free the model's own variables (the encoders belong to the caller). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.projections.dispose();
    this.logitScale.dispose();
  }
}

function l2(x: tf.Tensor): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24))) as tf.Tensor2D;
}
