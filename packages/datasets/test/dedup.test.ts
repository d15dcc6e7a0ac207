import { PirError } from '@pir/runtime';
import { describe, expect, it } from 'vitest';
import {
  dHash,
  findDatasetDuplicates,
  findDuplicates,
  greyThumbnail,
  type HashedImage,
  hammingDistance,
  hashImages,
  imageHashes,
  pHash,
} from '../src/dedup/index.js';
// internal: the structural image check of the hashes (it also takes a canvas's Uint8ClampedArray)
import { assertRawImage, type RawImage } from '../src/dedup/raw_image_check.js';
import { texture, variants, withChannels } from './dedup_images.js';
import { expectInputError, expectInputRejection, expectPirError } from './input_errors.js';

const originals = Array.from({ length: 40 }, (_, i) => texture(i));
const hashes = originals.map(imageHashes);

describe('perceptual hashes', () => {
  it('are 16 hex digits, deterministic, and equal for identical pixels', () => {
    for (const h of hashes) {
      expect(h.dhash).toMatch(/^[0-9a-f]{16}$/);
      expect(h.phash).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(imageHashes(texture(0))).toEqual(hashes[0]);
  });

  it('edited copies (resized, brightened, darkened, noisy) stay within 10 bits on both hashes', () => {
    originals.forEach((img, i) => {
      for (const [name, v] of variants(img, i)) {
        const h = imageHashes(v);
        expect(
          hammingDistance(h.dhash, hashes[i]!.dhash),
          `${name} of image ${i}: dHash`,
        ).toBeLessThanOrEqual(6);
        expect(
          hammingDistance(h.phash, hashes[i]!.phash),
          `${name} of image ${i}: pHash`,
        ).toBeLessThanOrEqual(10);
      }
    });
  });

  it('different images are more than 10 bits apart on pHash', () => {
    for (let a = 0; a < originals.length; a++) {
      for (let b = a + 1; b < originals.length; b++) {
        expect(hammingDistance(hashes[a]!.phash, hashes[b]!.phash), `${a} vs ${b}`).toBeGreaterThan(10);
      }
    }
  });

  it('grey, RGBA, Uint8ClampedArray and Float32Array copies hash like the RGB original', () => {
    const img = originals[3]!;
    const h = hashes[3]!;
    for (const v of [
      withChannels(img, 1),
      withChannels(img, 4),
      { ...img, data: new Uint8ClampedArray(img.data) },
      { ...img, data: Float32Array.from(img.data, (x) => x * 257) }, // 16-bit scale
    ]) {
      const hv = imageHashes(v);
      expect(hammingDistance(hv.dhash, h.dhash)).toBeLessThanOrEqual(2);
      expect(hammingDistance(hv.phash, h.phash)).toBeLessThanOrEqual(2);
    }
  });

  it('greyThumbnail is an exact area average', () => {
    const img: RawImage = { data: new Uint8Array([0, 10, 20, 30, 40, 50]), width: 3, height: 2, channels: 1 };
    expect(Array.from(greyThumbnail(img, 1, 1))).toEqual([25]);
    expect(Array.from(greyThumbnail(img, 3, 1))).toEqual([15, 25, 35]);
    // 3 → 2 columns: weights (1, ½) and (½, 1)
    const g = Array.from(greyThumbnail(img, 2, 2));
    const want = [(0 + 5) / 1.5, (5 + 20) / 1.5, (30 + 20) / 1.5, (20 + 50) / 1.5];
    for (let k = 0; k < 4; k++) expect(g[k]).toBeCloseTo(want[k]!, 12);
    expect(
      Array.from(
        greyThumbnail(
          { data: new Uint8Array([0, 0, 0, 255, 255, 255]), width: 2, height: 1, channels: 3 },
          1,
          1,
        ),
      ),
    ).toEqual([127.5]);
  });

  it('hammingDistance', () => {
    expect(hammingDistance('0000000000000000', '000000000000000f')).toBe(4);
    expect(hammingDistance('ffffffffffffffff', '0000000000000000')).toBe(64);
    expect(hammingDistance('8000000080000000', '0000000000000000')).toBe(2);
    expectInputError(
      () => hammingDistance('xyz', '0000000000000000'),
      'hammingDistance',
      'a',
      /a: a perceptual hash is 16 lower-case hex digits, got "xyz"/,
    );
    expectInputError(
      () => hammingDistance('0000000000000000', 7 as never),
      'hammingDistance',
      'b',
      /b: a perceptual hash is 16 lower-case hex digits, got 7/,
    );
  });

  it('RawImage errors name the problem', () => {
    expectInputError(() => dHash(null as never), 'dHash', 'image', /image must be a RawImage/);
    expectInputError(
      () => pHash({ data: [1, 2] as never, width: 1, height: 1, channels: 2 }),
      'pHash',
      'image.data',
      /image\.data must be a Uint8Array, Uint8ClampedArray or Float32Array, got an array/,
    );
    expectInputError(
      () => dHash({ data: new Uint8Array(5), width: 2, height: 1, channels: 3 }),
      'dHash',
      'image.data',
      /image\.data has 5 values but width × height × channels = 2 × 1 × 3 = 6/,
    );
    expectInputError(
      () => imageHashes({ data: new Uint8Array(6), width: 2, height: 1, channels: 0 }),
      'imageHashes',
      'image.channels',
      /image\.channels must be a positive integer, got 0/,
    );
    expectInputError(
      () => greyThumbnail({ data: new Uint16Array(2) as never, width: 2, height: 1, channels: 1 }, 1, 1),
      'greyThumbnail',
      'image.data',
      /got Uint16Array/,
    );
    expectInputError(
      () => assertRawImage({ data: new Uint8Array(0), width: 0, height: 1, channels: 3 }, 'f', 'x'),
      'f',
      'x.width',
      /x\.width must be a positive integer, got 0/,
    );
  });
});

describe('findDuplicates', () => {
  // 10 originals in train; edited copies of 0–3 in test, of 4–5 in val, of 6 in train; 7–9 unique
  const entries: HashedImage[] = originals.slice(0, 10).map((img, i) => ({
    id: `rsitmd/train/${i}`,
    split: 'train',
    dataset: 'rsitmd',
    hashes: imageHashes(img),
  }));
  const copies: [number, string, RawImage][] = [
    [0, 'test', variants(originals[0]!, 0)[1]![1]],
    [1, 'test', variants(originals[1]!, 1)[3]![1]],
    [2, 'test', variants(originals[2]!, 2)[5]![1]],
    [3, 'test', variants(originals[3]!, 3)[6]![1]],
    [4, 'val', variants(originals[4]!, 4)[2]![1]],
    [5, 'val', variants(originals[5]!, 5)[0]![1]],
    [6, 'train', variants(originals[6]!, 6)[4]![1]],
  ];
  for (const [of, split, img] of copies) {
    entries.push({ id: `rsicd/${split}/copy-of-${of}`, split, dataset: 'rsicd', hashes: imageHashes(img) });
  }
  // and a third copy of image 0 in val: a group of three
  entries.push({
    id: 'rsicd/val/copy2-of-0',
    split: 'val',
    dataset: 'rsicd',
    hashes: imageHashes(variants(originals[0]!, 9)[5]![1]),
  });

  it('finds every copy, no false match, groups and leaks by kind', () => {
    const r = findDuplicates(entries);
    expect(r.algorithm).toBe('both');
    expect(r.maxDistance).toBe(10);
    const got = r.pairs.map((p) => `${p.idA} ~ ${p.idB}`);
    expect(got).toEqual([
      'rsitmd/train/0 ~ rsicd/test/copy-of-0',
      'rsitmd/train/0 ~ rsicd/val/copy2-of-0',
      'rsitmd/train/1 ~ rsicd/test/copy-of-1',
      'rsitmd/train/2 ~ rsicd/test/copy-of-2',
      'rsitmd/train/3 ~ rsicd/test/copy-of-3',
      'rsitmd/train/4 ~ rsicd/val/copy-of-4',
      'rsitmd/train/5 ~ rsicd/val/copy-of-5',
      'rsitmd/train/6 ~ rsicd/train/copy-of-6',
      'rsicd/test/copy-of-0 ~ rsicd/val/copy2-of-0',
    ]);
    expect(r.groups).toEqual([
      [0, 10, 17],
      [1, 11],
      [2, 12],
      [3, 13],
      [4, 14],
      [5, 15],
      [6, 16],
    ]);
    expect(r.leakCounts).toEqual({ 'test-in-train': 4, 'val-in-train': 3, 'test-in-val': 1 });
    expect(r.leaks.length).toBe(8);
    expect(r.pairs.find((p) => p.idB === 'rsicd/train/copy-of-6')!.leak).toBeUndefined();
    expect(r.trainImagesToDrop).toEqual([0, 1, 2, 3, 4, 5]);
    const p0 = r.pairs[0]!;
    expect(p0).toMatchObject({
      a: 0,
      b: 10,
      splitA: 'train',
      splitB: 'test',
      datasetA: 'rsitmd',
      datasetB: 'rsicd',
      leak: 'test-in-train',
    });
    expect(p0.dhashDistance).toBe(hammingDistance(entries[0]!.hashes.dhash, entries[10]!.hashes.dhash));
  });

  it('maxDistance 0: only pairs with identical hashes; pHash alone agrees here', () => {
    const exact = findDuplicates(entries, { maxDistance: 0 });
    expect(exact.pairs.map((p) => p.idB)).toContain('rsicd/val/copy-of-5');
    expect(exact.pairs.every((p) => p.dhashDistance === 0 && p.phashDistance === 0)).toBe(true);
    expect(findDuplicates(entries, { algorithm: 'phash' }).pairs.length).toBe(9);
  });

  it('scales to RSICD + RSITMD size in reasonable time (all pairs compared)', () => {
    const n = 3000;
    const many: HashedImage[] = Array.from({ length: n }, (_, i) => ({
      id: String(i),
      hashes: hashes[i % 40]!,
    }));
    const t0 = performance.now();
    const r = findDuplicates(many, { maxDistance: 0 });
    const ms = performance.now() - t0;
    expect(r.groups.length).toBe(40);
    expect(r.groups[0]!.length).toBe(n / 40);
    expect(ms).toBeLessThan(20_000);
  });

  it('argument errors', () => {
    const F = 'findDuplicates';
    expectInputError(
      () => findDuplicates(entries, { maxDistance: 65 }),
      F,
      'maxDistance',
      /maxDistance must be an integer in \[0, 64\], got 65/,
    );
    expectInputError(
      () => findDuplicates(entries, { algorithm: 'ahash' as never }),
      F,
      'algorithm',
      /algorithm must be 'dhash', 'phash' or 'both', got "ahash"/,
    );
    expectInputError(
      () => findDuplicates([{ id: 'x', hashes: { dhash: '1', phash: '2' } }]),
      F,
      'images[0].hashes.dhash',
      /images\[0\] \(x\): a perceptual hash is 16 lower-case hex digits, got "1"/,
    );
    expectInputError(
      () => findDuplicates([{ id: 'x', hashes: { dhash: '0000000000000000', phash: 'G' } }]),
      F,
      'images[0].hashes.phash',
      /images\[0\] \(x\): a perceptual hash is 16 lower-case hex digits, got "G"/,
    );
    expectInputError(
      () => findDuplicates([{ id: 3 } as never]),
      F,
      'images[0]',
      /images\[0\] must be \{id: string, hashes: \{dhash, phash\}\}, got \{id\} with id of type number/,
    );
    expectInputError(
      () => findDuplicates('x' as never),
      F,
      'images',
      /must be an array of \{id, hashes\}, got string/,
    );
  });
});

describe('findDatasetDuplicates / hashImages with a decoder', () => {
  // two "datasets" whose files are decoded by a function (as the image decoders would)
  const pixels = new Map<string, RawImage>();
  const a = {
    name: 'rsicd',
    images: [
      { file: 'test/00017.jpg', split: 'test' },
      { file: 'train/port_1.jpg', split: 'train' },
    ],
  };
  const b = {
    name: 'rsitmd',
    images: [
      { file: 'train/playground_12.tif', split: 'train' },
      { file: 'test/port_9.tif', split: 'test' },
    ],
  };
  pixels.set('rsicd:test/00017.jpg', texture('shared', 56, 56)); // RSICD is 224 px, RSITMD 256 px
  pixels.set('rsitmd:train/playground_12.tif', texture('shared', 64, 64));
  pixels.set('rsicd:train/port_1.jpg', texture('p1'));
  pixels.set('rsitmd:test/port_9.tif', texture('p9'));

  it('reports the shared image as a test-in-train leak across datasets', async () => {
    const progress: number[] = [];
    const r = await findDatasetDuplicates([a, b], async (im, src) => pixels.get(`${src.name}:${im.file}`)!, {
      onProgress: (done) => progress.push(done),
      concurrency: 2,
    });
    expect(r.failures).toEqual([]);
    expect(r.pairs.length).toBe(1);
    expect(r.leaks[0]).toMatchObject({
      idA: 'rsicd:test/00017.jpg',
      idB: 'rsitmd:train/playground_12.tif',
      leak: 'test-in-train',
      datasetA: 'rsicd',
      datasetB: 'rsitmd',
    });
    expect(progress.sort()).toEqual([1, 2, 3, 4]);
  });

  it('decode failures: thrown with the item, or collected', async () => {
    const load = async (im: { file: string }) => {
      if (im.file.endsWith('.tif') && im.file.startsWith('test/')) throw new Error('truncated TIFF');
      return texture(im.file);
    };
    await expect(findDatasetDuplicates([a, b], load)).rejects.toThrow(
      /cannot hash 'rsitmd:test\/port_9\.tif': truncated TIFF/,
    );
    const err = (await findDatasetDuplicates([a, b], load).catch((e: unknown) => e)) as PirError;
    expect(err).toBeInstanceOf(PirError);
    expect([err.where, err.argument, (err.cause as Error).message]).toEqual([
      'hashImages',
      'rsitmd:test/port_9.tif',
      'truncated TIFF',
    ]);
    const r = await findDatasetDuplicates([a, b], load, { onError: 'collect' });
    expect(r.failures).toEqual([{ id: 'rsitmd:test/port_9.tif', error: 'truncated TIFF' }]);
    expect(r.images).toBe(3);
    await expect(
      hashImages([{ id: 'x' }], (() => ({
        data: new Uint8Array(1),
        width: 2,
        height: 1,
        channels: 1,
      })) as never),
    ).rejects.toThrow(/cannot hash 'x': image\.data has 1 values/);
    // a decoder that returns no RawImage fails its item like a failed decode; the cause names the field
    const bad = await hashImages([{ id: 'x' }], () => ({
      data: new Uint8Array(1),
      width: 2,
      height: 1,
      channels: 1,
    })).catch((e: unknown) => e);
    expectPirError(
      bad,
      'hashImages',
      'x',
      /^hashImages: cannot hash 'x': image\.data has 1 values/,
      PirError,
    );
    expectPirError((bad as PirError).cause, 'hashImages', 'image.data', /image\.data has 1 values/);
    const collected = await hashImages([{ id: 'x' }], () => null as never, { onError: 'collect' });
    expect(collected.failures).toEqual([
      { id: 'x', error: 'image must be a RawImage {data, width, height, channels}, got null' },
    ]);
    const H = 'hashImages';
    await expectInputRejection(
      hashImages([], 'f' as never),
      H,
      'decode',
      /decode must be a function \(item\) => RawImage, got string/,
    );
    await expectInputRejection(
      hashImages([], () => texture(1), { concurrency: 0 }),
      H,
      'concurrency',
      /concurrency must be a positive integer, got 0/,
    );
    const D = 'findDatasetDuplicates';
    await expectInputRejection(
      findDatasetDuplicates({} as never, load),
      D,
      'sources',
      /sources must be an array of \{name, images\}, got object/,
    );
    await expectInputRejection(
      findDatasetDuplicates([a, { name: 'b' } as never], load),
      D,
      'sources[1]',
      /sources\[1\] must be \{name, images: \[\{file, split\}, …\]\}/,
    );
    await expectInputRejection(
      findDatasetDuplicates([a, b], 'load' as never),
      D,
      'load',
      /load must be a function \(image, source\) => RawImage, got string/,
    );
    // the options of the report are checked before anything is decoded
    let decoded = 0;
    const counting = async (im: { file: string }) => {
      decoded++;
      return texture(im.file);
    };
    await expectInputRejection(
      findDatasetDuplicates([a, b], counting, { maxDistance: -1 }),
      D,
      'maxDistance',
      /maxDistance must be an integer in \[0, 64\], got -1/,
    );
    await expectInputRejection(
      findDatasetDuplicates([a, b], counting, { algorithm: 'md5' as never }),
      D,
      'algorithm',
      /algorithm must be 'dhash', 'phash' or 'both', got "md5"/,
    );
    await expectInputRejection(
      findDatasetDuplicates([a, b], counting, { concurrency: 1.5 }),
      D,
      'concurrency',
      /concurrency must be a positive integer, got 1.5/,
    );
    expect(decoded).toBe(0);
  });
});
