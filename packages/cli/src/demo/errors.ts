/** The errors `runDemo` throws. */
import { PirError } from '@pir/runtime/errors';

/**
 * An option of {@link runDemo} it cannot run with: `where` is `'runDemo'`, `argument` the option at fault
 * (`'data.size'`, `'data.images'`, `'data.valShare'`, `'data.testShare'`, `'batchSize'`, `'out'`), and the
 * message says what to change.
 */
export class DemoOptionsError extends PirError {
  /**
   * @param argument the option at fault, as a path in `DemoOptions` (`'data.size'`)
   * @param detail what was wrong and what to do
   */
  constructor(argument: string, detail: string, options?: { cause?: unknown }) {
    super('runDemo', argument, `${argument} ${detail}`, options);
    this.name = 'DemoOptionsError';
  }
}

/**
 * The demo was stopped (Ctrl-C, or the `signal` option) while training: `where` is `'runDemo'`, `argument`
 * `''`; `runDir` is the run that was interrupted (its last checkpoint is there).
 */
export class DemoInterruptedError extends PirError {
  /** The run directory of the interrupted training. */
  readonly runDir: string;
  constructor(runDir: string) {
    super('runDemo', '', `interrupted; the run so far (checkpoint, log, curves) is in ${runDir}`);
    this.name = 'DemoInterruptedError';
    this.runDir = runDir;
  }
}
