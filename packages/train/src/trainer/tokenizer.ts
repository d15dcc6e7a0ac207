/**
 * The trainer's tokenizer when none is given: a word vocabulary of the training captions (`buildWordVocab` of
 * `@pir/encoders`), sized to the configuration's text encoder — for text encoders trained from scratch (the
 * test and tiny sizes, the synthetic benchmark). Pretrained towers need their own tokenizer
 * (`loadBertTokenizer`, `loadClipTokenizer`): pass it as `tokenizer`.
 */
import { cleanCaption } from '@pir/datasets';
import { buildWordVocab, type Tokenizer, WordTokenizer } from '@pir/encoders';
import { DEFAULT_SPECIALS } from '@pir/encoders/tokenizers';
import type { ResolvedModelConfig } from '@pir/models';
import { TrainInputError } from '../errors.js';
import type { TrainRecipe } from './recipe.js';

/** The text encoder's vocabulary size, longest sequence and pooling, from a resolved configuration. */
export function textEncoderLimits(config: ResolvedModelConfig): {
  vocabSize: number;
  contextLength: number;
  argmaxPooling: boolean;
} {
  const text = config.encoders.text;
  const c = text.config;
  const vocabSize = typeof c.vocabSize === 'number' ? c.vocabSize : Number.POSITIVE_INFINITY;
  const context = typeof c.maxPositions === 'number' ? c.maxPositions : c.contextLength;
  const argmaxPooling =
    c.pooling === 'argmax' || (c.pooling === undefined && /clip/i.test(text.architecture));
  return {
    vocabSize,
    contextLength: typeof context === 'number' ? context : Number.POSITIVE_INFINITY,
    argmaxPooling,
  };
}

/**
 * A word vocabulary of the (cleaned) training captions for the configuration's text encoder: at most its
 * vocabulary size (the most frequent words; the others become `[UNK]`), sequences of
 * `min(recipe.captions.maxTokens, the encoder's positions)` tokens, at most `recipe.captions.maxWords` words. For
 * a CLIP text tower, which pools the position of the largest id (CLIP's end-of-text token), `[SEP]` is given
 * the largest id of the vocabulary so that it is the token pooled.
 * @throws TrainInputError when the text encoder's vocabulary cannot hold the special tokens and one word
 */
export function wordTokenizerFor(
  config: ResolvedModelConfig,
  captions: readonly string[],
  recipe: TrainRecipe,
): WordTokenizer {
  const limits = textEncoderLimits(config);
  const specials = DEFAULT_SPECIALS.length;
  if (limits.vocabSize < specials + 1)
    throw new TrainInputError(
      'train',
      'tokenizer',
      `the text encoder's vocabulary (${limits.vocabSize}) is too small for a word vocabulary; pass a tokenizer`,
    );
  const contextLength = Math.min(recipe.captions.maxTokens, limits.contextLength);
  const maxWords = recipe.captions.maxWords;
  const built = buildWordVocab(
    captions.map((c) => cleanCaption(c, { maxWords })),
    {
      contextLength,
      maxWords,
      ...(Number.isFinite(limits.vocabSize) ? { maxSize: limits.vocabSize - specials } : {}),
    },
  );
  if (!limits.argmaxPooling) return built;
  const tokens = built.tokens.filter((t) => t !== '[SEP]');
  return new WordTokenizer([...tokens, '[SEP]'], contextLength, maxWords);
}

/**
 * Check that a tokenizer fits the text encoder (ids below its vocabulary size, sequences no longer than its
 * positions).
 * @throws TrainInputError (`argument` `'tokenizer'`)
 */
export function checkTokenizer(where: string, tokenizer: Tokenizer, config: ResolvedModelConfig): void {
  const t = tokenizer as Partial<Tokenizer> | null;
  if (
    typeof t?.batch !== 'function' ||
    typeof t.vocabSize !== 'number' ||
    typeof t.contextLength !== 'number'
  )
    throw new TrainInputError(
      where,
      'tokenizer',
      'expected a Tokenizer of @pir/encoders (vocabSize, contextLength, batch)',
    );
  const limits = textEncoderLimits(config);
  if (t.vocabSize > limits.vocabSize)
    throw new TrainInputError(
      where,
      'tokenizer',
      `its vocabulary has ${t.vocabSize} ids but the text encoder embeds only ${limits.vocabSize}`,
    );
  if (t.contextLength > limits.contextLength)
    throw new TrainInputError(
      where,
      'tokenizer',
      `its sequences are ${t.contextLength} tokens long but the text encoder has ${limits.contextLength} positions`,
    );
}
