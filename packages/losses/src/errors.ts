/**
 * The one error type of `@pir/losses`: a bad argument, named, with the shapes that were seen.
 */

/**
 * Thrown when a loss receives an argument it cannot use: mismatched batch sizes, wrong ranks, labels of the
 * wrong length, a non-positive temperature, or (with `validate: true`) non-finite values.
 *
 * `fn` is the public function that rejected the input and `argument` the offending argument's name.
 *
 * @example
 * ```ts
 * try {
 *   multiPositiveInfoNCE(tf.ones([2, 4]), tf.ones([3, 4]), [0, 1]);
 * } catch (e) {
 *   if (e instanceof LossInputError) console.log(e.argument); // 't'
 * }
 * ```
 */
export class LossInputError extends Error {
  constructor(
    /** The public function that rejected its input, e.g. `'multiPositiveInfoNCE'`. */
    readonly fn: string,
    /** The offending argument, e.g. `'t'`, `'imageIds'`, `'temperature'`. */
    readonly argument: string,
    message: string,
  ) {
    super(`${fn}: ${message}`);
    this.name = 'LossInputError';
  }
}
