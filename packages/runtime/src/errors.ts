/**
 * `PirError`: the one base class of every error the `@pir/*` packages throw on purpose.
 *
 * Each package has its own subclasses (`LossInputError`, `StateDictError`, `ImageDecodeError`, …) so a
 * caller can catch one package's errors, but all of them carry the same two fields, so a caller (or the
 * `pir` command line) can report any of them the same way:
 *
 * | field      | what it names                                                   | e.g.                                    |
 * |------------|-----------------------------------------------------------------|-----------------------------------------|
 * | `where`    | the public function, class, method or **file** that failed      | `'hardBelief'`, `'PirItr.loss'`, `'train.json'` |
 * | `argument` | the argument, config field, state-dict key or file entry at fault (`''` when it is not one thing) | `'tokens'`, `'depths'`, `'visual.proj'`, `'line 12'` |
 *
 * The message always starts with `where`, then says what was seen and, where there is one, what to do.
 * Subclasses set `name` to their own class name (bundlers may minify class names, so it is not derived).
 */

/** Options of {@link PirError} (the standard `cause`). */
export interface PirErrorOptions {
  /** The lower-level error this one explains. */
  cause?: unknown;
}

/**
 * Base class of the `@pir/*` errors.
 *
 * @example
 * ```ts
 * try {
 *   hardBelief(tokens, instruction, { k: 100 });
 * } catch (e) {
 *   if (e instanceof PirError) console.error(`${e.where} (${e.argument}): ${e.message}`);
 *   else throw e;
 * }
 * ```
 */
export class PirError extends Error {
  /** The public function, class, method or file that raised the error. */
  readonly where: string;
  /** The offending argument, config field, state-dict key or file entry; `''` when the error is not about one. */
  readonly argument: string;

  /**
   * @param where the public function, class, method or file that failed
   * @param argument the argument, config field, key or entry at fault (`''` for none)
   * @param message what was wrong and what to do; `where: ` is prefixed unless it already starts with it
   */
  constructor(where: string, argument: string, message: string, options: PirErrorOptions = {}) {
    super(
      message.startsWith(`${where}:`) || where === '' ? message : `${where}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.where = where;
    this.argument = argument;
    this.name = 'PirError';
  }
}
