/**
 * The full real annotation files (`<repo>/../shared/data/annotations`), read through the Node convenience
 * API, against the counts make_fixtures.py computed from the same files in Python. Skips with a message
 * where the files are absent (they are not part of the repository).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AnnotationError,
  mergeDatasets,
  readAnnotationFile,
  readCaptionLists,
  summarizeDataset,
} from '../src/annotations/index.js';
import { cleanCaptions } from '../src/captions/index.js';
import { expected, sha256 } from './annotation_fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const REAL_DIR = process.env.PIR_ANNOTATIONS_DIR ?? resolve(here, '../../../../shared/data/annotations');
const FIXTURES = join(here, 'fixtures/annotations');
const present = existsSync(join(REAL_DIR, 'rsitmd_train.json'));
if (!present)
  console.warn(`annotations_full_files: ${REAL_DIR} not found — the full-file checks are skipped`);

describe.skipIf(!present)('the full real annotation files', () => {
  it.each(Object.keys(expected.real))(
    '%s: counts, labels and caption checksums match Python',
    async (name) => {
      const exp = expected.real[name]!;
      const ds = await readAnnotationFile(join(REAL_DIR, name), { file: name });
      const s = summarizeDataset(ds);
      expect(s.images).toBe(exp.images);
      expect(s.captions).toBe(exp.captions);
      expect(s.imagesPerSplit).toEqual(exp.imagesPerSplit);
      expect(s.captionsPerImage).toEqual(exp.captionsPerImage);
      expect(s.labels).toBe(exp.labels);
      expect(s.labelCounts).toEqual(exp.labelCounts);
      expect(ds.labels.filter((l) => /^\d+$/.test(l)).length).toBe(exp.numericLabels);
      expect(ds.issues).toEqual([]);
      const raw = ds.captions.map((c) => c.text);
      expect(await sha256(raw)).toBe(exp.rawSha256);
      expect(await sha256(cleanCaptions(raw))).toBe(exp.cleanSha256);
      if (exp.labelIds) for (const [l, id] of Object.entries(exp.labelIds)) expect(ds.labels[id]).toBe(l);
    },
  );

  it('RSITMD train 17,175 captions / 3,435 images; 33 labels over train+val+test', async () => {
    const parts = await Promise.all(
      ['rsitmd_train.json', 'rsitmd_val.json', 'rsitmd_test.json'].map((f) =>
        readAnnotationFile(join(REAL_DIR, f)),
      ),
    );
    expect(expected.real['rsitmd_train.json']!.entries).toBe(17175);
    const all = summarizeDataset(mergeDatasets(parts));
    expect(all.imagesPerSplit).toEqual({ test: 452, train: 3435, val: 856 });
    expect(all.captions).toBe(17175 + 4280 + 2260);
    expect(all.labels).toBe(33);
  });
});

describe('Node conveniences on the committed fixtures', () => {
  const tmp: string[] = [];
  afterAll(async () => {
    for (const d of tmp) await rm(d, { recursive: true, force: true });
  });

  it('readCaptionLists reads {split}_caps.txt and {split}_filename.txt', async () => {
    const ds = await readCaptionLists(FIXTURES, 'test');
    expect(ds.images.length).toBe(452);
    expect(ds.captions.length).toBe(2260);
  });

  it('readAnnotationFile detects Karpathy JSON', async () => {
    const ds = await readAnnotationFile(join(FIXTURES, 'dataset_rsitmd_karpathy.json'));
    expect(summarizeDataset(ds).imagesPerSplit).toEqual({ test: 40, train: 60, val: 40 });
  });

  it('imageDir: missing image files are named (strict) or skipped (lenient)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pir-ann-'));
    tmp.push(dir);
    await mkdir(join(dir, 'test'));
    const ds = await readAnnotationFile(join(FIXTURES, 'rsitmd_test.json'));
    // write every image but the first three
    await Promise.all(ds.images.slice(3).map((im) => writeFile(join(dir, im.file), '')));
    const file = join(FIXTURES, 'rsitmd_test.json');
    const err = await readAnnotationFile(file, { imageDir: dir, file: 'rsitmd_test.json' }).catch((e) => e);
    expect(err).toBeInstanceOf(AnnotationError);
    expect(err.message).toMatch(/rsitmd_test\.json: 3 bad entries/);
    expect(err.message).toMatch(/images\[0\] \(test\/parking_229\.tif\): image file not found/);
    const lenient = await readAnnotationFile(file, { imageDir: dir, policy: 'lenient' });
    expect(lenient.images.length).toBe(449);
    expect(lenient.issues.map((i) => i.image)).toEqual(ds.images.slice(0, 3).map((im) => im.file));
  });

  it('a malformed file on disk: path, line and column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pir-ann-'));
    tmp.push(dir);
    const path = join(dir, 'broken.json');
    await writeFile(path, '[\n {"image": "test/a_1.tif", "caption": ["a" "b"]}\n]');
    await expect(readAnnotationFile(path)).rejects.toThrow(
      `${path}:2:44: malformed JSON: expected ',' or ']', found '"'`,
    );
  });
});
