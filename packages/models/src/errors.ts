/** Errors of `@pir/models`. */
import { PirError } from '@pir/runtime/errors';

/** Bad input to a `@pir/models` function or class: names the function, the argument and what to do. */
export class ModelInputError extends PirError {
  /**
   * @param where the method or class that rejected its input, e.g. `'PirItr.loss'`
   * @param argument the offending argument or config field
   * @param detail what was wrong and what to do
   */
  constructor(where: string, argument: string, detail: string) {
    super(where, argument, `${argument}: ${detail}`);
    this.name = 'ModelInputError';
  }

  /** @deprecated use {@link PirError.where} */
  get fn(): string {
    return this.where;
  }
}
