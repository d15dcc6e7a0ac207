import { describe, expect, it } from 'vitest';
import { baseName, fileStem, labelIds, labelVocabulary, sceneLabel } from '../src/labels/index.js';
import { expectInputError } from './input_errors.js';

describe('sceneLabel', () => {
  it.each([
    ['test/parking_229.tif', 'parking'],
    ['train/bridge_942.tif', 'bridge'],
    ['denseresidential_1.jpg', 'denseresidential'],
    ['val/00017.jpg', '00017'],
    ['C:\\data\\images\\storagetanks_3_b.tif', 'storagetanks'],
    ['noext_5', 'noext'],
    ['archive.v2/playground_12.tif', 'playground'],
  ])('%s → %s', (file, label) => {
    expect(sceneLabel(file)).toBe(label);
  });

  it('shared class for unprefixed names on request', () => {
    expect(sceneLabel('00017.jpg', { unprefixed: 'shared-class' })).toBe('unlabelled');
    expect(sceneLabel('00017.jpg', { unprefixed: 'shared-class', sharedLabel: 'rsicd-misc' })).toBe(
      'rsicd-misc',
    );
    expect(sceneLabel('port_3.jpg', { unprefixed: 'shared-class' })).toBe('port');
  });

  it('errors name the file', () => {
    expectInputError(() => sceneLabel(''), 'sceneLabel', 'file', /file must be a non-empty string, got ""/);
    expectInputError(() => sceneLabel(3 as never), 'sceneLabel', 'file', /non-empty string, got 3/);
    expectInputError(
      () => sceneLabel('train/_5.tif'),
      'sceneLabel',
      'file',
      /'train\/_5.tif' starts with '_', so it has no scene prefix/,
    );
    expectInputError(() => sceneLabel('train/'), 'sceneLabel', 'file', /'train\/' has an empty file name/);
  });

  it('fileStem / baseName', () => {
    expect(fileStem('a/b/c_1.tif')).toBe('c_1');
    expect(fileStem('.hidden')).toBe('.hidden');
    expect(baseName('a\\b/c.jpg')).toBe('c.jpg');
  });
});

describe('labelVocabulary', () => {
  it('sorted ids by default', () => {
    const v = labelVocabulary(['port', 'beach', 'port']);
    expect(v.names).toEqual(['beach', 'port']);
    expect(v.ids.get('port')).toBe(1);
    expect(Array.from(labelIds(['port', 'beach'], v))).toEqual([1, 0]);
  });

  it('keeps fixed ids and fills the gaps in sorted order', () => {
    const v = labelVocabulary(['c', 'a', 'b', 'z'], { fixed: { z: 0, b: 2 } });
    expect(v.names).toEqual(['z', 'a', 'b', 'c']);
    const m = labelVocabulary(['x'], { fixed: new Map([['y', 2]]) });
    expect(m.names).toEqual(['x', '<unused 1>', 'y']);
  });

  it('errors', () => {
    expectInputError(
      () => labelVocabulary([], { fixed: { a: 0, b: 0 } }),
      'labelVocabulary',
      'fixed',
      /^labelVocabulary: fixed id 0 is given to both 'a' and 'b'$/,
    );
    expectInputError(
      () => labelVocabulary([], { fixed: new Map([['a', -1]]) }),
      'labelVocabulary',
      'fixed',
      /^labelVocabulary: fixed id of 'a' must be a non-negative integer, got -1$/,
    );
    expectInputError(
      () => labelIds(['a', 'q'], labelVocabulary(['a'])),
      'labelIds',
      'labels[1]',
      /labels\[1\] = 'q' is not in the vocabulary/,
    );
  });
});
