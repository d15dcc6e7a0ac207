/**
 * Vocabularies built from a caption corpus, for text encoders trained from scratch (GRU baselines, tiny
 * BERTs): a word-level vocabulary with a minimum count, and WordPiece training. Both save/load as JSON.
 */
import type { TokenizedBatch, Tokenizer } from '../contract.js';
import { packBatch } from './batch.js';
import { BertTokenizer, basicTokenize } from './bert.js';
import { TokenizerError } from './errors.js';

/** Special tokens, in id order: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4. */
export const DEFAULT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/**
 * PIR's caption cleaning (PIR_SPEC §5): lower-case, strip `,.'!?"()*#:;~`, `-` and `/` to spaces, split on
 * whitespace.
 * @example captionWords("A plane's wing-tip, parked.") // ['a', 'planes', 'wing', 'tip', 'parked']
 */
export function captionWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[,.'!?"()*#:;~]/g, '')
    .replace(/[-/]/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** JSON form of a built tokenizer. */
export interface VocabJSON {
  type: 'word' | 'wordpiece';
  /** Tokens by id. */
  tokens: string[];
  contextLength: number;
  /** Word vocabularies: most words kept per caption (PIR: 30); 0 = no limit. */
  maxWords?: number;
}

/** Options of {@link buildWordVocab}. */
export interface WordVocabOptions {
  /** Words seen fewer times become [UNK] (default 1: keep all). */
  minCount?: number;
  /** Keep at most this many words (most frequent first; specials not counted). Default: no limit. */
  maxSize?: number;
  /** Sequence length of `batch` (default 32: 30 words + [CLS] + [SEP]). */
  contextLength?: number;
  /** Words kept per caption before the special tokens (default 30, PIR's limit; 0 = no limit). */
  maxWords?: number;
}

/**
 * A word-level tokenizer: {@link captionWords} → ids, with [CLS] … [SEP] around them.
 * @example
 * ```ts
 * const tok = buildWordVocab(['a plane', 'two planes'], { minCount: 1 });
 * tok.encode('a plane'); // [2, 5, 6, 3]
 * WordTokenizer.fromJSON(tok.toJSON()).encode('a plane'); // same
 * ```
 */
export class WordTokenizer implements Tokenizer {
  readonly vocabSize: number;
  private readonly ids = new Map<string, number>();
  constructor(
    readonly tokens: readonly string[],
    readonly contextLength = 32,
    readonly maxWords = 30,
  ) {
    for (let i = 0; i < tokens.length; i++) this.ids.set(tokens[i] as string, i);
    for (const s of DEFAULT_SPECIALS.slice(0, 4)) {
      if (!this.ids.has(s)) throw new TokenizerError('WordTokenizer', `vocabulary lacks ${s}`);
    }
    this.vocabSize = tokens.length;
  }
  encode(text: string): number[] {
    let words = captionWords(text);
    if (this.maxWords > 0) words = words.slice(0, this.maxWords);
    const unk = this.ids.get('[UNK]') as number;
    return [
      this.ids.get('[CLS]') as number,
      ...words.map((w) => this.ids.get(w) ?? unk),
      this.ids.get('[SEP]') as number,
    ];
  }
  decode(ids: readonly number[]): string {
    return ids
      .filter((i) => i > 4 || this.tokens[i] === '[UNK]')
      .map((i) => this.tokens[i] ?? '[UNK]')
      .join(' ');
  }
  batch(texts: readonly string[]): TokenizedBatch {
    return packBatch(
      texts.map((t) => this.encode(t)),
      this.contextLength,
      this.ids.get('[PAD]') as number,
    );
  }
  toJSON(): VocabJSON {
    return {
      type: 'word',
      tokens: [...this.tokens],
      contextLength: this.contextLength,
      maxWords: this.maxWords,
    };
  }
  static fromJSON(j: VocabJSON): WordTokenizer {
    if (j.type !== 'word')
      throw new TokenizerError('WordTokenizer.fromJSON', `type is '${j.type}', expected 'word'`);
    return new WordTokenizer(j.tokens, j.contextLength, j.maxWords ?? 30);
  }
}

/**
 * Builds a word vocabulary from captions: specials first, then words by decreasing count (ties
 * alphabetical), dropping words below `minCount`.
 */
export function buildWordVocab(captions: Iterable<string>, options: WordVocabOptions = {}): WordTokenizer {
  const minCount = options.minCount ?? 1;
  const counts = new Map<string, number>();
  for (const c of captions) for (const w of captionWords(c)) counts.set(w, (counts.get(w) ?? 0) + 1);
  let words = [...counts].filter(
    ([w, n]) => n >= minCount && !(DEFAULT_SPECIALS as readonly string[]).includes(w),
  );
  words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (options.maxSize !== undefined) words = words.slice(0, options.maxSize);
  return new WordTokenizer(
    [...DEFAULT_SPECIALS, ...words.map(([w]) => w)],
    options.contextLength ?? 32,
    options.maxWords ?? 30,
  );
}

/** Options of {@link trainWordPiece}. */
export interface WordPieceOptions {
  /** Target vocabulary size, specials included (default 4000). */
  vocabSize?: number;
  /** Words seen fewer times are ignored while training (default 1). */
  minCount?: number;
  /** Sequence length of the returned tokenizer (default 47). */
  contextLength?: number;
}

/**
 * Trains a WordPiece vocabulary on captions (HF `tokenizers`' WordPiece trainer algorithm): start from the
 * characters (`##c` inside words), repeatedly merge the adjacent pair with the highest
 * `count(ab) / (count(a)·count(b))` (ties: alphabetical) until `vocabSize`. Words come from BERT's basic
 * tokenizer (lower-case, accents stripped, punctuation split). Returns a {@link BertTokenizer} over it.
 */
export function trainWordPiece(captions: Iterable<string>, options: WordPieceOptions = {}): BertTokenizer {
  const target = options.vocabSize ?? 4000;
  const minCount = options.minCount ?? 1;
  const counts = new Map<string, number>();
  for (const c of captions) for (const w of basicTokenize(c)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words: { pieces: string[]; n: number }[] = [];
  const vocab = new Set<string>();
  for (const [w, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (n < minCount) continue;
    const pieces = Array.from(w, (ch, i) => (i === 0 ? ch : `##${ch}`));
    for (const p of pieces) vocab.add(p);
    words.push({ pieces, n });
  }
  const tokens: string[] = [...DEFAULT_SPECIALS, ...[...vocab].sort()];
  while (tokens.length < target) {
    const pair = new Map<string, number>();
    const single = new Map<string, number>();
    for (const { pieces, n } of words) {
      for (let i = 0; i < pieces.length; i++) {
        single.set(pieces[i] as string, (single.get(pieces[i] as string) ?? 0) + n);
        if (i + 1 < pieces.length) {
          const k = `${pieces[i]} ${pieces[i + 1]}`;
          pair.set(k, (pair.get(k) ?? 0) + n);
        }
      }
    }
    let best: string | undefined;
    let bestScore = -1;
    for (const [k, n] of pair) {
      const [a, b] = k.split(' ') as [string, string];
      const score = n / ((single.get(a) as number) * (single.get(b) as number));
      if (score > bestScore || (score === bestScore && best !== undefined && k < best)) {
        best = k;
        bestScore = score;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split(' ') as [string, string];
    const merged = a + (b.startsWith('##') ? b.slice(2) : b);
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.pieces.length; i++) {
        if (w.pieces[i] === a && w.pieces[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(w.pieces[i] as string);
      }
      w.pieces = out;
    }
    if (!vocab.has(merged)) {
      vocab.add(merged);
      tokens.push(merged);
    }
  }
  return new BertTokenizer(tokens, { contextLength: options.contextLength ?? 47 });
}

/** Saves a WordPiece {@link BertTokenizer} as {@link VocabJSON}. */
export function wordPieceToJSON(tok: BertTokenizer): VocabJSON {
  return { type: 'wordpiece', tokens: [...tok.tokens], contextLength: tok.contextLength };
}

/** Loads a tokenizer saved by `WordTokenizer#toJSON` or {@link wordPieceToJSON}. */
export function tokenizerFromJSON(j: VocabJSON): WordTokenizer | BertTokenizer {
  if (j.type === 'word') return WordTokenizer.fromJSON(j);
  if (j.type === 'wordpiece') return new BertTokenizer(j.tokens, { contextLength: j.contextLength });
  throw new TokenizerError('tokenizerFromJSON', `unknown vocabulary type '${(j as { type: string }).type}'`);
}
