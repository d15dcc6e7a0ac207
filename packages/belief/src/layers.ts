/**
 * The belief functions as serializable `tf.layers.Layer`s (no weights: the instruction projection lives in
 * the model). Inputs are `[tokens, instruction]` or `[tokens, instruction, mask]`:
 * tokens [B, N, D], instruction [B, D] or [B, 1, D], mask [B, N] (1 = keep).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BeliefInputError } from './errors.js';
import { HARD_BELIEF_DEFAULTS, hardBelief } from './hard.js';
import { prependInstruction } from './instruction.js';
import { beliefScores } from './scores.js';
import { type SoftBeliefOptions, type SoftBeliefVariant, softBelief } from './soft.js';
import { checkFinite } from './validate.js';

type Shape = (number | null)[];
type LayerArgs = {
  name?: string;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
  dtype?: tf.DataType;
};

function unpack(
  where: string,
  inputs: tf.Tensor | tf.Tensor[],
): [tf.Tensor3D, tf.Tensor, tf.Tensor2D | undefined] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length !== 2 && list.length !== 3) {
    throw new BeliefInputError(
      where,
      'inputs',
      `expected [tokens, instruction] or [tokens, instruction, mask], got ${list.length} input(s).`,
    );
  }
  return [list[0] as tf.Tensor3D, list[1] as tf.Tensor, list[2] as tf.Tensor2D | undefined];
}

function shapes(inputShape: Shape | Shape[]): Shape[] {
  return Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
}

/**
 * Layer form of {@link beliefScores}: `[tokens, instruction(, mask)] → scores [B, N]`.
 * @example
 * ```ts
 * new BeliefScores().apply([v, u]) as tf.Tensor; // [B, N]
 * ```
 */
export class BeliefScores extends tfl.layers.Layer {
  /** The tfjs serialization name (registered under the package `'pir'`). */
  static className = 'PirBeliefScores';
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [t] = shapes(inputShape);
    return [t?.[0] ?? null, t?.[1] ?? null];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => beliefScores(...unpack('BeliefScores', inputs)));
  }
}
tf.serialization.registerClass(BeliefScores, 'pir');

/** Options of {@link HardBelief}. */
export interface HardBeliefLayerArgs extends LayerArgs {
  /** Tokens kept (default 40). */
  k?: number;
  /** `'belief'` (default) or `'position'` order of the kept tokens. */
  order?: 'belief' | 'position';
  /** `'matmul'` (default) or `'gather'` selection (same values and gradients). */
  selection?: 'gather' | 'matmul';
  /**
   * Return `[tokens, keptMask, scores, indices]` (indices as float32, for Models) instead of the tokens
   * alone — for plotting which patches the instruction trusted, or to pass the kept mask on.
   */
  returnDetails?: boolean;
  /**
   * Read the inputs on every call and throw a `BeliefInputError` (`where` `'HardBelief'`) naming the first
   * NaN or ±Infinity — see `HardBeliefOptions.validate`. Default `false` (it blocks: a debugging aid).
   */
  validate?: boolean;
}

/**
 * Layer form of {@link hardBelief}: `[tokens, instruction(, mask)] → tokens [B, K, D]`
 * (or `[tokens, keptMask [B, K], scores [B, N], indices [B, K]]` with `returnDetails`).
 * @example
 * ```ts
 * const kept = new HardBelief({ k: 40 }).apply([v, u]) as tf.Tensor; // [B, 40, D]
 * ```
 */
export class HardBelief extends tfl.layers.Layer {
  /** The tfjs serialization name (registered under the package `'pir'`). */
  static className = 'PirHardBelief';
  /** Tokens kept, K. */
  readonly k: number;
  /** Order of the kept tokens: decreasing `'belief'` or original `'position'`. */
  readonly order: 'belief' | 'position';
  /** How the kept tokens are selected (`'matmul'` or `'gather'`; same values and gradients). */
  readonly selection: 'gather' | 'matmul';
  /** Whether `call` returns `[tokens, keptMask, scores, indices]` instead of the tokens alone. */
  readonly returnDetails: boolean;
  /** Whether `call` checks its inputs for NaN and ±Infinity (see {@link HardBeliefLayerArgs.validate}). */
  readonly validate: boolean;

  constructor(args: HardBeliefLayerArgs = {}) {
    super(args);
    this.k = args.k ?? HARD_BELIEF_DEFAULTS.k;
    this.order = args.order ?? HARD_BELIEF_DEFAULTS.order;
    this.selection = args.selection ?? HARD_BELIEF_DEFAULTS.selection;
    this.returnDetails = args.returnDetails ?? false;
    this.validate = args.validate ?? false;
    if (!Number.isInteger(this.k) || this.k < 1) {
      throw new BeliefInputError('HardBelief', 'k', `k must be a positive integer, got ${this.k}.`);
    }
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const [t] = shapes(inputShape);
    const b = t?.[0] ?? null;
    const tokens: Shape = [b, this.k, t?.[2] ?? null];
    if (!this.returnDetails) return tokens;
    return [tokens, [b, this.k], [b, t?.[1] ?? null], [b, this.k]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const [tokens, instruction, mask] = unpack('HardBelief', inputs);
      if (this.validate) checkFinite('HardBelief', { tokens, instruction, mask });
      const r = hardBelief(tokens, instruction, {
        k: this.k,
        order: this.order,
        selection: this.selection,
        ...(mask === undefined ? {} : { mask }),
      });
      if (!this.returnDetails) return r.tokens;
      return [r.tokens, r.mask, r.scores, tf.cast(r.indices, 'float32')];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      k: this.k,
      order: this.order,
      selection: this.selection,
      returnDetails: this.returnDetails,
      validate: this.validate,
    };
  }
}
tf.serialization.registerClass(HardBelief, 'pir');

/** Options of {@link SoftBelief}. */
export interface SoftBeliefLayerArgs extends LayerArgs {
  /** `'paper'` (default) or `'released'`. */
  variant?: SoftBeliefVariant;
  /** Return `[tokens, scores, weights]` instead of the tokens alone. */
  returnDetails?: boolean;
  /**
   * Read the inputs on every call and throw a `BeliefInputError` (`where` `'SoftBelief'`) naming the first
   * NaN or ±Infinity — see `SoftBeliefOptions.validate`. Default `false` (it blocks: a debugging aid).
   */
  validate?: boolean;
}

/**
 * Layer form of {@link softBelief}: `[tokens, instruction(, mask)] → tokens [B, N, D]`
 * (or `[tokens, scores [B, N], weights [B, N]]` with `returnDetails`).
 * @example
 * ```ts
 * const y = new SoftBelief({ variant: 'released' }).apply([v, u]) as tf.Tensor; // [B, N, D]
 * ```
 */
export class SoftBelief extends tfl.layers.Layer {
  /** The tfjs serialization name (registered under the package `'pir'`). */
  static className = 'PirSoftBelief';
  /** `'paper'` or `'released'`, see {@link SoftBeliefOptions.variant}. */
  readonly variant: SoftBeliefVariant;
  /** Whether `call` returns `[tokens, scores, weights]` instead of the tokens alone. */
  readonly returnDetails: boolean;
  /** Whether `call` checks its inputs for NaN and ±Infinity (see {@link SoftBeliefLayerArgs.validate}). */
  readonly validate: boolean;

  constructor(args: SoftBeliefLayerArgs = {}) {
    super(args);
    this.variant = args.variant ?? 'paper';
    this.returnDetails = args.returnDetails ?? false;
    this.validate = args.validate ?? false;
    if (this.variant !== 'paper' && this.variant !== 'released') {
      throw new BeliefInputError(
        'SoftBelief',
        'variant',
        `variant must be 'paper' or 'released', got '${this.variant}'.`,
      );
    }
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const [t] = shapes(inputShape);
    const tokens: Shape = [...(t ?? [null, null, null])];
    if (!this.returnDetails) return tokens;
    const bn: Shape = [t?.[0] ?? null, t?.[1] ?? null];
    return [tokens, bn, [...bn]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const [tokens, instruction, mask] = unpack('SoftBelief', inputs);
      if (this.validate) checkFinite('SoftBelief', { tokens, instruction, mask });
      const r = softBelief(tokens, instruction, {
        variant: this.variant,
        ...(mask === undefined ? {} : { mask }),
      });
      tf.dispose(r.multipliers);
      return this.returnDetails ? [r.tokens, r.scores, r.weights] : r.tokens;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      variant: this.variant,
      returnDetails: this.returnDetails,
      validate: this.validate,
    };
  }
}
tf.serialization.registerClass(SoftBelief, 'pir');

/**
 * Layer form of {@link prependInstruction}: `[tokens [B, N, D], instruction [B, D] | [B, 1, D]] → [B, N+1, D]`.
 */
export class PrependInstruction extends tfl.layers.Layer {
  /** The tfjs serialization name (registered under the package `'pir'`). */
  static className = 'PirPrependInstruction';
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [t] = shapes(inputShape);
    const n = t?.[1];
    return [t?.[0] ?? null, n === null || n === undefined ? null : n + 1, t?.[2] ?? null];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [tokens, instruction] = unpack('PrependInstruction', inputs);
      return prependInstruction(tokens, instruction).tokens;
    });
  }
}
tf.serialization.registerClass(PrependInstruction, 'pir');
