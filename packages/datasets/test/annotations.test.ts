import { PirError } from '@pir/runtime';
import { describe, expect, it } from 'vitest';
import {
  AnnotationError,
  checkImagesExist,
  type ImageTextDataset,
  JsonSyntaxError,
  loadCaptionLists,
  loadKarpathyJson,
  loadPirJson,
  mergeDatasets,
  parseJson,
  selectSplits,
  summarizeDataset,
} from '../src/annotations/index.js';
import { cleanCaption } from '../src/captions/index.js';
import { type Expected, expected, text } from './annotation_fixtures.js';
import { expectInputError, expectInputRejection } from './input_errors.js';

/** Compare a loaded dataset with the statistics make_fixtures.py computed in Python. */
function expectMatches(ds: ImageTextDataset, exp: Expected, what: string) {
  const s = summarizeDataset(ds);
  expect(s.images, what).toBe(exp.images);
  expect(s.captions, what).toBe(exp.captions);
  expect(s.imagesPerSplit, what).toEqual(exp.imagesPerSplit);
  expect(s.captionsPerSplit, what).toEqual(exp.captionsPerSplit);
  expect(s.captionsPerImage, what).toEqual(exp.captionsPerImage);
  expect(s.labels, what).toBe(exp.labels);
  expect(s.labelCounts, what).toEqual(exp.labelCounts);
  expect(ds.labels.filter((l) => /^\d+$/.test(l)).length, what).toBe(exp.numericLabels);
  expect(ds.images[0]!.file, what).toBe(exp.firstImage);
  expect(ds.images.at(-1)!.file, what).toBe(exp.lastImage);
  expect(ds.issues, what).toEqual([]);
  // the caption → image map agrees with the records and is grouped per image
  expect(ds.captionToImage.length).toBe(ds.captions.length);
  for (const im of ds.images) {
    for (const c of im.captions) expect(ds.captionToImage[c]).toBe(im.index);
    expect(ds.labels[im.labelId]).toBe(im.label);
  }
}

describe('PIR JSON on the real files (fixtures)', () => {
  it('rsitmd_test.json: 452 images, 2,260 captions, 32 labels', () => {
    const ds = loadPirJson(text.rsitmdTest, { file: 'rsitmd_test.json' });
    expectMatches(ds, expected.fixtures['rsitmd_test.json']!, 'rsitmd_test');
    expect(ds.images[0]).toMatchObject({
      file: 'test/parking_229.tif',
      name: 'parking_229.tif',
      label: 'parking',
      split: 'test',
    });
    expect(Array.from(ds.captionToImage.slice(0, 7))).toEqual([0, 0, 0, 0, 0, 1, 1]);
  });

  it('rsitmd_val.json: 856 images with the file’s label numbers as label ids', () => {
    const ds = loadPirJson(text.rsitmdVal, { file: 'rsitmd_val.json' });
    expectMatches(ds, expected.fixtures['rsitmd_val.json']!, 'rsitmd_val');
    const ids = expected.real['rsitmd_val.json']!.labelIds!;
    for (const [name, id] of Object.entries(ids)) expect(ds.labels[id], name).toBe(name);
  });

  it('rsitmd_train subset: one entry per caption grouped per image, image_id kept', () => {
    const ds = loadPirJson(text.rsitmdTrain, { file: 'rsitmd_train_subset.json' });
    const exp = expected.fixtures['rsitmd_train_subset.json']!;
    expectMatches(ds, exp, 'rsitmd_train_subset');
    expect(ds.images[0]!.sourceId).toBe(exp.firstImageId);
    for (const [name, id] of Object.entries(exp.labelIds!)) expect(ds.labels[id], name).toBe(name);
  });

  it('rsicd_test subset: number-only file names are their own classes', () => {
    const ds = loadPirJson(text.rsicdTest, { file: 'rsicd_test_subset.json' });
    const exp = expected.fixtures['rsicd_test_subset.json']!;
    expectMatches(ds, exp, 'rsicd_test_subset');
    expect(exp.numericLabels).toBeGreaterThan(0);
    const shared = loadPirJson(text.rsicdTest, {
      file: 'rsicd_test_subset.json',
      unprefixed: 'shared-class',
    });
    expect(shared.labels.length).toBe(exp.labels - exp.numericLabels + 1);
    expect(shared.labels).toContain('unlabelled');
  });

  it('accepts already-parsed JSON and an explicit split', () => {
    const ds = loadPirJson(
      [
        { image: 'a_1.tif', caption: ['x', 'y'] },
        { image: 'b_2.tif', caption: ['z', 'w'] },
      ],
      { split: 'val', captionsPerImage: 2 },
    );
    expect(ds.images.map((i) => [i.split, i.label])).toEqual([
      ['val', 'a'],
      ['val', 'b'],
    ]);
  });
});

describe('Karpathy JSON and caption lists (derived fixtures)', () => {
  it('Karpathy: 140 images in three splits', () => {
    const ds = loadKarpathyJson(text.karpathy, { file: 'dataset_rsitmd_karpathy.json' });
    expectMatches(ds, expected.fixtures['dataset_rsitmd_karpathy.json']!, 'karpathy');
    expect(ds.images[0]!.sourceId).toBe(0);
    expect(ds.captions[7]!.sourceId).toBe(7);
    const test = loadKarpathyJson(text.karpathy, { splits: ['test'], useFilepath: true });
    expect(test.images.length).toBe(40);
    expect(test.images[0]!.file).toMatch(/^test\//);
  });

  it('caption lists: test_caps.txt + test_filename.txt equal the PIR JSON test file', () => {
    const ds = loadCaptionLists(text.testCaps, text.testFilenames, 'test');
    expectMatches(ds, expected.fixtures['test_caps.txt']!, 'caption lists');
    const pir = loadPirJson(text.rsitmdTest, { file: 'rsitmd_test.json' });
    expect(ds.captions.map((c) => c.text)).toEqual(pir.captions.map((c) => c.text));
    expect(ds.images.map((i) => i.name)).toEqual(pir.images.map((i) => i.name));
    expect(Array.from(ds.captionToImage)).toEqual(Array.from(pir.captionToImage));
  });

  it('caption lists: CRLF line ends and no final newline', () => {
    const ds = loadCaptionLists('a\r\nb\r\nc\r\nd', 'x_1.tif\r\ny_2.tif', 'train', { captionsPerImage: 2 });
    expect(ds.captions.map((c) => c.text)).toEqual(['a', 'b', 'c', 'd']);
    expect(ds.images.map((i) => i.label)).toEqual(['x', 'y']);
  });
});

describe('validation errors name the file and the entry', () => {
  const five = ['a', 'b', 'c', 'd', 'e'];

  it('JSDoc example of parseJson', () => {
    expect(() => parseJson('[{"image": "a.tif",}]', 'val.json')).toThrow(
      "val.json:1:20: malformed JSON: expected a string key (no trailing commas in JSON), found '}'",
    );
  });

  it('malformed JSON: line and column', () => {
    const bad = '[\n  {"image": "test/a_1.tif", "caption": ["a"]},\n  {"image": "test/b_1.tif",}\n]';
    let err: unknown;
    try {
      loadPirJson(bad, { file: 'rsitmd_test.json' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JsonSyntaxError);
    expect(err).toBeInstanceOf(AnnotationError);
    expect(err).toBeInstanceOf(PirError);
    const j = err as JsonSyntaxError;
    expect([j.name, j.where, j.argument, j.file]).toEqual([
      'JsonSyntaxError',
      'rsitmd_test.json',
      'line 3, column 28',
      'rsitmd_test.json',
    ]);
    expect([j.line, j.column]).toEqual([3, 28]);
    expect(j.message).toMatch(/^rsitmd_test\.json:3:28: malformed JSON: expected a string key .*found '}'/);
  });

  it.each([
    ['[1, 2', /1:6: .*expected ',' or '\]', found the end of the file/],
    ['', /1:1: .*the file is empty/],
    ['[{"a": "x\ny"}]', /1:10: .*unescaped control character/],
    ['[{"a" 1}]', /1:7: .*expected ':' after the key/],
    ['[1,]', /1:4: .*no trailing commas/],
    ['[1] x', /1:5: .*after the end of the JSON value/],
    ['[tru]', /1:2: .*expected a value/],
    ['["\\q"]', /1:3: .*invalid escape/],
    ['["abc', /1:6: .*unterminated string/],
    ['\uFEFF{"images": [}', /1:13: .*expected a value/],
  ])('malformed JSON %j', (bad, re) => {
    expect(() => loadPirJson(bad, { file: 'f.json' })).toThrow(re);
  });

  it('missing and mistyped fields, with every bad entry listed', () => {
    const data = [
      { caption: five },
      { image: 'test/a_1.tif' },
      { image: 'test/b_1.tif', caption: 7 },
      { image: 'test/c_1.tif', caption: five, image_id: -1 },
      'nope',
      { image: 'test/ok_1.tif', caption: five },
    ];
    let err: AnnotationError | undefined;
    try {
      loadPirJson(data, { file: 'rsitmd_test.json' });
    } catch (e) {
      err = e as AnnotationError;
    }
    expect(err).toBeInstanceOf(AnnotationError);
    expect(err).toBeInstanceOf(PirError);
    // several bad entries: `argument` is '' (they are all in `issues`)
    expect([err!.name, err!.where, err!.argument, err!.issues.length]).toEqual([
      'AnnotationError',
      'rsitmd_test.json',
      '',
      5,
    ]);
    expect(err!.message).toMatch(/^rsitmd_test\.json: 5 bad entries/);
    expect(err!.message).toMatch(/rsitmd_test\.json: \[0\]: missing field 'image'/);
    expect(err!.message).toMatch(/rsitmd_test\.json: \[1\] \(test\/a_1\.tif\): missing field 'caption'/);
    expect(err!.message).toMatch(
      /\[2\] \(test\/b_1\.tif\): field 'caption' must be a string or an array of strings, got 7/,
    );
    expect(err!.message).toMatch(/\[3\] \(test\/c_1\.tif\): field 'image_id' must be a non-negative integer/);
    expect(err!.message).toMatch(/\[4\]: expected an object/);
    // lenient: the good entry loads, every skipped one is reported
    const ds = loadPirJson(data, { file: 'rsitmd_test.json', policy: 'lenient' });
    expect(ds.images.map((i) => i.file)).toEqual(['test/ok_1.tif']);
    expect(ds.issues.map((i) => i.where)).toEqual(['[0]', '[1]', '[2]', '[3]', '[4]']);
    expect(ds.issues.every((i) => i.severity === 'error' && i.file === 'rsitmd_test.json')).toBe(true);
  });

  it('one bad entry: AnnotationError names the file (where) and the entry (argument)', () => {
    const data = [{ image: 'test/ok_1.tif', caption: five }, { image: 'test/a_1.tif' }];
    let err: unknown;
    try {
      loadPirJson(data, { file: 'rsitmd_test.json' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AnnotationError);
    expect(err).toBeInstanceOf(PirError);
    const a = err as AnnotationError;
    expect([a.name, a.where, a.argument, a.file]).toEqual([
      'AnnotationError',
      'rsitmd_test.json',
      '[1]',
      'rsitmd_test.json',
    ]);
    expect(a.message).toMatch(
      /^rsitmd_test\.json: 1 bad entry .*\n {2}rsitmd_test\.json: \[1\] \(test\/a_1\.tif\)/,
    );
  });

  it('wrong caption counts (per-caption layout too)', () => {
    const data = [
      { image: 'test/a_1.tif', caption: ['a', 'b', 'c', 'd'] },
      ...five.map((c) => ({ image: 'train/b_1.tif', caption: c, image_id: 1 })),
      ...five.slice(0, 3).map((c) => ({ image: 'train/c_1.tif', caption: c, image_id: 2 })),
    ];
    expect(() => loadPirJson(data, { file: 'x.json' })).toThrow(
      /\[0\] \(test\/a_1\.tif\): has 4 captions, expected 5/,
    );
    const ds = loadPirJson(data, { file: 'x.json', policy: 'lenient' });
    expect(ds.images.map((i) => i.file)).toEqual(['train/b_1.tif']);
    expect(ds.issues.map((i) => `${i.where} ${i.image}`)).toEqual(['[0] test/a_1.tif', '[6] train/c_1.tif']);
    expect(ds.issues[1]!.message).toMatch(/has 3 captions, expected 5 — image skipped/);
    // any count accepted with captionsPerImage: null
    expect(loadPirJson(data, { file: 'x.json', captionsPerImage: null }).images.length).toBe(3);
  });

  it('duplicate images and ids', () => {
    const data = [
      { image: 'test/a_1.tif', caption: five },
      { image: 'test/a_1.tif', caption: five },
      ...five.map((c) => ({ image: 'train/b_1.tif', caption: c, image_id: 1 })),
      { image: 'train/c_1.tif', caption: 'x', image_id: 1 },
      { image: 'train/b_1.tif', caption: 'y', image_id: 9 },
    ];
    const ds = loadPirJson(data, { file: 'x.json', policy: 'lenient' });
    const msgs = ds.issues.map((i) => `${i.where}: ${i.message}`);
    expect(msgs[0]).toMatch(/^\[1\]: duplicate image: already listed at \[0\]/);
    expect(msgs[1]).toMatch(/^\[7\]: duplicate image_id 1: already used by 'train\/b_1.tif'/);
    expect(msgs[2]).toMatch(/^\[8\]: image_id 9 differs from 1 given at \[2\]/);
    expect(ds.images.map((i) => i.file)).toEqual(['test/a_1.tif', 'train/b_1.tif']);
  });

  it('label numbers must be consistent; label_name ≠ file prefix is a warning', () => {
    const data = [
      { image: 'val/a_1.tif', caption: five, label_name: 'a', label: 0 },
      { image: 'val/b_1.tif', caption: five, label_name: 'b', label: 0 },
      { image: 'val/c_1.tif', caption: five, label_name: 'zz', label: 2 },
    ];
    const ds = loadPirJson(data, { file: 'v.json', policy: 'lenient' });
    expect(ds.issues.map((i) => [i.severity, i.where])).toEqual([
      ['error', '[1]'],
      ['warning', '[2]'],
    ]);
    expect(ds.issues[0]!.message).toMatch(/label number 0 is 'b' here but 'a' earlier/);
    expect(ds.issues[1]!.message).toMatch(/label_name 'zz' differs from the file-name label 'c'/);
    expect(ds.labels).toEqual(['a', '<unused 1>', 'zz']);
    // warnings alone do not fail a strict load
    expect(loadPirJson([data[2]], { file: 'v.json' }).issues.length).toBe(1);
  });

  it('no split, wrong top level, bad options', () => {
    expect(() => loadPirJson([{ image: 'a_1.tif', caption: five }], { file: 'anns.json' })).toThrow(
      /no split.*pass \{ split \}/,
    );
    expect(
      loadPirJson([{ image: 'a_1.tif', caption: five }], { file: 'rsitmd_val.json' }).images[0]!.split,
    ).toBe('val');
    expect(() => loadPirJson({ images: [] }, { file: 'k.json' })).toThrow(/looks like Karpathy JSON/);
    expect(() => loadKarpathyJson([], { file: 'p.json' })).toThrow(/looks like PIR JSON/);
    expectInputError(
      () => loadPirJson([], { policy: 'loose' as 'strict' }),
      'loadPirJson',
      'policy',
      /policy must be 'strict' or 'lenient', got "loose"/,
    );
    expectInputError(
      () => loadPirJson([], { captionsPerImage: 0 }),
      'loadPirJson',
      'captionsPerImage',
      /captionsPerImage must be a positive integer or null, got 0/,
    );
    expectInputError(
      () => loadKarpathyJson({ images: [] }, { policy: 'lax' as 'strict' }),
      'loadKarpathyJson',
      'policy',
      /policy must be 'strict' or 'lenient', got "lax"/,
    );
    // ids the caller fixes are checked with the loader's name and the option's
    expectInputError(
      () => loadPirJson([{ image: 'test/a_1.tif', caption: five }], { labelIds: { a: -2 } }),
      'loadPirJson',
      'labelIds',
      /labelIds: fixed id of 'a' must be a non-negative integer, got -2/,
    );
    expectInputError(
      () => parseJson(42 as never, 'val.json'),
      'parseJson',
      'text',
      /text must be the contents of val\.json as a string, got number/,
    );
  });

  it('Karpathy: bad sentences, sentids, duplicate imgid/sentid', () => {
    const img = (imgid: number, sentids: number[], extra: Record<string, unknown> = {}) => ({
      filename: `a_${imgid}.tif`,
      split: 'train',
      imgid,
      sentids,
      sentences: sentids.map((s) => ({ raw: `c${s}`, tokens: [], imgid, sentid: s })),
      ...extra,
    });
    const data = {
      images: [
        img(0, [0, 1]),
        img(1, [2, 3], { sentids: [3, 2] }),
        img(0, [4, 5]),
        img(3, [1, 6]),
        img(4, [7, 8], {
          sentences: [
            { raw: 'x', imgid: 9, sentid: 7 },
            { raw: 'y', imgid: 4, sentid: 8 },
          ],
        }),
        img(5, [9, 10], { sentences: [{ tokens: [] }, { raw: 'y' }] }),
        { filename: 'b_1.tif', imgid: 6, sentences: [] },
      ],
    };
    const ds = loadKarpathyJson(data, { file: 'dataset.json', captionsPerImage: 2, policy: 'lenient' });
    expect(ds.images.map((i) => i.sourceId)).toEqual([0]);
    const msgs = ds.issues.map((i) => `${i.where}: ${i.message}`);
    expect(msgs).toEqual([
      expect.stringMatching(
        /^images\[1\]: sentids \[3,2\] do not match the sentences' sentid values \[2,3\]/,
      ),
      expect.stringMatching(/^images\[2\]: duplicate imgid 0: already used at images\[0\]/),
      expect.stringMatching(
        /^images\[3\]\.sentences\[0\]: duplicate sentid 1: already used at images\[0\]\.sentences\[1\]/,
      ),
      expect.stringMatching(/^images\[4\]\.sentences\[0\]: sentence imgid 9 is not its image's imgid 4/),
      expect.stringMatching(/^images\[5\]\.sentences\[0\]: missing field 'raw'/),
      expect.stringMatching(/^images\[6\]: missing field 'split'/),
    ]);
    expect(() => loadKarpathyJson(data, { file: 'dataset.json', captionsPerImage: 2 })).toThrow(
      /dataset\.json: 6 bad entries/,
    );
  });

  it('caption lists: bad arguments', () => {
    const L = 'loadCaptionLists';
    expectInputError(
      () => loadCaptionLists(null as never, 'x_1.tif\n', 'test'),
      L,
      'caps',
      /expected the contents of test_caps\.txt and test_filename\.txt as strings, got caps = null/,
    );
    expectInputError(
      () => loadCaptionLists('a\n', 3 as never, 'test'),
      L,
      'filenames',
      /as strings, got filenames = number/,
    );
    expectInputError(
      () => loadCaptionLists('a\n', 'x_1.tif\n', '' as never),
      L,
      'split',
      /split must be a non-empty string, got ""/,
    );
    expectInputError(
      () => loadCaptionLists('a\n', 'x_1.tif\n', 'test', { captionsPerImage: 0 }),
      L,
      'captionsPerImage',
      /captionsPerImage must be a positive integer, got 0/,
    );
    expectInputError(
      () => loadCaptionLists('a\n', 'x_1.tif\n', 'test', { captionsPerImage: 1, policy: 'x' as never }),
      L,
      'policy',
      /policy must be 'strict' or 'lenient'/,
    );
  });

  it('caption lists: mismatched line counts, empty lines, duplicates', () => {
    expect(() =>
      loadCaptionLists('a\nb\nc\n', 'x_1.tif\ny_1.tif\n', 'test', { captionsPerImage: 2 }),
    ).toThrow(/test_caps\.txt has 3 caption lines but test_filename\.txt lists 2 images × 2 captions = 4/);
    const ds = loadCaptionLists('a\nb\n\nd\ne\nf\ng\nh\n', 'x_1.tif\ny_1.tif\nx_1.tif\n\n', 'test', {
      captionsPerImage: 2,
      policy: 'lenient',
    });
    expect(ds.images.map((i) => i.file)).toEqual(['x_1.tif']);
    expect(ds.issues.map((i) => `${i.where}: ${i.message}`)).toEqual([
      expect.stringMatching(/^test_filename\.txt line 2: test_caps\.txt line 3 is empty/),
      expect.stringMatching(/^test_filename\.txt line 3: duplicate image: already listed on line 1/),
      expect.stringMatching(/^test_filename\.txt line 4: empty file name/),
    ]);
  });
});

describe('dataset operations', () => {
  const train = loadPirJson(text.rsitmdTrain, { file: 'rsitmd_train_subset.json' });
  const val = loadPirJson(text.rsitmdVal, { file: 'rsitmd_val.json' });
  const test = loadPirJson(text.rsitmdTest, { file: 'rsitmd_test.json' });

  it('merge train/val/test keeps label ids of the first and counts add up', () => {
    const all = mergeDatasets([train, val, test]);
    const s = summarizeDataset(all);
    expect(s.imagesPerSplit).toEqual({ test: 452, train: 344, val: 856 });
    expect(s.captions).toBe(1720 + 4280 + 2260);
    expect(s.labels).toBe(33);
    for (const [name, id] of Object.entries(expected.real['rsitmd_train.json']!.labelIds!)) {
      if (train.labels.includes(name)) expect(all.labels[id], name).toBe(name);
    }
    for (const im of all.images) expect(all.labels[im.labelId]).toBe(im.label);
    const back = selectSplits(all, 'test');
    expect(back.captions.map((c) => c.text)).toEqual(test.captions.map((c) => c.text));
    expect(Array.from(back.captionToImage)).toEqual(Array.from(test.captionToImage));
  });

  it('merge reports the same image twice', () => {
    expect(() => mergeDatasets([test, test])).toThrow(
      /merge: datasets\[1\]\.images\[0\] \(test\/parking_229\.tif\): image already in datasets\[0\]\.images\[0\]/,
    );
    const m = mergeDatasets([test, test], { policy: 'lenient' });
    expect(m.images.length).toBe(452);
    expect(m.issues.length).toBe(452);
    expectInputError(
      () => mergeDatasets([]),
      'mergeDatasets',
      'datasets',
      /pass a non-empty array of datasets, got an empty array/,
    );
    expectInputError(() => mergeDatasets(null as never), 'mergeDatasets', 'datasets', /got null/);
    expectInputError(
      () => mergeDatasets([test], { policy: 'strict!' as never }),
      'mergeDatasets',
      'policy',
      /policy must be 'strict' or 'lenient', got "strict!"/,
    );
  });

  it('checkImagesExist: missing images named (strict) or dropped with their captions (lenient)', async () => {
    const present = new Set(test.images.filter((_, i) => i % 2 === 0).map((i) => i.file));
    const exists = async (im: { file: string }) => present.has(im.file);
    await expect(checkImagesExist(test, exists, { file: 'rsitmd_test.json' })).rejects.toThrow(
      /rsitmd_test\.json: 226 bad entries[\s\S]*images\[1\] \(test\/park_217\.tif\): image file not found \(split test\)/,
    );
    const kept = await checkImagesExist(test, exists, { policy: 'lenient' });
    expect(kept.images.length).toBe(226);
    expect(kept.captions.length).toBe(226 * 5);
    expect(kept.issues.length).toBe(226);
    expect(await checkImagesExist(test, () => true)).toBe(test);
    const C = 'checkImagesExist';
    await expectInputRejection(
      checkImagesExist(test, () => true, { concurrency: 0 }),
      C,
      'concurrency',
      /concurrency must be a positive integer, got 0/,
    );
    await expectInputRejection(
      checkImagesExist(test, 'yes' as never),
      C,
      'exists',
      /exists must be a function \(image\) => boolean \| Promise<boolean>, got string/,
    );
    await expectInputRejection(
      checkImagesExist(test, () => true, { policy: 'no' as never }),
      C,
      'policy',
      /policy must be 'strict' or 'lenient'/,
    );
  });
});

describe('README example', () => {
  it('the values the README shows', () => {
    const test = loadPirJson(text.rsitmdTest, { file: 'rsitmd_test.json' });
    expect(summarizeDataset(test)).toMatchObject({
      images: 452,
      captions: 2260,
      labels: 32,
      imagesPerSplit: { test: 452 },
    });
    expect(test.images[0]).toEqual({
      index: 0,
      file: 'test/parking_229.tif',
      name: 'parking_229.tif',
      split: 'test',
      label: 'parking',
      labelId: 19,
      captions: [0, 1, 2, 3, 4],
    });
    expect(cleanCaption(test.captions[1]!.text)).toBe('there is a wide path beside the parking lot');
  });
});
