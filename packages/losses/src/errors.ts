/**
 * The one error type of `@pir/losses`: a bad argument, named, with the shapes that were seen.
 */
import { PirError, type PirErrorOptions } from '@pir/runtime/errors';

/**
 * Thrown when a loss (or a learnable scale) receives an argument it cannot use: mismatched batch sizes, wrong
 * ranks, labels of the wrong length, a non-positive temperature, or (with `validate: true`) non-finite values.
 *
 * A {@link PirError}: `where` is the public function or class that rejected the input (`'multiPositiveInfoNCE'`,
 * `'LearnableTemperature'`, …) and `argument` the offending argument or option (`'t'`, `'imageIds'`,
 * `'temperature'`, …). The message starts with `where: ` and shows the shapes that were seen.
 *
 * @example
 * ```ts
 * try {
 *   multiPositiveInfoNCE(tf.ones([2, 4]), tf.ones([3, 4]), [0, 1]);
 * } catch (e) {
 *   if (e instanceof LossInputError) console.log(e.where, e.argument); // multiPositiveInfoNCE t
 * }
 * ```
 */
export class LossInputError extends PirError {
  /**
   * @param where the public function or class that rejected its input, e.g. `'multiPositiveInfoNCE'`
   * @param argument the offending argument, e.g. `'t'`, `'imageIds'`, `'temperature'`
   * @param message what was wrong (with the shapes seen) and what to do; `where: ` is prefixed
   */
  constructor(where: string, argument: string, message: string, options: PirErrorOptions = {}) {
    super(where, argument, message, options);
    this.name = 'LossInputError';
  }

  /**
   * The public function that rejected its input (same as {@link PirError.where}).
   * @deprecated use {@link PirError.where}
   */
  get fn(): string {
    return this.where;
  }
}
