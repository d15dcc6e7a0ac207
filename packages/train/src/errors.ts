/** Errors of `@pir/train`. */
import { PirError } from '@pir/runtime/errors';

/**
 * Bad input to a `@pir/train` function or class: `where` names the function, class or method, `argument` the
 * argument or option at fault, and the message says what to do.
 */
export class TrainInputError extends PirError {
  /**
   * @param where the function, class or method that rejected its input, e.g. `'AdamW'`, `'trainStep'`
   * @param argument the offending argument, option or state entry
   * @param detail what was wrong and what to do
   */
  constructor(where: string, argument: string, detail: string) {
    super(where, argument, `${argument}: ${detail}`);
    this.name = 'TrainInputError';
  }
}
