/**
 * State dicts with the released PIR module names (`img_sa.0.mhatt.linear_q.weight`, …, PyTorch layout:
 * Linear weights [out, in]): load into layers, export from them, convert to a functional {@link Params}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PaeLayer } from './base.js';
import { StateDictError } from './errors.js';
import type { Params } from './functional.js';
import { type ParamSpec, torchName, torchShape } from './specs.js';

/** One tensor of a state dict: a tf.Tensor, or plain data with its shape (PyTorch layout). */
export type StateDictEntry = tf.Tensor | { data: ArrayLike<number>; shape: number[] };
/** A `{name → tensor}` map as PyTorch's `module.state_dict()`. */
export type StateDict = Record<string, StateDictEntry>;

/** Options of {@link loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * `true` (default): missing and unexpected keys are errors (shape mismatches always are).
   * `false`: load what matches, return the rest.
   */
  strict?: boolean;
  /** Strip this prefix from every key first (e.g. `'module.'` of DataParallel checkpoints). */
  stripPrefix?: string;
}

function entryShape(e: StateDictEntry): number[] {
  return e instanceof tf.Tensor ? e.shape : e.shape;
}

function entryTensor(e: StateDictEntry): tf.Tensor {
  if (e instanceof tf.Tensor) return tf.cast(e, 'float32');
  return tf.tensor(Float32Array.from(e.data), e.shape, 'float32');
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Our value from a PyTorch-layout tensor: Linear weights are transposed. */
function toOurs(spec: ParamSpec, t: tf.Tensor): tf.Tensor {
  return spec.name === 'kernel' || spec.name.endsWith('.kernel') ? tf.transpose(t) : tf.clone(t);
}

/**
 * Load a released-name state dict into one or several layers (e.g. `[spatial, temporal, headImg, headTxt]`
 * together take a whole PIR-ITR PAE checkpoint). Layers are built first if needed. All missing and
 * unexpected keys and all shape mismatches are reported at once in a {@link StateDictError}; nothing is
 * written unless every check passes.
 *
 * @returns the keys loaded, and (non-strict) the missing and unexpected ones
 * @example
 * ```ts
 * const spatial = new SpatialPAE({ dim: 512 });
 * const temporal = new TemporalPAE({ dim: 512 });
 * const heads = [new PaeHead({ stateName: 'head_img' }), new PaeHead({ stateName: 'head_txt' })];
 * loadStateDict([spatial, temporal, ...heads], stateDict); // keys: img_sa.0.mhatt.linear_q.weight, …
 * ```
 */
export function loadStateDict(
  layers: PaeLayer | PaeLayer[],
  stateDict: StateDict,
  options: LoadStateDictOptions = {},
): { loaded: string[]; missing: string[]; unexpected: string[] } {
  const strict = options.strict ?? true;
  const sd: StateDict = {};
  for (const [k, v] of Object.entries(stateDict)) {
    const key =
      options.stripPrefix !== undefined && k.startsWith(options.stripPrefix)
        ? k.slice(options.stripPrefix.length)
        : k;
    sd[key] = v;
  }
  const targets: {
    key: string;
    spec: ParamSpec;
    variable: ReturnType<PaeLayer['variablesByName']> extends Map<string, infer V> ? V : never;
  }[] = [];
  for (const layer of Array.isArray(layers) ? layers : [layers]) {
    const vars = layer.variablesByName();
    for (const spec of layer.paramSpecs()) {
      targets.push({ key: torchName(spec.name), spec, variable: vars.get(spec.name) as never });
    }
  }
  const claimed = new Set(targets.map((t) => t.key));
  const missing = targets.filter((t) => !(t.key in sd)).map((t) => t.key);
  const unexpected = Object.keys(sd).filter((k) => !claimed.has(k));
  const mismatched: { key: string; expected: number[]; got: number[] }[] = [];
  for (const t of targets) {
    const e = sd[t.key];
    if (e === undefined) continue;
    const expected = torchShape(t.spec);
    const got = entryShape(e);
    if (!sameShape(expected, got)) mismatched.push({ key: t.key, expected, got: [...got] });
    else if (!(e instanceof tf.Tensor) && e.data.length !== expected.reduce((a, b) => a * b, 1)) {
      mismatched.push({ key: t.key, expected, got: [e.data.length] });
    }
  }
  if (mismatched.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
    throw new StateDictError(strict ? missing : [], strict ? unexpected : [], mismatched);
  }
  const loaded: string[] = [];
  for (const t of targets) {
    const e = sd[t.key];
    if (e === undefined) continue;
    tf.tidy(() => {
      t.variable.write(toOurs(t.spec, entryTensor(e)));
    });
    loaded.push(t.key);
  }
  return { loaded, missing, unexpected };
}

/**
 * The layers' weights as a released-name state dict (PyTorch layout), plain data — e.g. to save as JSON
 * or hand to a PyTorch writer.
 */
export async function exportStateDict(
  layers: PaeLayer | PaeLayer[],
): Promise<Record<string, { data: Float32Array; shape: number[] }>> {
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const layer of Array.isArray(layers) ? layers : [layers]) {
    const vars = layer.variablesByName();
    for (const spec of layer.paramSpecs()) {
      const v = (vars.get(spec.name) as { read(): tf.Tensor }).read();
      const t = spec.name === 'kernel' || spec.name.endsWith('.kernel') ? tf.transpose(v) : tf.clone(v);
      out[torchName(spec.name)] = { data: (await t.data()) as Float32Array, shape: t.shape };
      t.dispose();
    }
  }
  return out;
}

/**
 * Convert a released-name state dict into a {@link Params} record for the functional API (Linear
 * `X.weight` [out, in] → `X.kernel` [in, out]). The caller owns (disposes) the returned tensors.
 */
export function fromTorchStateDict(stateDict: StateDict): Params {
  const p: Params = {};
  for (const [k, e] of Object.entries(stateDict)) {
    const shape = entryShape(e);
    const t = entryTensor(e);
    if (k.endsWith('.weight') && shape.length === 2) {
      p[`${k.slice(0, -'.weight'.length)}.kernel`] = tf.tidy(() => tf.transpose(t));
      t.dispose();
    } else p[k] = t;
  }
  return p;
}
