/**
 * The one error type of `@pir/metrics`: a bad input, named, with the shapes or position that were seen.
 */
import { PirError, type PirErrorOptions } from '@pir/runtime/errors';

/**
 * Thrown (as a rejected promise by the `async` entry points) when an evaluation receives an input it cannot
 * use: a matrix of the wrong rank, dtype or size, embeddings of different widths D, a caption → image map of
 * the wrong length or with an index out of range, an image without caption (unless
 * `imagesWithoutCaptions: 'skip'`), NaN/±Infinity in a matrix, or a bad option (`ks`, `ties`, `chunkSize`, …).
 *
 * `where` is the public function that was called (`'evaluateRetrieval'`, `'evaluateSimilarity'`,
 * `'captionToImageMap'`) and `argument` the argument or option at fault (`'images'`, `'texts'`, `'sim'`,
 * `'captionToImage'`, `'ks'`, …; `''` when no single argument is, e.g. scores that overflowed float32).
 * The message starts with `where: `, names the argument and shows the shapes or the position.
 *
 * `@pir/metrics` 0.1.0 threw plain `RangeError` / `TypeError` instead; catch `MetricsInputError` (or
 * `PirError`) now.
 *
 * @example
 * ```ts
 * try {
 *   await evaluateSimilarity({ data: new Float32Array(6), shape: [2, 3] }, [0, 0, 2]);
 * } catch (e) {
 *   if (e instanceof MetricsInputError) console.log(e.where, e.argument); // evaluateSimilarity captionToImage
 * }
 * ```
 */
export class MetricsInputError extends PirError {
  /**
   * @param where the public function that was called, e.g. `'evaluateRetrieval'`
   * @param argument the argument or option at fault, e.g. `'images'`, `'ks'` (`''` for none)
   * @param message what was wrong (argument, shapes, position) and what to do; `where: ` is prefixed
   */
  constructor(where: string, argument: string, message: string, options: PirErrorOptions = {}) {
    super(where, argument, message, options);
    this.name = 'MetricsInputError';
  }
}
