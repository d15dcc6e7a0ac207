/**
 * `LearnableTemperature`: the τ of `S = V Tᵀ / τ` (PIR-ITR τ1 and τ2), held in a `tf.Variable`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError } from './errors.js';

/** Options of {@link LearnableTemperature}. */
export interface LearnableTemperatureConfig {
  /** Initial τ (PIR-ITR: 0.07 for both τ1 and τ2). */
  init?: number;
  /**
   * How τ is stored in the variable:
   * - `'direct'`: the variable is τ itself (the released PIR-ITR / ALBEF code; kept positive by the clamp);
   * - `'log'`: the variable is log τ, so any optimiser step keeps τ > 0.
   */
  parametrization?: 'direct' | 'log';
  /** Lower clamp on τ (ALBEF-style 0.001; must be > 0). */
  min?: number;
  /** Upper clamp on τ (ALBEF-style 0.5). */
  max?: number;
  /** Whether optimisers see the variable (`tf.variable(…, trainable)`). */
  trainable?: boolean;
  /** Variable name (must be unique in the tfjs engine); auto-generated when omitted. */
  name?: string;
}

/** Defaults of {@link LearnableTemperatureConfig}. */
export const TEMPERATURE_DEFAULTS = {
  /** PIR-ITR's τ1 and τ2 start at 0.07 (the CLIP/ALBEF convention). */
  init: 0.07,
  /** The released code stores τ directly. */
  parametrization: 'direct',
  /** ALBEF-family clamp `temp.clamp_(0.001, 0.5)`. */
  min: 0.001,
  /** ALBEF-family clamp `temp.clamp_(0.001, 0.5)`. */
  max: 0.5,
  /** Learned by default. */
  trainable: true,
} as const satisfies Required<Omit<LearnableTemperatureConfig, 'name'>>;

/**
 * A learnable temperature τ > 0. {@link value} returns τ clamped to `[min, max]` **in the forward pass**
 * (`tf.clipByValue`: the gradient is zero outside the range, as `torch.clamp`); {@link project} clamps the
 * stored variable in place after an optimiser step (as the released code's `temp.clamp_()` under `no_grad`).
 *
 * Losses accept an instance wherever they take `temperature`; the gradient then reaches {@link variable}.
 *
 * @example
 * ```ts
 * const tau = new LearnableTemperature({ init: 0.07, parametrization: 'log' });
 * const opt = tf.train.adam(1e-3);
 * opt.minimize(() => multiPositiveInfoNCE(v, t, ids, { temperature: tau }), false, [tau.variable]);
 * tau.project();
 * tau.value().print(); // ≈ 0.0701
 * tau.dispose();
 * ```
 */
export class LearnableTemperature extends tf.serialization.Serializable {
  /** The tfjs serialization name (registered under the package `'pir'`). */
  static className = 'PirLearnableTemperature';
  /** The stored parameter: τ (`'direct'`) or log τ (`'log'`), a scalar `[]`. */
  readonly variable: tf.Variable<tf.Rank.R0>;
  /** The initial τ. */
  readonly init: number;
  /** Whether {@link variable} holds τ (`'direct'`) or log τ (`'log'`). */
  readonly parametrization: 'direct' | 'log';
  /** Lower clamp on τ. */
  readonly min: number;
  /** Upper clamp on τ. */
  readonly max: number;
  private readonly name: string | undefined;

  constructor(config: LearnableTemperatureConfig = {}) {
    super();
    const c = { ...TEMPERATURE_DEFAULTS, ...config };
    const where = 'LearnableTemperature';
    if (!(Number.isFinite(c.min) && c.min > 0)) {
      throw new LossInputError(where, 'min', `min must be a finite number > 0, got ${c.min}.`);
    }
    if (!(Number.isFinite(c.max) && c.max >= c.min)) {
      throw new LossInputError(where, 'max', `max must be finite and ≥ min (${c.min}), got ${c.max}.`);
    }
    if (!(Number.isFinite(c.init) && c.init > 0)) {
      throw new LossInputError(where, 'init', `the temperature must be > 0, got init = ${c.init}.`);
    }
    if (c.parametrization !== 'direct' && c.parametrization !== 'log') {
      throw new LossInputError(
        where,
        'parametrization',
        `must be 'direct' or 'log', got '${c.parametrization}'.`,
      );
    }
    this.init = c.init;
    this.parametrization = c.parametrization;
    this.min = c.min;
    this.max = c.max;
    this.name = config.name;
    const stored = c.parametrization === 'log' ? Math.log(c.init) : c.init;
    // tidy frees the initial scalar; the variable survives it.
    this.variable = tf.tidy(() => tf.variable(tf.scalar(stored), c.trainable, config.name));
  }

  /** Whether optimisers update the variable. */
  get trainable(): boolean {
    return this.variable.trainable;
  }

  set trainable(on: boolean) {
    this.variable.trainable = on;
  }

  /**
   * τ, clamped to `[min, max]`, as a new scalar (differentiable w.r.t. {@link variable}).
   * @returns [] scalar
   */
  value(): tf.Scalar {
    return tf.tidy(() => {
      const tau = this.parametrization === 'log' ? tf.exp(this.variable) : this.variable;
      return tf.clipByValue(tau, this.min, this.max);
    });
  }

  /** Clamp the stored variable in place so τ ∈ `[min, max]` (call after an optimiser step). */
  project(): void {
    tf.tidy(() => {
      const [lo, hi] =
        this.parametrization === 'log' ? [Math.log(this.min), Math.log(this.max)] : [this.min, this.max];
      this.variable.assign(tf.clipByValue(this.variable, lo, hi));
    });
  }

  /** Constructor options (the learned value lives in {@link variable}; save it with the model weights). */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      init: this.init,
      parametrization: this.parametrization,
      min: this.min,
      max: this.max,
      trainable: this.trainable,
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }

  /** Rebuild from {@link getConfig} (tfjs `Serializable` protocol). */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }

  /** Free the variable. */
  dispose(): void {
    this.variable.dispose();
  }
}

tf.serialization.registerClass(LearnableTemperature, 'pir');
