/**
 * Name maps (state-dict key renames as data) and key/shape checks.
 */

import type { StateDict, StateTensor } from '@pir/nn';
import { WeightsError } from './errors.js';

/**
 * One rename rule. `pattern` is a regular-expression source (JSON-serialisable), matched against the whole
 * key's beginning unless it says otherwise; `replace` uses `$1`-style groups. A rule with `drop: true` removes
 * the matching keys instead (e.g. `num_batches_tracked`, CLIP's `attn_mask`).
 *
 * @example
 * ```ts
 * const rules: NameRule[] = [
 *   { pattern: '^module\\.', replace: '' },            // strip DataParallel prefix
 *   { pattern: '\\.num_batches_tracked$', drop: true },
 * ];
 * ```
 */
export interface NameRule {
  /** A RegExp source, e.g. `'^visual\\.'`. */
  pattern: string;
  /** Replacement (with `$1` groups); ignored when `drop` is set. */
  replace?: string;
  /** Remove keys that match instead of renaming them. */
  drop?: boolean;
  /**
   * A selecting rule: when a map has any, a key is kept only if at least one selecting rule matched it
   * (e.g. `^visual\\.` takes the image tower out of a whole CLIP state dict).
   */
  select?: boolean;
}

/**
 * Renames the keys of a state dict: every rule is applied in order to each key (each rule's first match;
 * a later rule sees the earlier renames); with selecting rules, keys no selecting rule matched are left out;
 * tensors are shared, not copied. Throws {@link WeightsError} when two keys map to the same name.
 * @example
 * ```ts
 * applyNameMap(new Map([['module.fc.weight', t]]), [{ pattern: '^module\\.', replace: '' }]);
 * // Map { 'fc.weight' => t }
 * ```
 */
export function applyNameMap(sd: StateDict, rules: readonly NameRule[]): StateDict {
  const compiled = rules.map((r) => {
    try {
      return { re: new RegExp(r.pattern), rule: r };
    } catch (e) {
      throw new WeightsError(
        'applyNameMap',
        `rule pattern '${r.pattern}' is not a valid RegExp: ${String(e)}`,
      );
    }
  });
  const selecting = rules.some((r) => r.select);
  const out: StateDict = new Map();
  const from = new Map<string, string>();
  for (const [key, t] of sd) {
    let name = key;
    let dropped = false;
    let matched = false;
    for (const { re, rule } of compiled) {
      if (!re.test(name)) continue;
      if (rule.drop) {
        dropped = true;
        break;
      }
      if (rule.select) matched = true;
      name = name.replace(re, rule.replace ?? '');
    }
    if (dropped || (selecting && !matched)) continue;
    const prev = from.get(name);
    if (prev !== undefined) {
      throw new WeightsError('applyNameMap', `keys '${prev}' and '${key}' both map to '${name}'`, name);
    }
    from.set(name, key);
    out.set(name, t);
  }
  return out;
}

/** What {@link checkKeys} found. */
export interface KeyReport {
  /** Expected keys absent from the state dict. */
  missing: string[];
  /** State-dict keys the model does not expect. */
  unexpected: string[];
  /** Keys present in both with different shapes. */
  mismatched: { key: string; expected: number[]; got: number[] }[];
}

/** Options of {@link checkKeys}. */
export interface CheckKeysOptions {
  /** Throw when something is wrong (default true); otherwise only return the report. */
  strict?: boolean;
  /** Tolerate unexpected keys (like PyTorch's `strict=False` for extras). Default false. */
  allowUnexpected?: boolean;
  /** Tolerate missing keys. Default false. */
  allowMissing?: boolean;
  /** Name used in the error message (a file or model name). Default `'checkKeys'`. */
  source?: string;
}

/**
 * Compares a state dict with the keys and shapes a model expects. With `strict` (default) it throws a
 * {@link WeightsError} that lists every missing key, every unexpected key and every shape mismatch.
 * @param expected name → shape the model wants (PyTorch layout)
 * @param got the (renamed) state dict
 * @example
 * ```ts
 * checkKeys(new Map([['fc.weight', [10, 512]]]), sd); // throws "missing: fc.weight" if absent
 * ```
 */
export function checkKeys(
  expected: ReadonlyMap<string, readonly number[]>,
  got: ReadonlyMap<string, Pick<StateTensor, 'shape'>>,
  options: CheckKeysOptions = {},
): KeyReport {
  const report: KeyReport = { missing: [], unexpected: [], mismatched: [] };
  for (const [key, shape] of expected) {
    const t = got.get(key);
    if (!t) report.missing.push(key);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      report.mismatched.push({ key, expected: [...shape], got: [...t.shape] });
    }
  }
  for (const key of got.keys()) if (!expected.has(key)) report.unexpected.push(key);
  const strict = options.strict ?? true;
  const bad =
    report.mismatched.length > 0 ||
    (!options.allowMissing && report.missing.length > 0) ||
    (!options.allowUnexpected && report.unexpected.length > 0);
  if (strict && bad) {
    const parts: string[] = [];
    const list = (xs: string[]) =>
      xs.length > 20 ? `${xs.slice(0, 20).join(', ')}, … (${xs.length} in all)` : xs.join(', ');
    if (report.missing.length && !options.allowMissing)
      parts.push(`missing ${report.missing.length} key(s): ${list(report.missing)}`);
    if (report.unexpected.length && !options.allowUnexpected) {
      parts.push(`unexpected ${report.unexpected.length} key(s): ${list(report.unexpected)}`);
    }
    if (report.mismatched.length) {
      parts.push(
        `shape mismatch: ${list(report.mismatched.map((m) => `${m.key} expected [${m.expected}] got [${m.got}]`))}`,
      );
    }
    throw new WeightsError(options.source ?? 'checkKeys', `${parts.join('; ')} (check the name map)`);
  }
  return report;
}
