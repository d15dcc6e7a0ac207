/**
 * The error type of the weight readers, writers and name maps.
 */
import { PirError, type PirErrorOptions } from '@pir/runtime/errors';

/**
 * Thrown when a weight file cannot be read or does not fit a model: a malformed header, an out-of-range
 * offset, a pickle global that is not allowed, missing/unexpected keys or mismatched shapes.
 *
 * `where` names the file or function (`'model.safetensors'`, `'checkKeys'`); `argument` the offending tensor
 * or global when there is one (`''` otherwise).
 *
 * @example
 * ```ts
 * try {
 *   readTorch(bytes, { name: 'evil.pth' });
 * } catch (e) {
 *   if (e instanceof WeightsError) console.log(e.argument); // 'posix.system'
 * }
 * ```
 */
export class WeightsError extends PirError {
  /**
   * @param where the file name or public function that failed (`'model.safetensors'`, `'checkKeys'`)
   * @param message what was wrong and what to do
   * @param key the offending tensor name or pickle global, when there is one
   * @param options `{ cause }`: the lower-level error (e.g. fflate's), when there is one
   */
  constructor(where: string, message: string, key?: string, options: PirErrorOptions = {}) {
    super(where, key ?? '', message, options);
    this.name = 'WeightsError';
  }

  /** @deprecated use {@link PirError.where} (the file or function). */
  get source(): string {
    return this.where;
  }

  /** The offending tensor name or pickle global (`undefined` when none). @deprecated use {@link PirError.argument}. */
  get key(): string | undefined {
    return this.argument === '' ? undefined : this.argument;
  }
}
