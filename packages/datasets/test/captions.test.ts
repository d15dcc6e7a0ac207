import { describe, expect, it } from 'vitest';
import { loadPirJson } from '../src/annotations/index.js';
import { cleanCaption, cleanCaptions, DEFAULT_MAX_WORDS } from '../src/captions/index.js';
import { expected, sha256, text } from './annotation_fixtures.js';
import { expectInputError } from './input_errors.js';

describe('cleanCaption (PIR_SPEC §5, against the Python reference)', () => {
  it('matches pre_caption on edge cases and real captions', () => {
    expect(expected.cleaning.length).toBeGreaterThan(40);
    for (const { raw, clean } of expected.cleaning) {
      expect(cleanCaption(raw), JSON.stringify(raw)).toBe(clean);
    }
  });

  it('honours maxWords', () => {
    for (const { raw, clean } of expected.cleaning_max_words_5) {
      expect(cleanCaption(raw, { maxWords: 5 }), JSON.stringify(raw)).toBe(clean);
    }
    expect(DEFAULT_MAX_WORDS).toBe(30);
  });

  it('matches the Python checksum of every caption of every fixture, raw and cleaned', async () => {
    const files = [
      ['rsitmd_test.json', text.rsitmdTest],
      ['rsitmd_val.json', text.rsitmdVal],
      ['rsitmd_train_subset.json', text.rsitmdTrain],
      ['rsicd_test_subset.json', text.rsicdTest],
    ] as const;
    for (const [name, contents] of files) {
      const ds = loadPirJson(contents, { file: name });
      const raw = ds.captions.map((c) => c.text);
      const exp = expected.fixtures[name]!;
      expect(await sha256(raw), name).toBe(exp.rawSha256);
      const clean = cleanCaptions(raw);
      expect(await sha256(clean), name).toBe(exp.cleanSha256);
      expect(Math.max(...clean.map((c) => c.split(' ').length)), name).toBe(exp.maxCleanWords);
    }
  });

  it('documented examples', () => {
    expect(
      cleanCaption('The river banks, decorated with trees; are connected by a cross-roads/bridge.'),
    ).toBe('the river banks decorated with trees are connected by a cross roads bridge');
    expect(cleanCaptions(['A bridge.', 'Two  ships!'])).toEqual(['a bridge', 'two ships']);
  });

  it('rejects bad input with a message naming it', () => {
    expectInputError(
      () => cleanCaption(3 as unknown as string),
      'cleanCaption',
      'caption',
      /caption must be a string, got number/,
    );
    expectInputError(
      () => cleanCaption(['a'] as unknown as string),
      'cleanCaption',
      'caption',
      /caption must be a string, got an array/,
    );
    expectInputError(
      () => cleanCaption('a', { maxWords: 0 }),
      'cleanCaption',
      'maxWords',
      /maxWords must be a positive integer, got 0/,
    );
    expectInputError(
      () => cleanCaptions(['a', null as unknown as string]),
      'cleanCaptions',
      'captions[1]',
      /captions\[1\] must be a string, got null/,
    );
    expectInputError(
      () => cleanCaptions('a' as unknown as string[]),
      'cleanCaptions',
      'captions',
      /must be an array of strings, got string/,
    );
    // the option errors of the list form name the function that was called
    expectInputError(
      () => cleanCaptions(['a'], { maxWords: 1.5 }),
      'cleanCaptions',
      'maxWords',
      /maxWords must be a positive integer, got 1.5/,
    );
  });
});
