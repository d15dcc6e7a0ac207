/** The error `runDemo` throws on options it cannot run with. */
import { PirError } from '@pir/runtime/errors';

/**
 * An option of {@link runDemo} it cannot run with: `where` is `'runDemo'`, `argument` the option at fault
 * (`'data.size'`, `'data.testShare'`, `'data.images'`, `'batchSize'`), and the message says what to change.
 */
export class DemoOptionsError extends PirError {
  /**
   * @param argument the option at fault, as a path in `DemoOptions` (`'data.size'`)
   * @param detail what was wrong and what to do
   */
  constructor(argument: string, detail: string) {
    super('runDemo', argument, `${argument} ${detail}`);
    this.name = 'DemoOptionsError';
  }
}
