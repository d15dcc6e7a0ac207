/**
 * `tokenizer.json` of a model directory: the text encoder's tokenizer as data, through the JSON forms of
 * `@pir/encoders` (a word vocabulary: `WordTokenizer#toJSON`; WordPiece: `wordPieceToJSON`), a reference to
 * the bundled CLIP BPE vocabulary (`loadClipTokenizer`), or `none` when the model was saved without one.
 *
 * ```json
 * { "format": "pir-tokenizer", "formatVersion": 1, "saveId": "…", "type": "word", "tokens": ["[PAD]", …], "contextLength": 32, "maxWords": 30 }
 * { "format": "pir-tokenizer", "formatVersion": 1, "saveId": "…", "type": "wordpiece", "tokens": […], "contextLength": 47, "lowerCase": true, "maxCharsPerWord": 100 }
 * { "format": "pir-tokenizer", "formatVersion": 1, "saveId": "…", "type": "clip-bpe", "vocabulary": "bundled", "vocabSize": 49408, "contextLength": 77 }
 * { "format": "pir-tokenizer", "formatVersion": 1, "saveId": "…", "type": "none", "vocabSize": 50, "contextLength": 16 }
 * ```
 */
import {
  BertTokenizer,
  ClipTokenizer,
  loadClipTokenizer,
  type Tokenizer,
  tokenizerFromJSON,
  WordTokenizer,
  wordPieceToJSON,
} from '@pir/encoders';
import { MissingTokenizer } from '@pir/encoders/models';
import { ModelInputError } from './errors.js';
import { MODEL_FILES, ModelFileError, type ModelTokenizerInfo } from './model_dir_format.js';

/** The `format` field of `tokenizer.json`. */
export const TOKENIZER_FORMAT = 'pir-tokenizer';

/** Vocabulary size of the bundled CLIP BPE (`loadClipTokenizer`). */
const CLIP_VOCAB = 49408;
/** `loadClipTokenizer().encode('a photo of a cat')`: tells the bundled vocabulary from other merges. */
const CLIP_PROBE: readonly number[] = [49406, 320, 1125, 539, 320, 2368, 49407];
/** Largest vocabulary `tokenizer.json` may list, and longest token. */
const MAX_TOKENS = 2 ** 22;
const MAX_TOKEN_CHARS = 1024;

/**
 * The JSON of a tokenizer (without the save id) and its summary for the manifest.
 * @param tokenizer what the text encoder holds (`undefined` or the encoder's placeholder: `none`)
 * @param text the text encoder's vocabulary size and context length (what `none` records)
 * @param where the public function, for errors
 * @throws ModelInputError for a tokenizer this format cannot describe (a custom class, CLIP merges other than
 *   the bundled ones)
 */
export function describeTokenizer(
  tokenizer: Tokenizer | undefined,
  text: { vocabSize: number; contextLength: number },
  where: string,
): { info: ModelTokenizerInfo; json: Record<string, unknown> } {
  if (tokenizer === undefined || tokenizer instanceof MissingTokenizer) {
    const { vocabSize, contextLength } = text;
    return {
      info: { type: 'none', vocabSize, contextLength },
      json: { type: 'none', vocabSize, contextLength },
    };
  }
  const info = (type: ModelTokenizerInfo['type']): ModelTokenizerInfo => ({
    type,
    vocabSize: tokenizer.vocabSize,
    contextLength: tokenizer.contextLength,
  });
  if (tokenizer instanceof WordTokenizer) return { info: info('word'), json: { ...tokenizer.toJSON() } };
  if (tokenizer instanceof BertTokenizer) {
    // lowerCase and maxCharsPerWord are not part of the WordPiece JSON form (nor public): read them back
    const opts = tokenizer as unknown as { lowerCase?: unknown; maxChars?: unknown };
    return {
      info: info('wordpiece'),
      json: {
        ...wordPieceToJSON(tokenizer),
        lowerCase: typeof opts.lowerCase === 'boolean' ? opts.lowerCase : true,
        maxCharsPerWord: typeof opts.maxChars === 'number' ? opts.maxChars : 100,
      },
    };
  }
  if (tokenizer instanceof ClipTokenizer) {
    const probe = tokenizer.vocabSize === CLIP_VOCAB ? tokenizer.encode('a photo of a cat') : [];
    if (probe.length !== CLIP_PROBE.length || probe.some((id, i) => id !== CLIP_PROBE[i]))
      throw new ModelInputError(
        where,
        'tokenizer',
        'a ClipTokenizer over merges other than the bundled CLIP vocabulary (loadClipTokenizer) cannot be ' +
          'saved: its merges are not readable back from it',
      );
    return {
      info: info('clip-bpe'),
      json: {
        type: 'clip-bpe',
        vocabulary: 'bundled',
        vocabSize: tokenizer.vocabSize,
        contextLength: tokenizer.contextLength,
      },
    };
  }
  throw new ModelInputError(
    where,
    'tokenizer',
    `a tokenizer of class ${tokenizer.constructor?.name ?? '?'} cannot be saved: a model directory holds a ` +
      'WordTokenizer, a BertTokenizer (WordPiece), the bundled ClipTokenizer, or none (pass { tokenizer: null })',
  );
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * The tokenizer `tokenizer.json` describes (`undefined` for `none`), checked against the manifest's summary.
 * @param bytes the file's contents
 * @param expected the manifest's tokenizer summary and save id
 * @param location the directory, for messages
 * @throws ModelFileError naming `tokenizer.json` and the field at fault
 */
export async function readTokenizer(
  bytes: Uint8Array,
  expected: { info: ModelTokenizerInfo; saveId: string },
  location: string,
): Promise<Tokenizer | undefined> {
  const file = MODEL_FILES.tokenizer;
  const fail = (argument: string, message: string): never => {
    throw new ModelFileError(file, argument, message, location);
  };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelFileError(file, '', `not valid UTF-8 JSON (${String(e)})`, location, { cause: e });
  }
  if (!isObject(json)) return fail('', 'must be a JSON object');
  if (json.format !== TOKENIZER_FORMAT)
    fail('format', `expected '${TOKENIZER_FORMAT}', got ${JSON.stringify(json.format)}`);
  if (json.saveId !== expected.saveId)
    fail(
      'saveId',
      `${JSON.stringify(json.saveId)} is not the save id of pir-model.json ('${expected.saveId}'): the files ` +
        'come from different saves (a save interrupted between files?); save the model again',
    );
  if (json.type !== expected.info.type)
    fail('type', `is ${JSON.stringify(json.type)} but pir-model.json says '${expected.info.type}'`);
  const contextLength = json.contextLength;
  if (
    !Number.isInteger(contextLength) ||
    (contextLength as number) < 1 ||
    (contextLength as number) > 2 ** 16
  )
    fail('contextLength', `must be an integer in [1, 65536], got ${JSON.stringify(contextLength)}`);
  let tokenizer: Tokenizer | undefined;
  try {
    switch (json.type) {
      case 'none':
        return undefined;
      case 'clip-bpe':
        if (json.vocabulary !== 'bundled')
          fail(
            'vocabulary',
            `only 'bundled' (loadClipTokenizer) is known, got ${JSON.stringify(json.vocabulary)}`,
          );
        tokenizer = await loadClipTokenizer({ contextLength: contextLength as number });
        break;
      case 'word':
      case 'wordpiece': {
        const tokens = json.tokens;
        if (!Array.isArray(tokens) || tokens.length > MAX_TOKENS)
          fail('tokens', `must be an array of at most ${MAX_TOKENS} strings`);
        (tokens as unknown[]).forEach((t, i) => {
          if (typeof t !== 'string' || t.length > MAX_TOKEN_CHARS)
            fail(`tokens[${i}]`, `must be a string of at most ${MAX_TOKEN_CHARS} characters`);
        });
        if (json.type === 'word') {
          const maxWords = json.maxWords ?? 30;
          if (!Number.isInteger(maxWords) || (maxWords as number) < 0)
            fail('maxWords', `must be a non-negative integer, got ${JSON.stringify(maxWords)}`);
          tokenizer = tokenizerFromJSON({
            type: 'word',
            tokens: tokens as string[],
            contextLength: contextLength as number,
            maxWords: maxWords as number,
          });
        } else {
          const lowerCase = json.lowerCase ?? true;
          const maxChars = json.maxCharsPerWord ?? 100;
          if (typeof lowerCase !== 'boolean') fail('lowerCase', 'must be true or false');
          if (!Number.isInteger(maxChars) || (maxChars as number) < 1)
            fail('maxCharsPerWord', `must be a positive integer, got ${JSON.stringify(maxChars)}`);
          tokenizer = new BertTokenizer(tokens as string[], {
            contextLength: contextLength as number,
            lowerCase: lowerCase as boolean,
            maxCharsPerWord: maxChars as number,
          });
        }
        break;
      }
      default:
        fail('type', `unknown tokenizer type ${JSON.stringify(json.type)}`);
    }
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(file, '', `cannot be built: ${(e as Error).message}`, location, { cause: e });
  }
  const t = tokenizer as Tokenizer;
  if (t.vocabSize !== expected.info.vocabSize)
    fail('tokens', `give a vocabulary of ${t.vocabSize} but pir-model.json says ${expected.info.vocabSize}`);
  return t;
}
