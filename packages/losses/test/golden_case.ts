/**
 * Run one case of `fixtures/losses.json` (written by `tools/golden/losses.py`) through the TypeScript losses.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  affiliationLoss,
  clipLoss,
  multiPositiveInfoNCE,
  pirClipLoss,
  pirItrLoss,
  tripletLoss,
} from '../src/index.js';

/** One golden case, as the Python script writes it. */
export interface GoldenCase {
  name: string;
  kind: 'infonce' | 'clip' | 'triplet' | 'affiliation' | 'pirItr' | 'pirClip';
  options: {
    temperature?: number;
    affiliationTemperature?: number;
    logScale?: number;
    normalize?: boolean;
    margin?: number;
    reduction?: 'sum' | 'hardest';
    maskIds?: boolean;
    direction?: 'itr' | 'clip';
    lambda?: number;
  };
  v: number[][];
  t: number[][];
  imageIds?: number[];
  labels?: (number | string)[];
  loss: number;
  parts?: { contrastive: number; affiliation: number };
  grad: {
    v: number[][];
    t: number[][];
    temperature?: number;
    affiliationTemperature?: number;
    logScale?: number;
  };
}

/** The scalar parameters of a case, in a fixed order (those are differentiated besides v and t). */
export const SCALAR_KEYS = ['temperature', 'affiliationTemperature', 'logScale'] as const;
export type ScalarKey = (typeof SCALAR_KEYS)[number];

/** The loss of a case as a function of v, t and its scalar tensors (ordered as {@link SCALAR_KEYS}). */
export function caseLoss(c: GoldenCase): {
  keys: ScalarKey[];
  f: (v: tf.Tensor2D, t: tf.Tensor2D, scalars: tf.Scalar[]) => tf.Scalar;
  parts: (
    v: tf.Tensor2D,
    t: tf.Tensor2D,
    scalars: tf.Scalar[],
  ) => { contrastive: tf.Scalar; affiliation: tf.Scalar };
} {
  const o = c.options;
  const keys = SCALAR_KEYS.filter((k) => o[k] !== undefined);
  const common = o.normalize === undefined ? {} : { normalize: o.normalize };
  const named = (scalars: tf.Scalar[]) => {
    const m: Partial<Record<ScalarKey, tf.Scalar>> = {};
    keys.forEach((k, i) => {
      m[k] = scalars[i] as tf.Scalar;
    });
    return m;
  };
  const scale = (m: Partial<Record<ScalarKey, tf.Scalar>>) =>
    m.temperature !== undefined ? { temperature: m.temperature } : { logScale: m.logScale as tf.Scalar };
  const ids = c.imageIds ?? [];
  const labels = (c.labels ?? []) as number[] | string[];
  const combined = (v: tf.Tensor2D, t: tf.Tensor2D, scalars: tf.Scalar[]) => {
    const m = named(scalars);
    if (c.kind === 'pirItr') {
      return pirItrLoss(v, t, {
        ...common,
        imageIds: ids,
        labels,
        temperature: m.temperature as tf.Scalar,
        affiliationTemperature: m.affiliationTemperature as tf.Scalar,
        lambda: o.lambda ?? 1,
        direction: o.direction ?? 'itr',
      });
    }
    return pirClipLoss(v, t, {
      ...common,
      labels,
      logScale: m.logScale as tf.Scalar,
      lambda: o.lambda ?? 1,
      direction: o.direction ?? 'clip',
    });
  };
  const f = (v: tf.Tensor2D, t: tf.Tensor2D, scalars: tf.Scalar[]): tf.Scalar => {
    const m = named(scalars);
    switch (c.kind) {
      case 'infonce':
        return multiPositiveInfoNCE(v, t, ids, { ...common, ...scale(m) });
      case 'clip':
        return clipLoss(v, t, { ...common, logScale: m.logScale as tf.Scalar });
      case 'triplet':
        return tripletLoss(v, t, {
          ...common,
          margin: o.margin ?? 0.2,
          reduction: o.reduction ?? 'sum',
          ...(o.maskIds === true ? { imageIds: ids } : {}),
        });
      case 'affiliation':
        return affiliationLoss(v, t, labels, { ...common, ...scale(m), direction: o.direction ?? 'itr' });
      default: {
        const p = combined(v, t, scalars);
        tf.dispose([p.contrastive, p.affiliation]);
        return p.loss;
      }
    }
  };
  const parts = (v: tf.Tensor2D, t: tf.Tensor2D, scalars: tf.Scalar[]) => {
    const p = combined(v, t, scalars);
    p.loss.dispose();
    return { contrastive: p.contrastive, affiliation: p.affiliation };
  };
  return { keys, f, parts };
}
