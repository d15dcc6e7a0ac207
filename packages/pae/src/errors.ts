/**
 * Errors of `@pir/pae`: a bad argument (named, with shapes), and a state dict that does not fit.
 */
import { PirError } from '@pir/runtime/errors';

/** Thrown when a PAE function or layer receives an argument it cannot use (wrong rank, width, heads…). */
export class PaeInputError extends PirError {
  /**
   * @param where the public function or layer that rejected its input, e.g. `'SpatialPAE'`
   * @param argument the offending argument, e.g. `'tokens'`, `'mask'`, `'heads'`
   */
  constructor(where: string, argument: string, message: string) {
    super(where, argument, message);
    this.name = 'PaeInputError';
  }

  /** @deprecated use {@link PirError.where} */
  get fn(): string {
    return this.where;
  }
}

/** Thrown by `loadStateDict` when keys are missing, unexpected or mis-shaped: `@pir/nn`'s. */
export { StateDictError } from '@pir/nn';
