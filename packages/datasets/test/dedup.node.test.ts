/**
 * Real re-encodes with sharp (Node only): an RSITMD-like 256 px TIFF and the RSICD-like 224 px JPEG of the
 * same scene must match; other scenes must not.
 */
import { describe, expect, it } from 'vitest';
import { findDatasetDuplicates, hammingDistance, imageHashes } from '../src/dedup/index.js';
import type { RawImage } from '../src/images/index.js';
import { texture } from './dedup_images.js';

// biome-ignore lint/suspicious/noExplicitAny: the test only needs sharp's fluent calls
type Sharp = (input?: any, options?: any) => any;

async function encode(
  img: RawImage,
  format: 'jpeg' | 'tiff',
  size?: number,
  quality = 75,
): Promise<Uint8Array> {
  const sharp = ((await import('sharp')) as unknown as { default: Sharp }).default;
  let s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels as 3 },
  });
  if (size !== undefined) s = s.resize(size, size);
  return new Uint8Array(await (format === 'jpeg' ? s.jpeg({ quality }) : s.tiff()).toBuffer());
}

async function decode(bytes: Uint8Array): Promise<RawImage> {
  const sharp = ((await import('sharp')) as unknown as { default: Sharp }).default;
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

describe('dedup on real encodes (sharp)', () => {
  it('TIFF 256 px vs JPEG 224 px (quality 75 and 40) of the same scene match; other scenes do not', async () => {
    const scenes = Array.from({ length: 6 }, (_, i) => texture(`scene-${i}`, 256, 256));
    const tiffs = await Promise.all(scenes.map((s) => encode(s, 'tiff')));
    const jpegs = await Promise.all(scenes.map((s) => encode(s, 'jpeg', 224)));
    const rough = await Promise.all(scenes.map((s) => encode(s, 'jpeg', 200, 40)));
    const files = new Map<string, Uint8Array>();
    const rsitmd = {
      name: 'rsitmd',
      images: scenes.map((_, i) => ({ file: `train/scene_${i}.tif`, split: 'train' })),
    };
    const rsicd = {
      name: 'rsicd',
      images: scenes.map((_, i) => ({ file: `test/${String(i).padStart(5, '0')}.jpg`, split: 'test' })),
    };
    const other = { name: 'web', images: [{ file: 'val/scene_2_small.jpg', split: 'val' }] };
    scenes.forEach((_, i) => {
      files.set(`rsitmd:train/scene_${i}.tif`, tiffs[i]!);
      files.set(`rsicd:test/${String(i).padStart(5, '0')}.jpg`, jpegs[i]!);
    });
    files.set('web:val/scene_2_small.jpg', rough[2]!);
    const report = await findDatasetDuplicates([rsitmd, rsicd, other], (im, src) =>
      decode(files.get(`${src.name}:${im.file}`)!),
    );
    expect(report.failures).toEqual([]);
    expect(report.leakCounts).toEqual({ 'test-in-train': 6, 'val-in-train': 1, 'test-in-val': 1 });
    expect(report.pairs.length).toBe(8);
    for (const p of report.leaks.filter((l) => l.leak === 'test-in-train')) {
      expect(p.idA.replace(/\D/g, '').replace(/^0+/, '') || '0').toBe(
        p.idB.replace(/\D/g, '').replace(/^0+/, '') || '0',
      );
    }
    // the decoded TIFF is lossless
    expect(imageHashes(await decode(tiffs[0]!))).toEqual(imageHashes(scenes[0]!));
    const h = await Promise.all(jpegs.map(async (j) => imageHashes(await decode(j))));
    expect(hammingDistance(h[0]!.phash, imageHashes(scenes[0]!).phash)).toBeLessThanOrEqual(6);
  });
});
