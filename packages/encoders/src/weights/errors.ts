/**
 * The error type of the weight readers, writers and name maps.
 */

/**
 * Thrown when a weight file cannot be read or does not fit a model: a malformed header, an out-of-range
 * offset, a pickle global that is not allowed, missing/unexpected keys or mismatched shapes.
 *
 * `source` names the file or function (`'model.safetensors'`, `'checkKeys'`); `key` the offending tensor
 * or global when there is one.
 *
 * @example
 * ```ts
 * try {
 *   readTorch(bytes, { name: 'evil.pth' });
 * } catch (e) {
 *   if (e instanceof WeightsError) console.log(e.key); // 'posix.system'
 * }
 * ```
 */
export class WeightsError extends Error {
  constructor(
    /** The file name or public function that failed. */
    readonly source: string,
    message: string,
    /** The offending tensor name or pickle global, when there is one. */
    readonly key?: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'WeightsError';
  }
}
