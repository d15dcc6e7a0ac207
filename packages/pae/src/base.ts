/**
 * The base of every PAE layer: `@pir/nn`'s {@link SpecLayer} (weights from {@link ParamSpec}s with the
 * released PyTorch names, tfjs layout inside, seeded; a `HasParameters`, so `@pir/nn`'s `loadStateDict` /
 * `stateDict` serve it), plus the PAE's shared config fields and input checks.
 */
import type { NamedParameter, ParamSpec } from '@pir/nn';
import { type InputShape, SpecLayer, type SpecLayerArgs } from '@pir/nn/layers';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PaeInputError } from './errors.js';
import type { Params } from './functional.js';

export type Shape = (number | null)[];

/** Config fields shared by the PAE layers (plus tfjs's `name`, `trainable`, …). */
export interface PaeLayerArgs extends SpecLayerArgs {
  /** Width D (PIR: 512). */
  dim?: number;
}

/** Config of layers with attention. */
export interface AttentionLayerArgs extends PaeLayerArgs {
  /** Heads (PIR: 8; must divide `dim`). */
  heads?: number;
  /** Dropout on attention probabilities and sub-layer outputs, in training only (PIR: 0.2). */
  dropout?: number;
  /**
   * Use key masks when given (default `true`). `false` reproduces the released code, which runs the PAE
   * without masks, so padding takes part in attention.
   */
  useMask?: boolean;
}

export const PAE_DEFAULTS = {
  /** PIR's common embedding width. */
  dim: 512,
  /** PIR uses 8 heads everywhere. */
  heads: 8,
  /** PIR_SPEC §3: 0.2 on attention probabilities and sub-layer outputs. */
  dropout: 0.2,
  /** Masks on (the released code has none; set false to emulate it). */
  useMask: true,
} as const;

/** A PAE layer: its parameters depend on the config only (`dim`, layers), not on the input shape. */
export abstract class PaeLayer extends SpecLayer {
  readonly dim: number;

  constructor(args: PaeLayerArgs) {
    super(args);
    this.dim = args.dim ?? PAE_DEFAULTS.dim;
    if (!Number.isInteger(this.dim) || this.dim < 1) {
      throw new PaeInputError(this.where, 'dim', `dim must be a positive integer, got ${this.dim}.`);
    }
  }

  /** The class name users construct (`'SpatialPAE'`; the registered name is `'PirSpatialPAE'`), for errors. */
  protected get where(): string {
    return this.getClassName().replace(/^Pir/, '');
  }

  /** The parameters of this layer (released PyTorch names and shapes), from its config. */
  protected abstract configSpecs(): ParamSpec[];

  protected specsFor(_inputShape: InputShape | null): ParamSpec[] {
    return this.configSpecs();
  }

  /** Build if needed (weights depend on the config only), e.g. before loading a state dict. */
  ensureBuilt(): void {
    if (!this.built) this.build([]);
  }

  /** The weight variables by (PyTorch) parameter name. */
  variablesByName(): Map<string, tfl.LayerVariable> {
    this.ensureBuilt();
    return new Map(this.paramSpecs().map((s) => [s.name, this.layerVariable(s.name)]));
  }

  override namedParameters(): NamedParameter[] {
    this.ensureBuilt();
    return super.namedParameters();
  }

  /**
   * Current parameter values as a {@link Params} record — PyTorch names, tfjs layout (the variables
   * themselves: differentiable).
   */
  params(): Params {
    this.ensureBuilt();
    const p: Params = {};
    for (const s of this.paramSpecs()) p[s.name] = this.weight(s.name);
    return p;
  }

  /** A seed source for dropout in this call. */
  protected seeds(): () => number {
    return () => this.rng.nextSeed();
  }

  protected checkTokens(argument: string, x: tf.Tensor): void {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new PaeInputError(
        this.where,
        argument,
        `${argument} must be [B, T, D] with D = ${this.dim}, got [${x.shape}].`,
      );
    }
  }

  protected checkMask(x: tf.Tensor, mask: tf.Tensor | undefined): void {
    if (
      mask !== undefined &&
      (mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1])
    ) {
      throw new PaeInputError(
        this.where,
        'mask',
        `mask must be [B, T] = [${x.shape[0]}, ${x.shape[1]}] (1 = keep), got [${mask.shape}].`,
      );
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dim: this.dim };
  }
}

/** A PAE layer with heads, dropout and masks. */
export abstract class AttentionLayer extends PaeLayer {
  readonly heads: number;
  readonly dropout: number;
  readonly useMask: boolean;

  constructor(args: AttentionLayerArgs) {
    super(args);
    this.heads = args.heads ?? PAE_DEFAULTS.heads;
    this.dropout = args.dropout ?? PAE_DEFAULTS.dropout;
    this.useMask = args.useMask ?? PAE_DEFAULTS.useMask;
    if (!Number.isInteger(this.heads) || this.heads < 1 || this.dim % this.heads !== 0) {
      throw new PaeInputError(
        this.where,
        'heads',
        `heads must be a positive divisor of dim = ${this.dim}, got ${this.heads}.`,
      );
    }
    if (!(this.dropout >= 0 && this.dropout < 1)) {
      throw new PaeInputError(this.where, 'dropout', `dropout must be in [0, 1), got ${this.dropout}.`);
    }
  }

  /** Block options for one call. */
  protected blockOptions(mask: tf.Tensor | undefined, kwargs: Record<string, unknown> | undefined) {
    const training = (kwargs?.training as boolean | undefined) ?? false;
    return {
      heads: this.heads,
      dropout: this.dropout,
      training,
      nextSeed: this.seeds(),
      ...(this.useMask && mask !== undefined ? { mask } : {}),
    };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, dropout: this.dropout, useMask: this.useMask };
  }
}
