/**
 * The one error type of `@pir/belief`: a bad argument, named, with the shapes that were seen.
 */

/**
 * Thrown when a belief function or layer receives an argument it cannot use: wrong ranks, mismatched batch
 * or width, `k` out of range, an unknown variant.
 *
 * @example
 * ```ts
 * try {
 *   hardBelief(tf.ones([2, 5, 8]), tf.ones([2, 8]), { k: 6 });
 * } catch (e) {
 *   if (e instanceof BeliefInputError) console.log(e.argument); // 'k'
 * }
 * ```
 */
export class BeliefInputError extends Error {
  constructor(
    /** The public function or layer that rejected its input, e.g. `'hardBelief'`. */
    readonly fn: string,
    /** The offending argument, e.g. `'tokens'`, `'instruction'`, `'k'`. */
    readonly argument: string,
    message: string,
  ) {
    super(`${fn}: ${message}`);
    this.name = 'BeliefInputError';
  }
}
