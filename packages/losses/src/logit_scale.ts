/**
 * `LogitScale`: CLIP's learnable multiplier `exp(s)` on cosine similarities (PIR-CLIP), clamped to ≤ 100.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError } from './errors.js';

/** Options of {@link LogitScale}. */
export interface LogitScaleConfig {
  /** Initial multiplier exp(s) (CLIP: 1/0.07 ≈ 14.29); the variable starts at s = log(init). */
  init?: number;
  /** Upper clamp on the multiplier (CLIP: 100). */
  maxScale?: number;
  /** Whether optimisers see the variable. */
  trainable?: boolean;
  /** Variable name (must be unique in the tfjs engine); auto-generated when omitted. */
  name?: string;
}

/** Defaults of {@link LogitScaleConfig}. */
export const LOGIT_SCALE_DEFAULTS = {
  /** CLIP initialises `logit_scale = log(1/0.07)`. */
  init: 1 / 0.07,
  /** CLIP clamps the multiplier to ≤ 100. */
  maxScale: 100,
  /** Learned by default. */
  trainable: true,
} as const satisfies Required<Omit<LogitScaleConfig, 'name'>>;

/**
 * The CLIP logit scale: a variable `s` (the log of the multiplier), used as `min(exp(s), maxScale)`.
 * {@link value} applies the clamp in the forward pass (zero gradient above it, as `torch.clamp`);
 * {@link project} clamps `s` to `[0, log maxScale]` in place after an optimiser step (open_clip's habit).
 *
 * Losses accept an instance wherever they take `logScale`.
 *
 * @example
 * ```ts
 * const scale = new LogitScale();
 * scale.value().print(); // 14.2857
 * const loss = clipLoss(v, t, { logScale: scale });
 * scale.dispose();
 * ```
 */
export class LogitScale extends tf.serialization.Serializable {
  /** The tfjs serialization name (registered under the package `'pir'`). */
  static className = 'PirLogitScale';
  /** s = log of the multiplier, a scalar `[]`. */
  readonly variable: tf.Variable<tf.Rank.R0>;
  /** The initial multiplier exp(s) (the variable started at log(init)). */
  readonly init: number;
  /** Upper clamp on the multiplier. */
  readonly maxScale: number;
  private readonly name: string | undefined;

  constructor(config: LogitScaleConfig = {}) {
    super();
    const c = { ...LOGIT_SCALE_DEFAULTS, ...config };
    const where = 'LogitScale';
    if (!(Number.isFinite(c.maxScale) && c.maxScale > 0)) {
      throw new LossInputError(where, 'maxScale', `maxScale must be a finite number > 0, got ${c.maxScale}.`);
    }
    if (!(Number.isFinite(c.init) && c.init > 0)) {
      throw new LossInputError(where, 'init', `the logit scale must be > 0, got init = ${c.init}.`);
    }
    this.init = c.init;
    this.maxScale = c.maxScale;
    this.name = config.name;
    // tidy frees the initial scalar; the variable survives it.
    this.variable = tf.tidy(() => tf.variable(tf.scalar(Math.log(c.init)), c.trainable, config.name));
  }

  /** Whether optimisers update the variable. */
  get trainable(): boolean {
    return this.variable.trainable;
  }

  set trainable(on: boolean) {
    this.variable.trainable = on;
  }

  /**
   * The multiplier `min(exp(s), maxScale)` as a new scalar (differentiable w.r.t. {@link variable}).
   * @returns [] scalar
   */
  value(): tf.Scalar {
    return tf.tidy(() => tf.minimum(tf.exp(this.variable), this.maxScale));
  }

  /** Clamp s to `[0, log maxScale]` in place (call after an optimiser step). */
  project(): void {
    tf.tidy(() => {
      this.variable.assign(tf.clipByValue(this.variable, 0, Math.log(this.maxScale)));
    });
  }

  /** Constructor options (the learned value lives in {@link variable}). */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      init: this.init,
      maxScale: this.maxScale,
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

tf.serialization.registerClass(LogitScale, 'pir');
