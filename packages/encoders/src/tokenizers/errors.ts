/** The error type of the tokenizers and the vocabulary builder. */
import { PirError } from '@pir/runtime/errors';

/**
 * Thrown when a tokenizer or vocabulary cannot be built or used: a vocabulary that lacks a special token, a
 * JSON vocabulary of the wrong type, a missing vocabulary file. `where` names the tokenizer or function.
 */
export class TokenizerError extends PirError {
  /**
   * @param where the tokenizer or function that failed, e.g. `'ClipTokenizer'`
   * @param message what was wrong and what to do
   * @param argument the offending argument, token or file, when there is one
   */
  constructor(where: string, message: string, argument = '') {
    super(where, argument, message);
    this.name = 'TokenizerError';
  }

  /** @deprecated use {@link PirError.where} */
  get source(): string {
    return this.where;
  }
}
