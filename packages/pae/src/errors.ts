/**
 * Errors of `@pir/pae`: a bad argument (named, with shapes), and a state dict that does not fit.
 */

/** Thrown when a PAE function or layer receives an argument it cannot use (wrong rank, width, heads…). */
export class PaeInputError extends Error {
  constructor(
    /** The public function or layer that rejected its input, e.g. `'SpatialPAE'`. */
    readonly fn: string,
    /** The offending argument, e.g. `'tokens'`, `'mask'`, `'heads'`. */
    readonly argument: string,
    message: string,
  ) {
    super(`${fn}: ${message}`);
    this.name = 'PaeInputError';
  }
}

/**
 * Thrown by {@link loadStateDict} when keys are missing, unexpected, or of the wrong shape. All problems
 * are listed at once (in the message and in the fields).
 */
export class StateDictError extends Error {
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: { key: string; expected: number[]; got: number[] }[],
  ) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing keys (${missing.length}): ${missing.join(', ')}`);
    if (unexpected.length > 0) parts.push(`unexpected keys (${unexpected.length}): ${unexpected.join(', ')}`);
    if (mismatched.length > 0) {
      parts.push(
        `shape mismatches (${mismatched.length}): ${mismatched
          .map((m) => `${m.key} expected [${m.expected}] (PyTorch layout) got [${m.got}]`)
          .join(', ')}`,
      );
    }
    super(`loadStateDict: ${parts.join('; ')}`);
    this.name = 'StateDictError';
  }
}
