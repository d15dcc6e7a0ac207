/**
 * The one state-dict loader and exporter of the `@pir/*` packages (PyTorch's `load_state_dict(strict=…)` and
 * `state_dict()`), for anything that {@link HasParameters}: encoders, PAE layers, models, parameter stores.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NnInputError, type ShapeMismatch, StateDictError } from '../errors.js';
import { type TorchLayout, tfToTorchPerm, torchToTfPerm } from '../param_spec.js';
import { type HasParameters, hasParameters, type NamedParameter } from '../parameters.js';
import { toFloat32 } from './dtypes.js';
import { numel, type StateDict, type StateDType, type StateTensor } from './types.js';

/**
 * One tensor of a state dict as the loaders accept it (PyTorch layout): a {@link StateTensor} (what the
 * readers return), plain data with its shape (JSON fixtures), or a tfjs tensor.
 */
export type StateEntry =
  | StateTensor
  | tf.Tensor
  | { shape: readonly number[]; data: ArrayLike<number> | BigInt64Array; dtype?: StateDType | undefined };

/**
 * What every `loadStateDict` accepts: a {@link StateDict} or any `Map` of {@link StateEntry}s (as the readers
 * and {@link stateDict} return), or a plain object `{ name: entry }` (as JSON holds them).
 */
export type StateDictLike = ReadonlyMap<string, StateEntry> | Readonly<Record<string, StateEntry>>;

/** Options of {@link loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * Load the sub-dict under this prefix: only keys starting with it are considered, and it is stripped
   * (`'visual.'` for the image tower of a whole CLIP state dict, `'module.'` for a DataParallel checkpoint).
   * Default `''`.
   */
  prefix?: string;
  /**
   * Strip this prefix from the keys that have it and keep the others as they are (so they count as
   * unexpected). @deprecated use `prefix`, which also selects; kept for one release (it was `@pir/pae`'s option).
   */
  stripPrefix?: string;
  /**
   * `true` (default): any missing or unexpected key or shape mismatch throws a {@link StateDictError} listing
   * them all, and nothing is written. `false`: load what fits, report the rest.
   */
  strict?: boolean;
  /** Name of the caller in errors (default `'loadStateDict'`), e.g. `'PirItr.loadStateDict'`. */
  where?: string;
}

/** What {@link loadStateDict} did. */
export interface LoadReport {
  /** Keys loaded, in state-dict order. */
  loaded: string[];
  /** Parameters of the model the state dict did not provide (they keep their values). */
  missing: string[];
  /** State-dict keys (prefix stripped) the model does not have. */
  unexpected: string[];
  /** Keys present in both with different shapes (not loaded). */
  mismatched: ShapeMismatch[];
}

/** Keys no `@pir/*` model loads: PyTorch's BatchNorm step counters. */
const ALWAYS_IGNORED = [/(^|\.)num_batches_tracked$/];

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (x instanceof tf.Tensor) return `a tensor of shape [${x.shape.join(', ')}]`;
  return typeof x === 'object'
    ? `an object (${(x as object).constructor?.name ?? 'no prototype'})`
    : typeof x;
}

/**
 * The entries of a {@link StateDictLike}, checked: a clear error for anything that is not a state dict (a
 * checkpoint record holding one, an array, a tensor…).
 */
export function stateDictEntries(sd: StateDictLike, where = 'loadStateDict'): [string, StateEntry][] {
  let entries: [string, unknown][];
  if (sd instanceof Map) entries = [...sd.entries()];
  else if (typeof sd === 'object' && sd !== null && !Array.isArray(sd) && !(sd instanceof tf.Tensor)) {
    entries = Object.entries(sd);
  } else {
    throw new NnInputError(
      where,
      'stateDict',
      `expected a state dict — a Map (as readWeights / readSafetensors / readTorch / stateDict return) or a ` +
        `plain object { name: tensor } — got ${describe(sd)}`,
    );
  }
  for (const [key, e] of entries) {
    if (e instanceof tf.Tensor) {
      if (e.isDisposed) throw new NnInputError(where, key, `'${key}' is a disposed tensor`);
      continue;
    }
    const entry = e as { shape?: unknown; data?: unknown };
    const isEntry =
      typeof e === 'object' &&
      e !== null &&
      Array.isArray(entry.shape) &&
      entry.data !== undefined &&
      typeof (entry.data as { length?: unknown }).length === 'number';
    if (!isEntry) {
      const nested = ['model', 'state_dict', 'module', 'params'].find((k) =>
        sd instanceof Map ? sd.has(k) : Object.hasOwn(sd, k),
      );
      throw new NnInputError(
        where,
        key,
        `'${key}' is ${describe(e)}, not a tensor${
          nested !== undefined
            ? `: this looks like a checkpoint record; pass its '${nested}' entry (findStateDict of @pir/encoders/weights finds it)`
            : ' ({ shape, data } or a tf.Tensor)'
        }`,
      );
    }
    const n = numel(entry.shape as number[]);
    const len = (entry.data as { length: number }).length;
    if (len !== n) {
      throw new NnInputError(
        where,
        key,
        `'${key}' has ${len} values but its shape [${(entry.shape as number[]).join(', ')}] needs ${n}`,
      );
    }
  }
  return entries as [string, StateEntry][];
}

function entryShape(e: StateEntry): number[] {
  return [...e.shape];
}

/** A float32 tensor in the variable's (tfjs) layout from a PyTorch-layout entry. */
function toVariableValue(e: StateEntry, layout: TorchLayout | undefined, dtype: tf.DataType): tf.Tensor {
  return tf.tidy(() => {
    let t: tf.Tensor;
    if (e instanceof tf.Tensor)
      t = e.dtype === 'float32' ? tf.clone(e) : tf.cast(e, 'float32'); // never the caller's tensor
    else {
      const data =
        'dtype' in e && e.dtype !== undefined
          ? toFloat32(e as StateTensor)
          : e.data instanceof Float32Array
            ? e.data
            : e.data instanceof BigInt64Array
              ? Float32Array.from(e.data, (v) => Number(v))
              : Float32Array.from(e.data as ArrayLike<number>);
      t = tf.tensor(data, [...e.shape], 'float32');
    }
    const perm = torchToTfPerm(layout);
    const out = perm === null ? t : tf.transpose(t, perm);
    return dtype === 'float32' ? out : tf.cast(out, dtype);
  });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Where a prefix would have made the keys match: `'visual.'` when `visual.proj` came for `proj`. */
function prefixHint(missing: string[], unexpected: string[], prefix: string): string {
  for (const m of missing) {
    const u = unexpected.find((k) => k.endsWith(`.${m}`));
    if (u !== undefined) {
      const p = u.slice(0, u.length - m.length);
      return ` (the state dict's keys carry a prefix: pass { prefix: '${prefix}${p}' })`;
    }
  }
  if (prefix === '' && missing.length > 0 && unexpected.length > 0)
    return " (if the keys carry a prefix such as 'visual.' or 'module.', pass { prefix })";
  return '';
}

/** Every parameter of the targets, names checked unique. */
function collect(targets: HasParameters | readonly HasParameters[], where: string): NamedParameter[] {
  const list = Array.isArray(targets) ? (targets as readonly HasParameters[]) : [targets as HasParameters];
  const out: NamedParameter[] = [];
  const names = new Set<string>();
  for (const t of list) {
    if (!hasParameters(t)) {
      throw new NnInputError(
        where,
        'model',
        `expected a model, layer or ParamStore with namedParameters(), got ${describe(t)}`,
      );
    }
    for (const p of t.namedParameters()) {
      if (names.has(p.spec.name))
        throw new NnInputError(where, p.spec.name, `two parameters are named '${p.spec.name}'`);
      names.add(p.spec.name);
      out.push(p);
    }
  }
  return out;
}

/**
 * Copy a PyTorch state dict into a model's parameters by name, permuting PyTorch layouts ([out, in] Linear
 * weights, [O, I, kH, kW] convolutions) to tfjs ones and converting any float or integer dtype (float16 and
 * bfloat16 exactly) to the variables' float32.
 *
 * Several targets load together from one state dict (e.g. `[spatial, temporal, headImg, headTxt]` take a
 * whole PIR-ITR PAE checkpoint). Everything is checked before anything is written.
 *
 * @param target a model, layer or store ({@link HasParameters}), or several
 * @param sd what the readers return (a `Map`), or a plain object
 * @throws StateDictError when `strict` (default) and any key is missing, unexpected or mis-shaped — listing
 *   them all, with a hint when a prefix would have matched; NnInputError when `sd` is not a state dict
 * @example
 * ```ts
 * const a = new ParamStore(linearSpecs('fc', 3, 4), new Rng(1));
 * const b = new ParamStore(linearSpecs('fc', 3, 4), new Rng(2));
 * const sd = await stateDict(a); // Map { 'fc.weight' => { dtype: 'float32', shape: [4, 3], … }, 'fc.bias' => … }
 * loadStateDict(b, sd).loaded; // ['fc.weight', 'fc.bias']
 * a.dispose();
 * b.dispose();
 * ```
 */
export function loadStateDict(
  target: HasParameters | readonly HasParameters[],
  sd: StateDictLike,
  options: LoadStateDictOptions = {},
): LoadReport {
  const where = options.where ?? 'loadStateDict';
  const prefix = options.prefix ?? '';
  const strip = options.stripPrefix;
  const strict = options.strict ?? true;
  const params = collect(target, where);
  const list = Array.isArray(target) ? (target as readonly HasParameters[]) : [target as HasParameters];
  const ignored = [...ALWAYS_IGNORED, ...list.flatMap((t) => t.ignoredKeys ?? [])];
  const byName = new Map(params.map((p) => [p.spec.name, p]));
  const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
  const seen = new Set<string>();
  const pending: [string, StateEntry, NamedParameter][] = [];
  for (const [full, entry] of stateDictEntries(sd, where)) {
    if (!full.startsWith(prefix)) continue;
    let key = full.slice(prefix.length);
    if (strip !== undefined && key.startsWith(strip)) key = key.slice(strip.length);
    const p = byName.get(key);
    if (p === undefined) {
      if (!ignored.some((r) => r.test(key))) report.unexpected.push(key);
      continue;
    }
    seen.add(key);
    const got = entryShape(entry);
    if (!sameShape(got, p.spec.shape)) {
      report.mismatched.push({ key, expected: [...p.spec.shape], got });
      continue;
    }
    pending.push([key, entry, p]);
  }
  for (const p of params) if (!seen.has(p.spec.name)) report.missing.push(p.spec.name);
  const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
  if (strict && problems > 0) {
    const empty = stateDictEntries(sd, where).length === 0 ? ' (the state dict is empty)' : '';
    throw new StateDictError(where, report, empty || prefixHint(report.missing, report.unexpected, prefix));
  }
  for (const [key, entry, p] of pending) {
    const value = toVariableValue(entry, p.spec.layout, p.variable.dtype);
    p.variable.assign(value);
    value.dispose();
    report.loaded.push(key);
  }
  return report;
}

/** Options of {@link stateDict}. */
export interface StateDictOptions {
  /** Put this before every key (e.g. `'visual.'`). Default `''`. */
  prefix?: string;
}

/**
 * The parameters and buffers of a model (or several) as a PyTorch-layout {@link StateDict} of float32 data —
 * what `writeSafetensors` writes and every `loadStateDict` reads. Reads the values with `await data()`
 * (works on every backend, WebGPU included).
 * @example
 * ```ts
 * const store = new ParamStore(linearSpecs('fc', 3, 4), new Rng(0));
 * const sd = await stateDict(store, { prefix: 'head.' });
 * [...sd.keys()]; // ['head.fc.weight', 'head.fc.bias']
 * sd.get('head.fc.weight')?.shape; // [4, 3]
 * store.dispose();
 * ```
 */
export async function stateDict(
  target: HasParameters | readonly HasParameters[],
  options: StateDictOptions = {},
): Promise<StateDict> {
  const prefix = options.prefix ?? '';
  const params = collect(target, 'stateDict');
  const out: StateDict = new Map();
  for (const { spec, variable } of params) {
    const perm = tfToTorchPerm(spec.layout);
    const t = tf.tidy(() => {
      const f = variable.dtype === 'float32' ? variable : tf.cast(variable, 'float32');
      return perm === null ? tf.clone(f) : tf.transpose(f, perm);
    });
    const data = (await t.data()) as Float32Array;
    t.dispose();
    out.set(prefix + spec.name, { dtype: 'float32', shape: [...spec.shape], data });
  }
  return out;
}
