/**
 * The placeholder tokenizer a text encoder holds until a real one is attached.
 */
import type { TokenizedBatch, Tokenizer } from '../contract.js';
import { EncoderError } from '../layers/errors.js';

/**
 * A {@link Tokenizer} that only knows its sizes: every method throws, naming the encoder. Text encoders
 * built without `options.tokenizer` hold one (they still encode id tensors).
 */
export class MissingTokenizer implements Tokenizer {
  constructor(
    readonly vocabSize: number,
    readonly contextLength: number,
    private readonly owner: string,
  ) {}

  private fail(): never {
    throw new EncoderError(
      this.owner,
      'tokenizer',
      `no tokenizer attached: pass { tokenizer } to the ${this.owner} constructor`,
    );
  }

  encode(_text: string): number[] {
    return this.fail();
  }

  decode(_ids: readonly number[]): string {
    return this.fail();
  }

  batch(_texts: readonly string[]): TokenizedBatch {
    return this.fail();
  }
}
