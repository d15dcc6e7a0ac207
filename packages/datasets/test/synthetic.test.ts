/** The synthetic benchmark in memory (Node and Chromium): determinism, classes, splits, captions, layout. */
import { describe, expect, it } from 'vitest';
import {
  generateSynthetic,
  generateSyntheticImage,
  resolveSyntheticOptions,
  SCENE_CLASSES,
  type SyntheticSample,
  synthesize,
  toPirJson,
} from '../src/synthetic/index.js';
import { expectInputError } from './input_errors.js';

const NUMBERS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, a: 1 };

/** Words that must appear in at least three of an image's five captions, per class (what it is about). */
const ABOUT: Record<string, RegExp> = {
  airport: /plane|runway|airport|terminal/i,
  harbour: /harbour|port|boat|pier/i,
  farmland: /field|farmland/i,
  residential: /house|residential/i,
  industrial: /factor|industrial|building/i,
  forest: /forest|tree/i,
  river: /river/i,
  beach: /beach|sea/i,
  parking: /parking|car/i,
  playground: /playground|track|field/i,
  storagetanks: /tank/i,
  bridge: /bridge|river/i,
};

function keyCount(s: SyntheticSample, kind: string): number {
  return s.objects.filter((o) => o.kind === kind && o.role === 'key').reduce((n, o) => n + o.count, 0);
}

describe('synthetic benchmark (in memory)', () => {
  const ds = generateSynthetic({ seed: 3, count: 48, size: 64 });

  it('12 classes, balanced, stratified splits, RSITMD-style file names', () => {
    expect(SCENE_CLASSES).toHaveLength(12);
    expect(ds.samples).toHaveLength(48);
    const perClass = new Map<string, number>();
    for (const s of ds.samples) {
      perClass.set(s.labelName, (perClass.get(s.labelName) ?? 0) + 1);
      expect(s.image).toBe(`${s.split}/${s.labelName}_${s.imageId}.png`);
      // PIR's scene label is the file-name prefix before the first '_'
      expect(s.image.split('/')[1]?.split('_')[0]).toBe(s.labelName);
      expect(SCENE_CLASSES[s.label]).toBe(s.labelName);
    }
    expect([...perClass.values()]).toEqual(Array(12).fill(4));
    const bySplit = { train: 0, val: 0, test: 0 };
    for (const s of ds.samples) bySplit[s.split]++;
    expect(bySplit.train + bySplit.val + bySplit.test).toBe(48);
    expect(bySplit.train).toBeGreaterThan(bySplit.val);
    // 10 per class: round(7.2) = 7 train, round(1.8) = 2 val, 1 test
    const big = generateSynthetic({ seed: 3, count: 120, size: 32 });
    const counts = { train: 0, val: 0, test: 0 };
    for (const s of big.samples) counts[s.split]++;
    expect(counts).toEqual({ train: 84, val: 24, test: 12 });
  });

  it('images are [size, size, 3] uint8; the same seed gives the same images and captions', () => {
    for (const img of ds.images) {
      expect([img.width, img.height, img.channels]).toEqual([64, 64, 3]);
      expect(img.data).toBeInstanceOf(Uint8Array);
    }
    const again = generateSyntheticImage(17, { seed: 3, count: 48, size: 64 });
    expect(again.sample).toEqual(ds.samples[17]);
    expect(Array.from(again.pixels.data)).toEqual(Array.from(ds.images[17]?.data ?? []));
    const other = generateSyntheticImage(17, { seed: 4, count: 48, size: 64 });
    expect(Array.from(other.pixels.data)).not.toEqual(Array.from(ds.images[17]?.data ?? []));
    // pixel statistics: not flat, not saturated
    const d = ds.images[17]?.data as Uint8Array;
    let mean = 0;
    for (const v of d) mean += v;
    mean /= d.length;
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(225);
  });

  it('five distinct captions per image, about the scene, counts that match what was drawn', () => {
    for (const s of ds.samples) {
      expect(s.captions).toHaveLength(5);
      expect(new Set(s.captions.map((c) => c.toLowerCase().replace(/[ .]+$/, ''))).size).toBe(5);
      const about = s.captions.filter((c) => (ABOUT[s.labelName] as RegExp).test(c)).length;
      expect(about, `${s.image}: ${s.captions.join(' | ')}`).toBeGreaterThanOrEqual(3);
      expect(s.objects.some((o) => o.role === 'key')).toBe(true);
      for (const c of s.captions) {
        const planes = c.match(/\b(one|two|three|four|five|six) (?:white |grey )?planes?\b/i);
        if (planes && s.labelName === 'airport')
          expect(NUMBERS[(planes[1] as string).toLowerCase()], c).toBe(keyCount(s, 'plane'));
        const tanks = c.match(
          /\b(one|two|three|four|five|six) (?:white |grey )?(?:round )?storage tanks?\b/i,
        );
        if (tanks && s.labelName === 'storagetanks')
          expect(NUMBERS[(tanks[1] as string).toLowerCase()], c).toBe(keyCount(s, 'storage tank'));
      }
    }
  });

  it('PIR JSON layout (PIR_SPEC §6): train per caption, val/test per image', () => {
    const { train, val, test } = ds.annotations;
    const nTrain = ds.samples.filter((s) => s.split === 'train').length;
    expect(train).toHaveLength(5 * nTrain);
    for (const e of train) {
      expect(Object.keys(e).sort()).toEqual(['caption', 'image', 'image_id', 'label', 'label_name']);
      expect(typeof e.caption).toBe('string');
    }
    for (const e of val) expect(Object.keys(e).sort()).toEqual(['caption', 'image', 'label', 'label_name']);
    for (const e of test) expect(Object.keys(e).sort()).toEqual(['caption', 'image']);
    for (const e of [...val, ...test]) expect(e.caption).toHaveLength(5);
    // a minimal reader: group train captions by image_id and compare with the samples
    const byId = new Map<number, string[]>();
    for (const e of train) byId.set(e.image_id, [...(byId.get(e.image_id) ?? []), e.caption]);
    for (const s of ds.samples.filter((x) => x.split === 'train'))
      expect(byId.get(s.imageId)).toEqual(s.captions);
    expect(toPirJson([])).toEqual({ train: [], val: [], test: [] });
  });

  it('noise can be switched off; options are checked', () => {
    const clean = generateSynthetic({
      seed: 1,
      count: 24,
      size: 48,
      noise: { distractors: 0, clouds: 0, clutter: 0, grain: 0, illumination: 0 },
    });
    for (const s of clean.samples) {
      expect(
        s.objects.some(
          (o) =>
            o.role === 'noise' ||
            (o.role === 'distractor' && !['house', 'tree', 'storage tank'].includes(o.kind)),
        ),
      ).toBe(false);
    }
    const noisy = generateSynthetic({ seed: 1, count: 24, size: 48, noise: { distractors: 1, clouds: 1 } });
    expect(noisy.samples.some((s) => s.objects.some((o) => o.kind === 'cloud'))).toBe(true);
    expect(
      noisy.samples.filter((s) => s.objects.some((o) => o.role === 'distractor')).length,
    ).toBeGreaterThan(12);
    const G = 'generateSynthetic';
    expectInputError(
      () => generateSynthetic({ size: 16 }),
      G,
      'size',
      /^generateSynthetic: size must be an integer in \[32, 512\], got 16$/,
    );
    expectInputError(
      () => generateSynthetic({ count: 0 }),
      G,
      'count',
      /count must be a positive integer, got 0/,
    );
    expectInputError(
      () => generateSynthetic({ classes: ['volcano' as never] }),
      G,
      'classes',
      /unknown class 'volcano'; known: airport, /,
    );
    expectInputError(() => generateSynthetic({ classes: [] }), G, 'classes', /classes must not be empty/);
    expectInputError(
      () => generateSynthetic({ noise: { clouds: 2 } }),
      G,
      'noise.clouds',
      /noise\.clouds must be in \[0, 1\], got 2/,
    );
    expectInputError(
      () => generateSynthetic({ splits: { train: 1, val: -1, test: 0 } }),
      G,
      'splits',
      /splits must be non-negative with a positive sum, got \{"train":1,"val":-1,"test":0\}/,
    );
    expectInputError(
      () => generateSynthetic({ format: 'jpg' as never }),
      G,
      'format',
      /format must be 'png' or 'tif', got jpg/,
    );
    expectInputError(
      () => generateSynthetic({ seed: Number.NaN }),
      G,
      'seed',
      /seed must be a finite integer or a string, got NaN/,
    );
    expectInputError(
      () => generateSyntheticImage(48, { count: 48 }),
      'generateSyntheticImage',
      'i',
      /image index must be an integer in \[0, 48\) \(the count option\), got 48/,
    );
    expectInputError(
      () => generateSyntheticImage(0, { size: 600 }),
      'generateSyntheticImage',
      'size',
      /size must be an integer in \[32, 512\], got 600/,
    );
    // the lazy generator checks when it starts; the public resolver names itself
    expectInputError(() => synthesize({ count: -1 }).next(), 'synthesize', 'count', /got -1/);
    expectInputError(
      () => resolveSyntheticOptions({ noise: { haze: -0.5 } as never }),
      'resolveSyntheticOptions',
      'noise.haze',
      /noise\.haze must be in \[0, 1\], got -0.5/,
    );
    const two = generateSynthetic({ count: 4, size: 32, classes: ['forest', 'beach'] });
    expect(two.samples.map((s) => s.labelName)).toEqual(['forest', 'beach', 'forest', 'beach']);
  });
});
