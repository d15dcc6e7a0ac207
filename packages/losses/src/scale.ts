/**
 * How similarities become logits: divided by a temperature τ (PIR-ITR) or multiplied by a CLIP logit scale
 * `min(exp(s), 100)` (PIR-CLIP). Shared by every loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError } from './errors.js';
import { LogitScale } from './logit_scale.js';
import { LearnableTemperature } from './temperature.js';
import { fmt } from './validate.js';

/** A temperature τ > 0: a number (constant), a scalar tensor (differentiable) or a {@link LearnableTemperature}. */
export type TemperatureLike = number | tf.Scalar | LearnableTemperature;

/**
 * A CLIP log-scale s (logits = `min(exp(s), 100)` · similarity): a number, a scalar tensor (differentiable) or
 * a {@link LogitScale} (which brings its own clamp).
 */
export type LogScaleLike = number | tf.Scalar | LogitScale;

/** Which scaling a loss applies; built from its options. */
export type Scaling = { temperature: TemperatureLike } | { logScale: LogScaleLike };

/** CLIP's clamp on the multiplier, used for plain-number and tensor log-scales. */
export const MAX_LOGIT_SCALE = 100;

/** CLIP's initial log-scale, log(1/0.07). */
export const DEFAULT_LOG_SCALE = Math.log(1 / 0.07);

function checkScalarTensor(
  where: string,
  argument: string,
  x: tf.Tensor,
  validate: boolean,
  positive: boolean,
): void {
  if (x.size !== 1 || x.rank > 1) {
    throw new LossInputError(
      where,
      argument,
      `${argument} must be a scalar tensor, got shape ${fmt(x.shape)}.`,
    );
  }
  if (x.dtype !== 'float32') {
    throw new LossInputError(where, argument, `${argument} must be float32, got ${x.dtype}.`);
  }
  if (validate) {
    const value = x.dataSync()[0] as number;
    if (!Number.isFinite(value)) {
      throw new LossInputError(where, argument, `${argument} is not finite (${value}).`);
    }
    if (positive && value <= 0) {
      throw new LossInputError(where, argument, `the temperature must be > 0, got ${value}.`);
    }
  }
}

/**
 * Pick the scaling from a loss's options: at most one of `temperature` / `logScale`; `fallback` when neither.
 */
export function resolveScaling(
  where: string,
  options: { temperature?: TemperatureLike | undefined; logScale?: LogScaleLike | undefined },
  fallback: Scaling,
): Scaling {
  const { temperature, logScale } = options;
  if (temperature !== undefined && logScale !== undefined) {
    throw new LossInputError(
      where,
      'logScale',
      'pass either temperature (logits = sim / τ) or logScale (logits = exp(s) · sim), not both.',
    );
  }
  if (temperature !== undefined) return { temperature };
  if (logScale !== undefined) return { logScale };
  return fallback;
}

/**
 * Check a scaling eagerly (numbers, shapes; values of tensors only with `validate`).
 * Called outside `tf.tidy` so errors surface before any tensor is made; `argument` overrides the name in errors.
 */
export function checkScaling(where: string, scaling: Scaling, validate: boolean, argument?: string): void {
  if ('temperature' in scaling) {
    const tau = scaling.temperature;
    const name = argument ?? 'temperature';
    if (typeof tau === 'number') {
      if (!(Number.isFinite(tau) && tau > 0)) {
        throw new LossInputError(where, name, `the temperature must be a finite number > 0, got ${tau}.`);
      }
    } else if (tau instanceof tf.Tensor) {
      checkScalarTensor(where, name, tau, validate, true);
    } else if (!(tau instanceof LearnableTemperature)) {
      throw new LossInputError(where, name, 'expected a number, a scalar tensor or a LearnableTemperature.');
    }
  } else {
    const s = scaling.logScale;
    const name = argument ?? 'logScale';
    if (typeof s === 'number') {
      if (!Number.isFinite(s)) {
        throw new LossInputError(where, name, `the log-scale must be a finite number, got ${s}.`);
      }
    } else if (s instanceof tf.Tensor) {
      checkScalarTensor(where, name, s, validate, false);
    } else if (!(s instanceof LogitScale)) {
      throw new LossInputError(where, name, 'expected a number, a scalar tensor or a LogitScale.');
    }
  }
}

/**
 * Turn similarities into logits: `sim / τ` or `min(exp(s), 100) · sim`. Call inside `tf.tidy`.
 * @param sim [B, B] similarities
 * @returns [B, B] logits
 */
export function applyScaling(sim: tf.Tensor2D, scaling: Scaling): tf.Tensor2D {
  if ('temperature' in scaling) {
    const tau = scaling.temperature;
    const t = tau instanceof LearnableTemperature ? tau.value() : tf.reshape(tau, []);
    return tf.div(sim, t);
  }
  const s = scaling.logScale;
  const m = s instanceof LogitScale ? s.value() : tf.minimum(tf.exp(tf.reshape(s, [])), MAX_LOGIT_SCALE);
  return tf.mul(sim, m);
}
