/**
 * A small declarative checker for the JSON model configurations: types, ranges, enum values, required and
 * unknown keys (with a "did you mean" for a near miss). Errors are `ModelInputError`s whose `argument` is the
 * key's path (`config.k`, `train.optimizer.lr`).
 */
import { ModelInputError } from './errors.js';

/** What a value of a configuration may be. */
export type FieldSpec =
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'number'; min?: number; max?: number; above?: number; below?: number }
  | { kind: 'boolean' }
  | { kind: 'string'; nonEmpty?: boolean }
  | { kind: 'enum'; values: readonly (string | number | boolean)[] }
  | { kind: 'object'; fields: Readonly<Record<string, FieldSpec>>; required?: readonly string[] }
  | { kind: 'array'; items: FieldSpec; minItems?: number; maxItems?: number; unique?: boolean }
  | { kind: 'tuple'; items: readonly FieldSpec[]; ordered?: boolean }
  | { kind: 'either'; options: readonly FieldSpec[] }
  | { kind: 'any' };

/** Optimal string alignment distance (Levenshtein with transpositions), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * The closest of `options` to `word` when it is close enough to be a typo (case and `-`/`_` ignored, or at most
 * a third of its letters off), else undefined.
 */
export function didYouMean(word: string, options: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const o of options) {
    const d = norm(o) === norm(word) ? 0 : distance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** ` (did you mean 'x'?)` or `''`. */
export function hint(word: string, options: readonly string[]): string {
  const m = didYouMean(word, options);
  return m === undefined ? '' : ` (did you mean '${m}'?)`;
}

function show(x: unknown): string {
  if (x === undefined) return 'undefined';
  const s = JSON.stringify(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A short description of what `spec` accepts (for error messages). */
export function describe(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'integer':
    case 'number': {
      const what = spec.kind === 'integer' ? 'an integer' : 'a number';
      const parts: string[] = [];
      if (spec.kind === 'number' && spec.above !== undefined) parts.push(`> ${spec.above}`);
      if (spec.min !== undefined) parts.push(`≥ ${spec.min}`);
      if (spec.kind === 'number' && spec.below !== undefined) parts.push(`< ${spec.below}`);
      if (spec.max !== undefined) parts.push(`≤ ${spec.max}`);
      return parts.length === 0 ? what : `${what} ${parts.join(' and ')}`;
    }
    case 'boolean':
      return 'true or false';
    case 'string':
      return spec.nonEmpty === true ? 'a non-empty string' : 'a string';
    case 'enum':
      return `one of ${spec.values.map((v) => show(v)).join(', ')}`;
    case 'object':
      return `an object { ${Object.keys(spec.fields).join(', ')} }`;
    case 'array':
      return `a list of ${describe(spec.items)}`;
    case 'tuple':
      return `a list of ${spec.items.length} (${spec.items.map(describe).join('; ')})`;
    case 'either':
      return spec.options.map(describe).join(', or ');
    case 'any':
      return 'anything';
  }
}

/** Whether `value` fits `spec` (no throw). */
function fits(value: unknown, spec: FieldSpec): boolean {
  try {
    checkValue('', value, spec, 'check');
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws a `ModelInputError` (`where`, argument = `path`) unless `value` fits `spec`.
 * @param path the key's path, e.g. `config.k`
 */
export function checkValue(path: string, value: unknown, spec: FieldSpec, where: string): void {
  function fail(detail: string): never {
    throw new ModelInputError(where, path, detail);
  }
  function expected(): never {
    fail(`must be ${describe(spec)}, got ${show(value)}`);
  }
  switch (spec.kind) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) expected();
      if (spec.kind === 'integer' && !Number.isInteger(value)) expected();
      if (spec.min !== undefined && value < spec.min) expected();
      if (spec.max !== undefined && value > spec.max) expected();
      if (spec.kind === 'number' && spec.above !== undefined && !(value > spec.above)) expected();
      if (spec.kind === 'number' && spec.below !== undefined && !(value < spec.below)) expected();
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') expected();
      return;
    case 'string':
      if (typeof value !== 'string' || (spec.nonEmpty === true && value === '')) expected();
      return;
    case 'enum':
      if (!spec.values.includes(value as string)) {
        const strings = spec.values.filter((v): v is string => typeof v === 'string');
        fail(
          `must be ${describe(spec)}, got ${show(value)}${typeof value === 'string' ? hint(value, strings) : ''}`,
        );
      }
      return;
    case 'object': {
      if (!isObject(value)) expected();
      const keys = Object.keys(spec.fields);
      for (const key of Object.keys(value)) {
        const sub = path === '' ? key : `${path}.${key}`;
        if (!(key in spec.fields))
          throw new ModelInputError(
            where,
            sub,
            `unknown key '${key}'${hint(key, keys)}; allowed: ${keys.join(', ')}`,
          );
      }
      for (const key of spec.required ?? [])
        if (value[key] === undefined)
          throw new ModelInputError(
            where,
            path === '' ? key : `${path}.${key}`,
            `is required: ${describe(spec.fields[key] as FieldSpec)}`,
          );
      for (const [key, sub] of Object.entries(spec.fields))
        if (value[key] !== undefined)
          checkValue(path === '' ? key : `${path}.${key}`, value[key], sub, where);
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) expected();
      if (spec.minItems !== undefined && value.length < spec.minItems)
        fail(`must have at least ${spec.minItems} entries, got ${value.length}`);
      if (spec.maxItems !== undefined && value.length > spec.maxItems)
        fail(`must have at most ${spec.maxItems} entries, got ${value.length}`);
      value.forEach((x, i) => {
        checkValue(`${path}.${i}`, x, spec.items, where);
      });
      if (spec.unique === true && new Set(value).size !== value.length) fail('must not repeat an entry');
      return;
    }
    case 'tuple': {
      if (!Array.isArray(value) || value.length !== spec.items.length) expected();
      value.forEach((x, i) => {
        checkValue(`${path}.${i}`, x, spec.items[i] as FieldSpec, where);
      });
      if (spec.ordered === true && (value as number[]).some((x, i) => i > 0 && x < (value[i - 1] as number)))
        fail(`must be in increasing order, got ${show(value)}`);
      return;
    }
    case 'either': {
      // an object that fails inside: report that object's first error (clearer than "must be …")
      const objectOption = spec.options.find((o) => o.kind === 'object');
      if (spec.options.some((o) => fits(value, o))) return;
      if (objectOption !== undefined && isObject(value)) checkValue(path, value, objectOption, where);
      expected();
      return;
    }
    case 'any':
      return;
  }
}
