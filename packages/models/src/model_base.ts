/**
 * {@link PirModelBase}: what PIR-ITR and PIR-CLIP share — the disposed guard, input row checks, trainable
 * variables (the model's own and those the encoders declare), state dicts of the model's own weights through
 * `@pir/nn`'s one loader and exporter, and the after-step constraints.
 */

import type { Ids, Labels } from '@pir/losses';
import {
  type HasParameters,
  type LoadReport,
  loadStateDict,
  type NamedParameter,
  type StateDict,
  type StateDictLike,
  stateDict,
  trainableVariablesOf,
} from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './errors.js';

/** The encoder-contract part the base needs: which variables an encoder trains. */
export interface Trains {
  trainableVariables(): tf.Variable[];
}

/** The roles of a model's encoders. */
export type EncoderRole = 'vision' | 'text' | 'instruction';

/** Options every PIR model takes besides its own configuration. */
export interface OwnershipOptions {
  /**
   * `dispose()` also disposes the encoders (those with a `dispose` method): `true` all of them, or a list of
   * roles (`['text']`: only the text encoder). Default false: encoders belong to the caller, who may share them
   * between models; `createModel` sets it for the encoders it made.
   */
  ownsEncoders?: boolean | readonly EncoderRole[];
}

/** Options of {@link PirModelBase.loadStateDict}. */
export interface ModelLoadOptions {
  /**
   * `true` (default): a missing or unexpected key or a shape mismatch throws a `StateDictError` listing them
   * all, and nothing is written. `false`: load what fits, report the rest.
   */
  strict?: boolean;
  /** Load the sub-dict under this prefix (e.g. `'module.'`), stripping it. */
  prefix?: string;
}

/** The base of the PIR models. */
export abstract class PirModelBase implements HasParameters {
  private disposed = false;

  constructor(
    /** Class name used in errors. */
    private readonly modelName: string,
    private readonly towers: { vision: Trains; text: Trains; instruction?: object | undefined },
    private readonly ownership: OwnershipOptions = {},
  ) {}

  /**
   * The model's own parameters by released state-dict name (projections, PAE, heads, temperatures / logit
   * scale); the encoders hold theirs.
   */
  abstract namedParameters(): NamedParameter[];

  /** Free the model's own variables (called once by {@link dispose}). */
  protected abstract disposeOwn(): void;

  /** Clamp learned scalars into their ranges (temperatures, logit scale); see {@link applyConstraints}. */
  protected abstract constrain(): void;

  protected check(): void {
    if (this.disposed) throw new ModelInputError(this.modelName, 'model', 'the model has been disposed');
  }

  /**
   * Throws a clear {@link ModelInputError} unless `x` is a tensor of `rank` with at least one row — before any
   * tfjs op (an empty batch otherwise fails deep inside a reshape).
   */
  protected checkBatch(fn: string, argument: string, x: unknown, rank: number, shape: string): void {
    if (!(x instanceof tf.Tensor) || x.isDisposed)
      throw new ModelInputError(
        fn,
        argument,
        `must be a ${shape} tensor, got ${x instanceof tf.Tensor ? 'a disposed tensor' : typeof x}`,
      );
    if (x.rank !== rank)
      throw new ModelInputError(fn, argument, `must be ${shape}, got shape [${x.shape.join(', ')}]`);
    if (x.shape[0] === 0)
      throw new ModelInputError(
        fn,
        argument,
        `is an empty batch (shape [${x.shape.join(', ')}]): pass at least one row`,
      );
  }

  /** Throws unless every per-caption input has `b` rows (`fn` names the method in the error). */
  protected checkRows(fn: string, b: number, rows: Record<string, tf.Tensor | Ids | Labels>): void {
    for (const [key, x] of Object.entries(rows)) {
      const n = x instanceof tf.Tensor ? (x.shape[0] as number) : x.length;
      if (n !== b)
        throw new ModelInputError(fn, key, `${key} has ${n} rows but images has ${b}: one row per caption`);
    }
  }

  /**
   * What training updates: the model's own trainable variables, then those the vision and text encoders
   * declare (`trainableVariables()` of the encoder contract; a frozen encoder returns none). The instruction
   * encoder is never trained.
   */
  trainableVariables(): tf.Variable[] {
    this.check();
    const own = trainableVariablesOf(this.namedParameters());
    const seen = new Set(own);
    const towers = [...this.towers.vision.trainableVariables(), ...this.towers.text.trainableVariables()];
    return [...own, ...towers.filter((v) => !seen.has(v) && v.trainable)];
  }

  /**
   * Activation checkpointing in the vision and text encoders that support it (`gradientCheckpointing` of the
   * encoder contract: Swin, BERT, the CLIP towers): each block's activations are recomputed in the backward
   * pass instead of kept — the same gradients, a fraction of the memory (what lets the paper-size PIR-ITR
   * train in the 4 GiB wasm heap), about one more forward pass of the encoders per step. Like Hugging Face's
   * `gradient_checkpointing_enable()`.
   * @param on true to enable, false to disable
   * @returns the roles whose encoder supports it (`[]`: none does, nothing changed)
   * @example
   * ```ts
   * model.setGradientCheckpointing(true); // ['vision', 'text'] for PIR-ITR with Swin + BERT
   * ```
   */
  setGradientCheckpointing(on: boolean): EncoderRole[] {
    this.check();
    const roles: EncoderRole[] = [];
    for (const role of ['vision', 'text'] as const) {
      const enc = this.towers[role] as { gradientCheckpointing?: unknown };
      if (typeof enc.gradientCheckpointing === 'boolean') {
        enc.gradientCheckpointing = on;
        roles.push(role);
      }
    }
    return roles;
  }

  /**
   * Apply the model's constraints after an optimiser step: clamp the temperatures (PIR-ITR) or cap the logit
   * scale (PIR-CLIP), as the released code does under `no_grad`.
   */
  applyConstraints(): void {
    this.check();
    this.constrain();
  }

  /** @deprecated renamed {@link applyConstraints} (PIR-CLIP has a logit scale, not temperatures). */
  clampTemperatures(): void {
    this.applyConstraints();
  }

  /**
   * The model's own weights as a PyTorch-layout state dict (released names) — the one `StateDict` type of
   * `@pir/nn`, ready for `writeSafetensors`. The encoders export theirs with `stateDict(encoder)`.
   */
  async stateDict(): Promise<StateDict> {
    this.check();
    return stateDict(this);
  }

  /**
   * Load the model's own weights from a PyTorch-layout state dict (released names; a `Map` as the readers
   * return, or a plain object). Strict by default: every missing or unexpected key and shape mismatch is
   * listed in one `StateDictError` and nothing is written. The encoders load theirs with `loadStateDict`.
   */
  loadStateDict(sd: StateDictLike, options: ModelLoadOptions = {}): LoadReport {
    this.check();
    return loadStateDict(this, sd, { ...options, where: `${this.modelName}.loadStateDict` });
  }

  /** Free the model's own variables, and the encoders too when the model owns them (`ownsEncoders`). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeOwn();
    const owns = this.ownership.ownsEncoders ?? false;
    const roles: readonly EncoderRole[] =
      owns === true ? ['vision', 'text', 'instruction'] : owns === false ? [] : owns;
    for (const e of new Set(roles.map((role) => this.towers[role])))
      (e as { dispose?: () => void } | undefined)?.dispose?.();
  }
}
