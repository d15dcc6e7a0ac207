import { PirError } from '@pir/runtime/errors';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { describe, expect, it } from 'vitest';
import {
  buildWordVocab,
  captionWords,
  TokenizerError,
  tokenizerFromJSON,
  trainWordPiece,
  type WordTokenizer,
  wordPieceToJSON,
} from '../src/tokenizers/index.js';
import corpus from './fixtures/tokenizers/captions.json';

const captions = corpus.texts.slice(corpus.tricky);

describe('word vocabulary', () => {
  it('cleans captions as PIR does', () => {
    expect(captionWords("A plane's wing-tip, parked (near) runway/apron.")).toEqual([
      'a',
      'planes',
      'wing',
      'tip',
      'parked',
      'near',
      'runway',
      'apron',
    ]);
  });
  it('specials first, words by count, min count → [UNK], JSON round-trip', () => {
    const tok = buildWordVocab(['a plane', 'a plane and a ship', 'rare'], { minCount: 2 });
    expect(tok.tokens).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'plane']);
    expect(tok.encode('A plane, a ship!')).toEqual([2, 5, 6, 5, 1, 3]);
    expect(tok.decode(tok.encode('a plane'))).toBe('a plane');
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON()))) as WordTokenizer;
    expect(back.encode('a plane ship')).toEqual(tok.encode('a plane ship'));
  });
  it('rejects a vocabulary without specials', () => {
    expect(() => tokenizerFromJSON({ type: 'word', tokens: ['a'], contextLength: 8 })).toThrow(
      /lacks \[PAD\]/,
    );
    expect(() => tokenizerFromJSON({ type: 'x' as never, tokens: [], contextLength: 8 })).toThrow(
      /unknown vocabulary type 'x'/,
    );
    try {
      tokenizerFromJSON({ type: 'word', tokens: ['a'], contextLength: 8 });
    } catch (e) {
      expect(e).toBeInstanceOf(TokenizerError);
      expect(e).toBeInstanceOf(PirError);
      expect((e as TokenizerError).where).toBe('WordTokenizer');
    }
  });
});

describe('WordPiece training', () => {
  it('learns pieces that cover the corpus without [UNK], deterministic, JSON round-trip', () => {
    const train = captions.slice(0, 1500);
    const tok = trainWordPiece(train, { vocabSize: 600 });
    expect(tok.vocabSize).toBe(600);
    expect(trainWordPiece(train, { vocabSize: 600 }).tokens).toEqual(tok.tokens);
    for (const c of train.slice(0, 200)) expect(tok.encode(c)).not.toContain(tok.unkId);
    expect(tok.tokens.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    const back = tokenizerFromJSON(wordPieceToJSON(tok));
    expect(back.encode(train[7] as string)).toEqual(tok.encode(train[7] as string));
    expect(tok.decode(tok.encode('many planes parked'))).toBe('many planes parked');
  });
});

describeBackends('word vocabulary batches', () => {
  it('on the RSITMD+RSICD test captions: caps words at 30, pads batches', async () => {
    await expectNoLeak(() => {
      const tok = buildWordVocab(captions, { minCount: 2 });
      expect(tok.vocabSize).toBeGreaterThan(1000);
      expect(tok.encode(Array(40).fill('plane').join(' ')).length).toBe(32);
      const { ids, mask } = tok.batch(captions.slice(0, 3));
      expect(ids.shape).toEqual([3, 32]);
      ids.dispose();
      mask.dispose();
    });
  });
});
