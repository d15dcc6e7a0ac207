/**
 * State dicts of a model's own variables, PyTorch layout (`Linear` weights [out, in]), released names.
 */
import type { StateDict, StateDictEntry } from '@pir/pae';
import * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './errors.js';

/** One variable and how its PyTorch tensor is laid out (`'linear'`: transposed 2-D). */
export interface VariableSource {
  name: string;
  variable: tf.Variable;
  layout: 'same' | 'linear' | 'conv2d';
}

function torchShape(s: VariableSource): number[] {
  const shape = s.variable.shape;
  return s.layout === 'linear' ? [shape[1] as number, shape[0] as number] : [...shape];
}

function toTorch(s: VariableSource): tf.Tensor {
  return s.layout === 'linear' ? tf.transpose(s.variable) : tf.clone(s.variable);
}

function entryShape(e: StateDictEntry): number[] {
  return e instanceof tf.Tensor ? e.shape : e.shape;
}

function entryValue(e: StateDictEntry, s: VariableSource): tf.Tensor {
  return tf.tidy(() => {
    const t = e instanceof tf.Tensor ? tf.cast(e, 'float32') : tf.tensor(Float32Array.from(e.data), e.shape);
    return s.layout === 'linear' ? tf.transpose(t) : t;
  });
}

/** The variables as a state dict of new tensors (the caller disposes them). */
export function exportVariables(sources: readonly VariableSource[]): StateDict {
  const sd: StateDict = {};
  for (const s of sources) sd[s.name] = toTorch(s);
  return sd;
}

/**
 * Assign `sd` to the variables. Every missing / unexpected key and shape mismatch is collected first and
 * reported in one error (strict), so nothing is half-loaded.
 */
export function loadVariables(
  fn: string,
  sources: readonly VariableSource[],
  sd: StateDict,
  strict: boolean,
): { loaded: string[]; missing: string[]; unexpected: string[] } {
  const byName = new Map(sources.map((s) => [s.name, s]));
  const missing = sources.map((s) => s.name).filter((n) => !(n in sd));
  const unexpected = Object.keys(sd).filter((k) => !byName.has(k));
  const mismatched: string[] = [];
  for (const [k, e] of Object.entries(sd)) {
    const s = byName.get(k);
    if (s === undefined) continue;
    const want = torchShape(s);
    const got = entryShape(e);
    if (want.length !== got.length || want.some((d, i) => d !== got[i]))
      mismatched.push(`${k}: expected [${want}] (PyTorch layout), got [${got}]`);
  }
  const problems = [
    ...(mismatched.length > 0 ? [`shape mismatches: ${mismatched.join('; ')}`] : []),
    ...(strict && missing.length > 0 ? [`missing keys: ${missing.join(', ')}`] : []),
    ...(strict && unexpected.length > 0 ? [`unexpected keys: ${unexpected.join(', ')}`] : []),
  ];
  if (problems.length > 0)
    throw new ModelInputError(fn, 'stateDict', `${problems.join('. ')}. Nothing was loaded.`);
  const loaded: string[] = [];
  for (const [k, e] of Object.entries(sd)) {
    const s = byName.get(k);
    if (s === undefined) continue;
    const v = entryValue(e, s);
    s.variable.assign(v);
    v.dispose();
    loaded.push(k);
  }
  return { loaded, missing, unexpected };
}
