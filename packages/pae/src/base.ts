/**
 * The base of every PAE layer: weights made in `build()` from `@pir/nn` {@link ParamSpec}s (released PyTorch
 * names, tfjs layout inside), a seeded {@link Rng} for initialisation and dropout, and the shared config
 * fields. Every PAE layer is a `HasParameters`, so `@pir/nn`'s `loadStateDict` / `stateDict` serve it.
 */
import { type HasParameters, type NamedParameter, type ParamInit, type ParamSpec, tfShape } from '@pir/nn';
import { getGlobalRng, Rng } from '@pir/runtime';
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PaeInputError } from './errors.js';
import type { Params } from './functional.js';

type Initializer = ReturnType<typeof tfl.initializers.ones>;

/** The tfjs initializer of a {@link ParamInit}; random kinds take the next seed of `seeds`. */
function initializer(init: ParamInit, seeds: Rng): Initializer {
  switch (init.kind) {
    case 'ones':
      return tfl.initializers.ones();
    case 'zeros':
      return tfl.initializers.zeros();
    case 'uniform':
      return tfl.initializers.randomUniform({
        minval: -init.limit,
        maxval: init.limit,
        seed: seeds.nextSeed(),
      });
    case 'normal':
      return tfl.initializers.randomNormal({ mean: 0, stddev: init.std, seed: seeds.nextSeed() });
  }
}

export type Shape = (number | null)[];

/** Config fields shared by the PAE layers (plus tfjs's `name`, `trainable`, …). */
export interface PaeLayerArgs {
  /** Width D (PIR: 512). */
  dim?: number;
  /** Seed of this layer's Rng (weight init and dropout); drawn from `@pir/runtime`'s global Rng if omitted. */
  seed?: number;
  name?: string;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
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

/** A layer whose weights are described by a {@link ParamSpec} list. */
export abstract class PaeLayer extends tfl.layers.Layer implements HasParameters {
  readonly dim: number;
  readonly seed: number;
  protected readonly rng: Rng;
  private vars = new Map<string, tfl.LayerVariable>();

  constructor(args: PaeLayerArgs) {
    super(args);
    this.dim = args.dim ?? PAE_DEFAULTS.dim;
    if (!Number.isInteger(this.dim) || this.dim < 1) {
      throw new PaeInputError(this.getClassName(), 'dim', `dim must be a positive integer, got ${this.dim}.`);
    }
    this.seed = args.seed ?? getGlobalRng().nextSeed();
    this.rng = new Rng(this.seed);
  }

  /** The parameters of this layer: released PyTorch names and shapes (`@pir/nn` {@link ParamSpec}s). */
  abstract paramSpecs(): ParamSpec[];

  override build(_inputShape: Shape | Shape[]): void {
    if (this.built) return;
    const seeds = this.rng.fork('init');
    for (const s of this.paramSpecs()) {
      const shape = tfShape(s.shape, s.layout);
      this.vars.set(
        s.name,
        this.addWeight(s.name, shape, 'float32', initializer(s.init, seeds), undefined, true),
      );
    }
    this.built = true;
  }

  /** Build if needed (weights depend on the config only), e.g. before loading a state dict. */
  ensureBuilt(): void {
    if (!this.built) this.build([]);
  }

  /** The weight variables by (PyTorch) parameter name. */
  variablesByName(): Map<string, tfl.LayerVariable> {
    this.ensureBuilt();
    return this.vars;
  }

  /**
   * Every weight with its spec ({@link HasParameters}): `loadStateDict(layer, sd)` and `stateDict(layer)` of
   * `@pir/nn` use it. The variable is the one optimisers update (`LayerVariable.read()`).
   */
  namedParameters(): NamedParameter[] {
    const vars = this.variablesByName();
    return this.paramSpecs().map((spec) => ({
      spec,
      variable: (vars.get(spec.name) as tfl.LayerVariable).read() as tf.Variable,
    }));
  }

  /**
   * Current parameter values as a {@link Params} record — PyTorch names, tfjs layout (the variables
   * themselves: differentiable).
   */
  params(): Params {
    const p: Params = {};
    for (const [k, v] of this.variablesByName()) p[k] = v.read();
    return p;
  }

  /** A seed source for dropout in this call. */
  protected seeds(): () => number {
    return () => this.rng.nextSeed();
  }

  protected checkTokens(argument: string, x: tf.Tensor): void {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new PaeInputError(
        this.getClassName(),
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
        this.getClassName(),
        'mask',
        `mask must be [B, T] = [${x.shape[0]}, ${x.shape[1]}] (1 = keep), got [${mask.shape}].`,
      );
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dim: this.dim, seed: this.seed };
  }

  /**
   * Free the weights. Unlike the stock `Layer.dispose`, this also works for a layer only ever called
   * eagerly (never connected to a symbolic model), which tfjs counts as "not used yet".
   */
  override dispose(): ReturnType<tfl.layers.Layer['dispose']> {
    if (this._refCount === null) this._refCount = 1;
    return super.dispose();
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
        this.getClassName(),
        'heads',
        `heads must be a positive divisor of dim = ${this.dim}, got ${this.heads}.`,
      );
    }
    if (!(this.dropout >= 0 && this.dropout < 1)) {
      throw new PaeInputError(
        this.getClassName(),
        'dropout',
        `dropout must be in [0, 1), got ${this.dropout}.`,
      );
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
