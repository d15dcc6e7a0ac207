/**
 * Errors of `@pir/nn`: a bad argument to a primitive or a parameter store, and a state dict that does not
 * fit a model. Both extend `PirError` (`where`, `argument`).
 */
import { PirError } from '@pir/runtime/errors';

/**
 * Thrown when a primitive or a {@link ParamStore} receives an argument it cannot use (a kernel whose shape
 * does not fit the input, heads that do not divide the width, an unknown parameter name…).
 *
 * @example
 * ```ts
 * try {
 *   linear(tf.ones([2, 3]), tf.ones([4, 5]));
 * } catch (e) {
 *   if (e instanceof NnInputError) console.log(e.where, e.argument); // 'linear' 'kernel'
 * }
 * ```
 */
export class NnInputError extends PirError {
  constructor(where: string, argument: string, message: string) {
    super(where, argument, message);
    this.name = 'NnInputError';
  }
}

/** A key present in both the state dict and the model, with different shapes (PyTorch layout). */
export interface ShapeMismatch {
  key: string;
  /** The model's shape (PyTorch layout: a Linear weight is [out, in]). */
  expected: number[];
  /** The state dict's shape. */
  got: number[];
}

function listed(keys: readonly string[], limit = 20): string {
  return keys.slice(0, limit).join(', ') + (keys.length > limit ? `, … (${keys.length} in all)` : '');
}

/**
 * Thrown by {@link loadStateDict} (and the models' `loadStateDict`) when keys are missing, unexpected or of
 * the wrong shape. Every problem is listed at once, in the message and in the fields, and nothing has been
 * written. `where` names the loader (`'loadStateDict'`, `'PirItr.loadStateDict'`), `argument` the first key
 * at fault.
 */
export class StateDictError extends PirError {
  /** Parameters of the model the state dict does not provide. */
  readonly missing: string[];
  /** State-dict keys the model does not have. */
  readonly unexpected: string[];
  /** Keys present in both with different shapes. */
  readonly mismatched: ShapeMismatch[];

  constructor(
    where: string,
    problems: { missing: string[]; unexpected: string[]; mismatched: ShapeMismatch[] },
    hint = '',
  ) {
    const { missing, unexpected, mismatched } = problems;
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing keys (${missing.length}): ${listed(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected keys (${unexpected.length}): ${listed(unexpected)}`);
    if (mismatched.length > 0) {
      const shown = mismatched.map(
        (m) => `${m.key} expected [${m.expected.join(', ')}] got [${m.got.join(', ')}]`,
      );
      parts.push(`shape mismatches (${mismatched.length}, PyTorch layout): ${listed(shown)}`);
    }
    super(
      where,
      missing[0] ?? unexpected[0] ?? mismatched[0]?.key ?? '',
      `${parts.join('; ')}. Nothing was loaded${hint}; pass { strict: false } to load what fits.`,
    );
    this.name = 'StateDictError';
    this.missing = missing;
    this.unexpected = unexpected;
    this.mismatched = mismatched;
  }
}
