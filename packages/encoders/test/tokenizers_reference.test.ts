import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BertTokenizer,
  basicTokenize,
  type ClipTokenizer,
  loadBertTokenizer,
  loadClipTokenizer,
} from '../src/tokenizers/index.js';
import bertIds from './fixtures/tokenizers/bert_ids.json';
import corpus from './fixtures/tokenizers/captions.json';
import clipIds from './fixtures/tokenizers/clip_ids.json';

let clip: ClipTokenizer;
let bert: BertTokenizer;
beforeAll(async () => {
  [clip, bert] = await Promise.all([loadClipTokenizer(), loadBertTokenizer()]);
});

/** Index of every text whose ids differ from the Python reference. */
function disagreements(encode: (t: string) => number[], want: number[][]): number[] {
  const bad: number[] = [];
  corpus.texts.forEach((t, i) => {
    const got = encode(t);
    const w = want[i] as number[];
    if (got.length !== w.length || got.some((x, j) => x !== w[j])) bad.push(i);
  });
  return bad;
}

describe('CLIP BPE vs the Python reference (tools/golden/tokenizers.py)', () => {
  it('vocabulary and special tokens', () => {
    expect(clip.vocabSize).toBe(49408);
    expect(clip.contextLength).toBe(77);
    expect([clip.sot, clip.eot]).toEqual([49406, 49407]);
  });
  it('pinned ids', () => {
    expect(clip.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(clip.encode('')).toEqual([49406, 49407]);
  });
  it(`100 % agreement on ${corpus.captions} RSITMD+RSICD test captions and ${corpus.tricky} tricky strings`, () => {
    const bad = disagreements((t) => clip.encode(t), clipIds);
    expect(bad.map((i) => corpus.texts[i])).toEqual([]);
  });
  it('decode inverts encode on captions (lower-cased, spaces normalised)', () => {
    const t = 'a large number of planes are parked next to the terminal building.';
    expect(clip.decode(clip.encode(t))).toBe(
      'a large number of planes are parked next to the terminal building .',
    );
    expect(() => clip.decode([49408])).toThrow(/id 49408 outside the vocabulary/);
  });
});

describe('BERT WordPiece vs the Python reference', () => {
  it('vocabulary and special tokens', () => {
    expect(bert.vocabSize).toBe(30522);
    expect([bert.padId, bert.unkId, bert.clsId, bert.sepId]).toEqual([0, 100, 101, 102]);
  });
  it('pinned ids', () => {
    expect(bert.encode('hello world')).toEqual([101, 7592, 2088, 102]);
    expect(bert.encode('unaffable')).toEqual([101, 14477, 20961, 3468, 102]); // un ##aff ##able
    expect(basicTokenize('Héllo, World!')).toEqual(['hello', ',', 'world', '!']);
  });
  it(`100 % agreement on ${corpus.captions} captions and ${corpus.tricky} tricky strings`, () => {
    const bad = disagreements((t) => bert.encode(t), bertIds);
    expect(bad.map((i) => corpus.texts[i])).toEqual([]);
  });
  it('decode glues ## pieces', () => {
    expect(bert.decode(bert.encode('Unaffable planes'))).toBe('unaffable planes');
  });
});

describeBackends('tokenizer batches', () => {
  it('CLIP pads to 77 with 0, truncates keeping <|endoftext|>, no leak', async () => {
    await expectNoLeak(async () => {
      const long = Array.from({ length: 100 }, () => 'plane').join(' ');
      const { ids, mask } = clip.batch(['a photo of a cat', long]);
      expect(ids.shape).toEqual([2, 77]);
      expect(ids.dtype).toBe('int32');
      const a = (await ids.array()) as number[][];
      const m = (await mask.array()) as number[][];
      expect(a[0]?.slice(0, 8)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 0]);
      expect(m[0]?.reduce((s, x) => s + x, 0)).toBe(7);
      expect(a[1]?.[76]).toBe(49407);
      expect(m[1]?.every((x) => x === 1)).toBe(true);
      ids.dispose();
      mask.dispose();
    });
  });
  it('BERT pads to 47 with [PAD], truncates keeping [SEP], no leak', async () => {
    await expectNoLeak(async () => {
      const { ids, mask } = bert.batch(['hello world', Array(60).fill('plane').join(' ')]);
      expect(ids.shape).toEqual([2, 47]);
      const a = (await ids.array()) as number[][];
      expect(a[0]?.slice(0, 5)).toEqual([101, 7592, 2088, 102, 0]);
      expect(a[1]?.[46]).toBe(102);
      expect(((await mask.array()) as number[][])[0]?.slice(0, 5)).toEqual([1, 1, 1, 1, 0]);
      ids.dispose();
      mask.dispose();
    });
  });
});
