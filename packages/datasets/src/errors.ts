/**
 * The package-wide error of `@pir/datasets` for a bad argument or option: a wrong type, a value out of range,
 * an unknown name. File, decoding and transform errors keep their own, more specific classes
 * (`AnnotationError`, `ImageDecodeError`, `TransformInputError`); all of them extend `PirError`.
 */
import { PirError, type PirErrorOptions } from '@pir/runtime/errors';

/**
 * Thrown (as a rejected promise by the `async` functions) when a function of `@pir/datasets` is called with an
 * argument or option it cannot use: a `batchSize` that is not a positive integer, a caption that is not a
 * string, a `RawImage` whose `data` does not hold `width × height × channels` values, an unknown synthetic
 * scene class, a bad `concurrency`, a sampler state saved with other options, …
 *
 * `where` is the public function, class or method that was called (`'BatchSampler'`,
 * `'BatchSampler.setState'`, `'cleanCaption'`, `'generateSynthetic'`, `'findDuplicates'`, …) and `argument` the
 * argument or option at fault (`'batchSize'`, `'caption'`, `'image.data'`, `'classes'`, `'concurrency'`,
 * `'state.epoch'`, …; `''` when no single one is). The message starts with `where: `, names the argument,
 * shows the value or size that was seen and, where there is one, says what to do.
 *
 * It is package-wide (every subpath's functions throw the same class): import it from `@pir/datasets`.
 * `@pir/datasets` 0.1.0 threw plain `RangeError` / `TypeError` instead; catch `DatasetInputError` (or
 * `PirError`) now.
 *
 * @example
 * ```ts
 * try {
 *   new BatchSampler(dataset, { batchSize: 0 });
 * } catch (e) {
 *   if (e instanceof DatasetInputError) console.error(e.where, e.argument); // 'BatchSampler' 'batchSize'
 * }
 * ```
 */
export class DatasetInputError extends PirError {
  /**
   * @param where the public function, class or method that was called, e.g. `'BatchSampler'`
   * @param argument the argument or option at fault, e.g. `'batchSize'` (`''` for none)
   * @param message what was wrong (argument, value seen) and what to do; `where: ` is prefixed unless the
   *   message already starts with it
   */
  constructor(where: string, argument: string, message: string, options: PirErrorOptions = {}) {
    super(where, argument, message, options);
    this.name = 'DatasetInputError';
  }
}
