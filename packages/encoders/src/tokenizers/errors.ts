/** The error type of the tokenizers and the vocabulary builder. */
export class TokenizerError extends Error {
  constructor(
    /** The tokenizer or function that failed, e.g. `'ClipTokenizer'`. */
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'TokenizerError';
  }
}
