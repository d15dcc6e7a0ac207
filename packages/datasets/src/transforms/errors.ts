import { PirError } from '@pir/runtime/errors';

/**
 * Thrown for bad transform arguments: `where` is the transform (`'resize'`, `'randAugment'`), `argument` the
 * argument at fault (`'x'`, `'size'`, `'options.magnitude'`), and the message names both and the shape:
 * `resize: x must be a tensor [H, W, C] or [B, H, W, C], got [3, 4]`.
 */
export class TransformInputError extends PirError {
  /**
   * @param where the transform that was called
   * @param argument the argument at fault
   * @param message what is wrong with it; the error's message is `${where}: ${argument} ${message}`
   */
  constructor(where: string, argument: string, message: string) {
    super(where, argument, `${where}: ${argument} ${message}`);
    this.name = 'TransformInputError';
  }

  /** @deprecated use {@link PirError.where} (the transform that was called) */
  get fn(): string {
    return this.where;
  }
}
