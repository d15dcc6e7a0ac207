/**
 * Loading PyTorch state dicts into the encoders by parameter name, with a report of missing and unexpected
 * keys and shape mismatches (PyTorch's `load_state_dict(strict=…)`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { EncoderError } from '../layers/errors.js';
import { numel, type ParamStore, torchToTfPerm } from '../layers/params.js';

/** One tensor of a state dict (structurally the `StateTensor` of `@pir/encoders` weights, float data). */
export interface StateEntry {
  /** PyTorch shape. */
  shape: readonly number[];
  /** Values, contiguous row-major. */
  data: ArrayLike<number> | BigInt64Array;
  /** Element type; 16-bit floats must be converted to float32 first. */
  dtype?: string;
}

/** A state dict: a `Map` (as the weight readers return) or a plain object (as JSON fixtures hold). */
export type StateDictLike = ReadonlyMap<string, StateEntry> | Readonly<Record<string, StateEntry>>;

/** Anything with named parameters (every model of this package). */
export interface HasParams {
  readonly params: ParamStore;
  /** State-dict keys the model knows but does not load (buffers it recomputes, e.g. `num_batches_tracked`). */
  readonly ignoredKeys?: readonly RegExp[];
}

/** Options of {@link loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * Only keys starting with this prefix are considered, and it is stripped (`'visual.'` for the image tower
   * of a whole CLIP state dict, `'bert.'` for a `BertForPreTraining` checkpoint). Default `''`.
   */
  prefix?: string;
  /** Throw on any missing/unexpected key or shape mismatch (PyTorch's `strict=True`). Default true. */
  strict?: boolean;
}

/** What {@link loadStateDict} did. */
export interface LoadReport {
  /** Model parameters the state dict did not provide (they keep their values). */
  missing: string[];
  /** State-dict keys (prefix stripped) the model does not have. */
  unexpected: string[];
  /** Keys present in both with different shapes (not loaded). */
  mismatched: { key: string; expected: number[]; got: number[] }[];
  /** Keys loaded. */
  loaded: string[];
}

const ALWAYS_IGNORED = [/(^|\.)num_batches_tracked$/];

function entriesOf(sd: StateDictLike): [string, StateEntry][] {
  return sd instanceof Map ? [...sd.entries()] : Object.entries(sd as Record<string, StateEntry>);
}

function toFloat32(key: string, e: StateEntry): Float32Array {
  if (e.dtype !== undefined && (e.dtype === 'float16' || e.dtype === 'bfloat16')) {
    throw new EncoderError(
      'loadStateDict',
      key,
      `${key} is ${e.dtype}: convert the state dict to float32 first`,
    );
  }
  if (e.data instanceof Float32Array) return e.data;
  if (e.data instanceof BigInt64Array) return Float32Array.from(e.data, (v) => Number(v));
  return Float32Array.from(e.data as ArrayLike<number>);
}

/**
 * Copy the tensors of a PyTorch state dict into a model's parameters by name, permuting PyTorch layouts
 * ([out, in] linear weights, [O, I, kH, kW] convolutions) to tfjs ones.
 *
 * @throws EncoderError when `strict` (default) and any key is missing, unexpected or mis-shaped; the message
 *   lists them all
 * @example
 * ```ts
 * const vit = new ClipVisionTransformer(CLIP_VIT_TINY);
 * const report = loadStateDict(vit, clipStateDict, { prefix: 'visual.' });
 * report.loaded.length; // every parameter
 * ```
 */
export function loadStateDict(
  model: HasParams,
  stateDict: StateDictLike,
  options: LoadStateDictOptions = {},
): LoadReport {
  const prefix = options.prefix ?? '';
  const strict = options.strict ?? true;
  const ignored = [...ALWAYS_IGNORED, ...(model.ignoredKeys ?? [])];
  const store = model.params;
  const report: LoadReport = { missing: [], unexpected: [], mismatched: [], loaded: [] };
  const seen = new Set<string>();
  const pending: [string, StateEntry][] = [];
  for (const [full, entry] of entriesOf(stateDict)) {
    if (!full.startsWith(prefix)) continue;
    const key = full.slice(prefix.length);
    const spec = store.spec(key);
    if (spec === undefined) {
      if (!ignored.some((r) => r.test(key))) report.unexpected.push(key);
      continue;
    }
    seen.add(key);
    const got = [...entry.shape];
    const same = got.length === spec.shape.length && got.every((d, i) => d === spec.shape[i]);
    if (!same || numel(got) !== (entry.data as ArrayLike<number>).length) {
      report.mismatched.push({ key, expected: [...spec.shape], got });
      continue;
    }
    pending.push([key, entry]);
  }
  for (const s of store.specs()) if (!seen.has(s.name)) report.missing.push(s.name);
  const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
  if (strict && problems > 0) {
    const parts: string[] = [];
    const list = (xs: string[]) =>
      xs.slice(0, 10).join(', ') + (xs.length > 10 ? `, … (${xs.length} in all)` : '');
    if (report.missing.length > 0) parts.push(`missing keys: ${list(report.missing)}`);
    if (report.unexpected.length > 0) parts.push(`unexpected keys: ${list(report.unexpected)}`);
    if (report.mismatched.length > 0) {
      parts.push(
        `shape mismatches: ${list(report.mismatched.map((m) => `${m.key} expected [${m.expected.join(', ')}] got [${m.got.join(', ')}]`))}`,
      );
    }
    const hint = prefix === '' ? ' (is a prefix such as "visual." needed?)' : '';
    throw new EncoderError(
      'loadStateDict',
      report.missing[0] ?? report.unexpected[0] ?? report.mismatched[0]?.key ?? '',
      `${store.owner}: ${parts.join('; ')}${hint}; pass { strict: false } to load the rest`,
    );
  }
  for (const [key, entry] of pending) {
    const spec = store.spec(key);
    if (spec === undefined) continue;
    const perm = torchToTfPerm(spec.layout);
    tf.tidy(() => {
      const t = tf.tensor(toFloat32(key, entry), [...entry.shape], 'float32');
      store.get(key).assign(perm === null ? t : tf.transpose(t, perm));
    });
    report.loaded.push(key);
  }
  return report;
}

/**
 * The model's parameters as a PyTorch-layout state dict (`{name: {shape, data}}`), e.g. to save or to compare
 * with PyTorch. Buffers included.
 */
export async function stateDictOf(
  model: HasParams,
  prefix = '',
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const spec of model.params.specs()) {
    const perm = torchToTfPerm(spec.layout);
    const v = model.params.get(spec.name);
    let inv: number[] | null = null;
    if (perm !== null) {
      inv = new Array<number>(perm.length);
      perm.forEach((p, i) => {
        (inv as number[])[p] = i;
      });
    }
    const t = inv === null ? v.clone() : tf.transpose(v, inv);
    const data = (await t.data()) as Float32Array;
    t.dispose();
    out.set(prefix + spec.name, { shape: [...spec.shape], data });
  }
  return out;
}
