/**
 * The error type of the encoder layers and models of `@pir/encoders`.
 */
import { PirError } from '@pir/runtime/errors';

/**
 * Thrown when a layer or model receives something it cannot use: an input of the wrong rank or size, a bad
 * configuration value, or a state dict whose keys or shapes do not fit the model.
 *
 * `where` names the public function, layer or model (`'ClipVisionTransformer.encode'`, `'loadStateDict'`) and
 * `argument` the offending argument, config field or state-dict key.
 *
 * @example
 * ```ts
 * try {
 *   new ClipVisionTransformer({ ...CLIP_VIT_TINY, imageSize: 30, patchSize: 8 });
 * } catch (e) {
 *   if (e instanceof EncoderError) console.log(e.argument); // 'imageSize'
 * }
 * ```
 */
export class EncoderError extends PirError {
  /**
   * @param where the function, layer or model that rejected its input, e.g. `'BertEncoder'`
   * @param argument the offending argument, config field or state-dict key
   */
  constructor(where: string, argument: string, message: string) {
    super(where, argument, message);
    this.name = 'EncoderError';
  }
}

/** Throw an {@link EncoderError} unless `cond`. */
export function check(cond: boolean, where: string, argument: string, message: () => string): asserts cond {
  if (!cond) throw new EncoderError(where, argument, message());
}

/** Check a tensor's rank (and optionally some dimensions; `-1` = any). */
export function checkShape(
  where: string,
  argument: string,
  shape: readonly number[],
  expected: readonly number[],
): void {
  const ok = shape.length === expected.length && expected.every((d, i) => d < 0 || d === shape[i]);
  check(ok, where, argument, () => {
    const want = expected.map((d) => (d < 0 ? '*' : String(d))).join(', ');
    return `${argument} must have shape [${want}], got [${shape.join(', ')}]`;
  });
}

/** Check that a config number is a positive integer. */
export function checkPositiveInt(where: string, field: string, value: number): void {
  check(
    Number.isInteger(value) && value > 0,
    where,
    field,
    () => `${field} must be a positive integer, got ${value}`,
  );
}
