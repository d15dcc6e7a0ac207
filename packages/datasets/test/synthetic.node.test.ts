/** The synthetic benchmark on disk: PIR JSON + PNG/TIFF files read back through the real loader and decoder. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAnnotationFile } from '../src/annotations/index.js';
import { loadImage, sniffFormat } from '../src/images/index.js';
import { generateSynthetic, renderContactSheet, writeSynthetic } from '../src/synthetic/index.js';
import { expectInputRejection } from './input_errors.js';

describe('writeSynthetic (Node)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pir-synth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes PNG images and PIR JSON that the annotation loader reads, pixels identical to memory', async () => {
    const opts = { seed: 5, count: 36, size: 64 };
    const progress: number[] = [];
    const res = await writeSynthetic(join(dir, 'png'), { ...opts, onProgress: (d) => progress.push(d) });
    expect(res.counts.train + res.counts.val + res.counts.test).toBe(36);
    expect(progress.at(-1)).toBe(36);
    const mem = generateSynthetic(opts);
    // our own minimal reader of the layout
    const trainJson = JSON.parse(await readFile(res.files.train, 'utf8')) as {
      caption: string;
      image: string;
      image_id: number;
    }[];
    expect(trainJson).toHaveLength(5 * res.counts.train);
    expect(trainJson).toEqual(mem.annotations.train);
    // the package's loader, with every image checked to exist
    const train = await readAnnotationFile(res.files.train, { imageDir: res.imageDir });
    const test = await readAnnotationFile(res.files.test, { imageDir: res.imageDir });
    expect(train.images).toHaveLength(res.counts.train);
    expect(train.captions).toHaveLength(5 * res.counts.train);
    expect(test.images).toHaveLength(res.counts.test);
    expect(new Set(train.images.map((i) => i.label))).toEqual(new Set(mem.classes));
    for (const rec of test.images.slice(0, 6)) {
      const k = mem.samples.findIndex((s) => s.image === rec.file);
      const img = await loadImage(join(res.imageDir, rec.file));
      expect([img.width, img.height, img.channels]).toEqual([64, 64, 3]);
      expect(Buffer.from(img.data).equals(Buffer.from(mem.images[k]?.data ?? []))).toBe(true);
    }
    const meta = JSON.parse(await readFile(res.files.meta, 'utf8'));
    expect(meta.classes).toHaveLength(12);
    expect(meta.images[0].objects.length).toBeGreaterThan(0);
  });

  it('TIFF output (RSITMD-like) decodes losslessly', async () => {
    const res = await writeSynthetic(join(dir, 'tif'), {
      seed: 2,
      count: 36,
      size: 48,
      format: 'tif',
      name: 'rsitmd_like',
    });
    expect(res.files.val.endsWith('rsitmd_like_val.json')).toBe(true);
    const val = JSON.parse(await readFile(res.files.val, 'utf8')) as { image: string }[];
    const first = join(res.imageDir, (val[0] as { image: string }).image);
    expect(first.endsWith('.tif')).toBe(true);
    expect(sniffFormat(new Uint8Array(await readFile(first)))).toBe('tiff');
    const mem = generateSynthetic({ seed: 2, count: 36, size: 48, format: 'tif' });
    const k = mem.samples.findIndex((s) => s.image === (val[0] as { image: string }).image);
    expect(Buffer.from((await loadImage(first)).data).equals(Buffer.from(mem.images[k]?.data ?? []))).toBe(
      true,
    );
    await expectInputRejection(
      writeSynthetic(join(dir, 'bad'), { name: '../x' }),
      'writeSynthetic',
      'name',
      /name must be a plain file-name prefix \(letters, digits, '_', '\.', '-'\), got '\.\.\/x'/,
    );
    await expectInputRejection(
      writeSynthetic(join(dir, 'bad'), { size: 8 }),
      'writeSynthetic',
      'size',
      /size must be an integer in \[32, 512\], got 8/,
    );
    expect(existsSync(join(dir, 'bad'))).toBe(false); // nothing was written
  });

  it('contact sheet: a PNG with a tile per sample', async () => {
    const ds = generateSynthetic({ seed: 1, count: 4, size: 48 });
    const png = await renderContactSheet(ds.samples, ds.images, { columns: 2, tile: 96 });
    expect(sniffFormat(png)).toBe('png');
    const { decodeImage } = await import('../src/images/index.js');
    const sheet = await decodeImage(png);
    expect(sheet.width).toBe(2 * (96 + 8) + 8); // two columns of tile + padding
    expect(sheet.height).toBeGreaterThan(2 * 96);
    await expectInputRejection(
      renderContactSheet(ds.samples, []),
      'renderContactSheet',
      'images',
      /need one image per sample, got 4 samples and 0 images/,
    );
    await expectInputRejection(renderContactSheet([], []), 'renderContactSheet', 'samples', /got 0 samples/);
  });

  it('the committed contact sheet exists', () => {
    expect(existsSync(fileURLToPath(new URL('../assets/contact-sheet.png', import.meta.url)))).toBe(true);
  });
});
