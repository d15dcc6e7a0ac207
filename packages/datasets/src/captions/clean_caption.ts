/**
 * Caption cleaning exactly as PIR's training code does it (PIR_SPEC §5; ALBEF's `pre_caption`).
 */
import { DatasetInputError } from '../errors.js';

/** Options of {@link cleanCaption}. */
export interface CleanCaptionOptions {
  /** Keep at most this many words (words = pieces between single spaces). Default 30. */
  maxWords?: number;
}

/** PIR's default word limit. */
export const DEFAULT_MAX_WORDS = 30;

// the punctuation PIR removes: , . ' ! ? " ( ) * # : ; ~
const PUNCTUATION = /[,.'!?"()*#:;~]/g;
// Python's `re.sub(r"\s{2,}", ' ', …)`: only runs of two or more whitespace characters collapse
const WHITESPACE_RUN = /\s{2,}/g;

/**
 * Clean one caption as PIR does before tokenising: lower-case; delete the characters `,.'!?"()*#:;~`;
 * turn `-` and `/` into spaces; collapse runs of two or more whitespace characters into one space; drop
 * trailing newlines and leading/trailing spaces; keep the first `maxWords` space-separated words.
 *
 * This reproduces the Python reference character for character, quirks included: a single tab between two
 * words stays a tab (only runs of ≥ 2 whitespace characters collapse) and does not separate words for the
 * word limit. Unicode letters are lower-cased with `toLowerCase()` (Python's `str.lower()` agrees on every
 * caption of RSICD and RSITMD).
 *
 * @param caption the raw caption
 * @returns the cleaned caption (possibly `''`)
 * @example
 * ```ts
 * cleanCaption('The river banks, decorated with trees; are connected by a cross-roads/bridge.');
 * // 'the river banks decorated with trees are connected by a cross roads bridge'
 * ```
 */
export function cleanCaption(caption: string, options: CleanCaptionOptions = {}): string {
  return captionOf(caption, options, 'cleanCaption');
}

/** {@link cleanCaption}, with `where` (the public function called) for its errors. */
function captionOf(caption: string, options: CleanCaptionOptions, where: string): string {
  if (typeof caption !== 'string') {
    throw new DatasetInputError(where, 'caption', `caption must be a string, got ${describe(caption)}`);
  }
  const maxWords = options.maxWords ?? DEFAULT_MAX_WORDS;
  if (!Number.isInteger(maxWords) || maxWords < 1) {
    throw new DatasetInputError(where, 'maxWords', `maxWords must be a positive integer, got ${maxWords}`);
  }
  let c = caption.toLowerCase().replace(PUNCTUATION, '').replaceAll('-', ' ').replaceAll('/', ' ');
  c = c.replace(WHITESPACE_RUN, ' ');
  c = c.replace(/\n+$/, ''); // rstrip('\n')
  c = c.replace(/^ +| +$/g, ''); // strip(' ')
  const words = c.split(' ');
  return words.length > maxWords ? words.slice(0, maxWords).join(' ') : c;
}

/**
 * Clean every caption of a list (see {@link cleanCaption}).
 * @example
 * ```ts
 * cleanCaptions(['A bridge.', 'Two  ships!']); // ['a bridge', 'two ships']
 * ```
 */
export function cleanCaptions(captions: readonly string[], options: CleanCaptionOptions = {}): string[] {
  if (!Array.isArray(captions)) {
    throw new DatasetInputError(
      'cleanCaptions',
      'captions',
      `cleanCaptions: captions must be an array of strings, got ${describe(captions)}`,
    );
  }
  return captions.map((c, i) => {
    if (typeof c !== 'string') {
      throw new DatasetInputError(
        'cleanCaptions',
        `captions[${i}]`,
        `cleanCaptions: captions[${i}] must be a string, got ${describe(c)}`,
      );
    }
    return captionOf(c, options, 'cleanCaptions');
  });
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
