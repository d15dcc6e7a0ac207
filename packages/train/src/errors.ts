/** Errors of `@pir/train`. */
import { PirError, type PirErrorOptions } from '@pir/runtime/errors';

/**
 * Bad input to a `@pir/train` function or class: `where` names the function, class or method, `argument` the
 * argument or option at fault, and the message says what to do.
 */
export class TrainInputError extends PirError {
  /**
   * @param where the function, class or method that rejected its input, e.g. `'AdamW'`, `'trainStep'`
   * @param argument the offending argument, option or state entry
   * @param detail what was wrong and what to do
   * @param options `cause`: the lower-level error this one explains
   */
  constructor(where: string, argument: string, detail: string, options: PirErrorOptions = {}) {
    super(where, argument, `${argument}: ${detail}`, options);
    this.name = 'TrainInputError';
  }
}

/**
 * A checkpoint that cannot be resumed from: `where` is the checkpoint file (`'trainer.json'`,
 * `'optimizer.safetensors'`, …) or the store, `argument` the field at fault (`''` for the whole file),
 * `location` where the checkpoint lives (a directory, or `'memory'`).
 */
export class CheckpointError extends PirError {
  /** The checkpoint's directory (or `'memory'`). */
  readonly location: string;
  /**
   * @param where the file (or the store) at fault
   * @param argument the field or entry at fault (`''` for the whole file)
   * @param detail what was wrong and what to do
   * @param location the checkpoint's directory or `'memory'`
   * @param options `cause`: the lower-level error this one explains
   */
  constructor(
    where: string,
    argument: string,
    detail: string,
    location: string,
    options: PirErrorOptions = {},
  ) {
    super(where, argument, `${detail}${location === '' ? '' : ` (checkpoint: ${location})`}`, options);
    this.location = location;
    this.name = 'CheckpointError';
  }
}
