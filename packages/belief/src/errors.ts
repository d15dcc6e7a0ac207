/**
 * The one error type of `@pir/belief`: a bad argument, named, with the shapes that were seen.
 */
import { PirError, type PirErrorOptions } from '@pir/runtime/errors';

/**
 * Thrown when a belief function or layer receives an argument it cannot use: wrong ranks, mismatched batch
 * or width, `k` out of range, an unknown variant.
 *
 * A {@link PirError}: `where` is the public function or layer that rejected the input (`'hardBelief'`,
 * `'HardBelief'`, …) and `argument` the offending argument or config field (`'tokens'`, `'instruction'`,
 * `'mask'`, `'k'`, `'variant'`, `'inputs'`). The message starts with `where: ` and shows the shapes seen.
 *
 * @example
 * ```ts
 * try {
 *   hardBelief(tf.ones([2, 5, 8]), tf.ones([2, 8]), { k: 6 });
 * } catch (e) {
 *   if (e instanceof BeliefInputError) console.log(e.where, e.argument); // hardBelief k
 * }
 * ```
 */
export class BeliefInputError extends PirError {
  /**
   * @param where the public function or layer that rejected its input, e.g. `'hardBelief'`
   * @param argument the offending argument, e.g. `'tokens'`, `'instruction'`, `'k'`
   * @param message what was wrong (with the shapes seen); `where: ` is prefixed
   */
  constructor(where: string, argument: string, message: string, options: PirErrorOptions = {}) {
    super(where, argument, message, options);
    this.name = 'BeliefInputError';
  }

  /**
   * The public function or layer that rejected its input (same as {@link PirError.where}).
   * @deprecated use {@link PirError.where}
   */
  get fn(): string {
    return this.where;
  }
}
