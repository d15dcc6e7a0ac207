/** Node-only image paths: files on disk, the full Landsat raster, writeImage. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageDecodeError, loadImage, writeImage } from '../src/images/index.js';
import { fixtureBytes, fx } from './images_helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const landsat = join(here, '../../../../shared/data/rasters/L7_ETMs.tif');

describe('images on disk (Node)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pir-images-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loadImage reads paths and file: URLs; errors name the path', async () => {
    const crop = join(here, 'fixtures/images/landsat_crop.tif');
    const a = await loadImage(crop, { bands: [3, 2, 1] });
    const b = await loadImage(pathToFileURL(crop), { bands: [3, 2, 1] });
    expect([a.width, a.height, a.channels]).toEqual([40, 32, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(a.data[0]).toBe(fx.landsat.pixels[3]);
    const missing = join(dir, 'nope.png');
    await expect(loadImage(missing)).rejects.toThrow(ImageDecodeError);
    await expect(loadImage(missing)).rejects.toThrow(missing);
    const bad = join(dir, 'train', 'bad_1.tif');
    await writeImage(join(dir, 'train', 'ok.png'), {
      data: new Uint8Array(3),
      width: 1,
      height: 1,
      channels: 3,
    });
    await writeFile(bad, fixtureBytes('truncated.png'));
    await expect(loadImage(bad)).rejects.toThrow(`${bad}: corrupt or truncated PNG`);
  });

  it('writeImage writes PNG/JPEG/TIFF by extension and refuses others', async () => {
    const img = { data: Uint8Array.from(fx.pattern.pixels), width: 8, height: 6, channels: 3 };
    for (const ext of ['png', 'tif', 'jpg']) {
      const p = join(dir, 'w', `pattern.${ext}`);
      await writeImage(p, img);
      const back = await loadImage(p);
      expect([back.width, back.height], ext).toEqual([8, 6]);
      if (ext !== 'jpg') expect(Array.from(back.data), ext).toEqual(fx.pattern.pixels);
    }
    await expect(writeImage(join(dir, 'x.bmp'), img)).rejects.toThrow(/x\.bmp: unknown image extension/);
  });

  it.skipIf(!existsSync(landsat))(
    'the full 6-band Landsat-7 raster (sharp refuses it; geotiff reads it)',
    async () => {
      const rgb = await loadImage(landsat, { bands: [2, 1, 0] });
      expect([rgb.width, rgb.height, rgb.channels]).toEqual([349, 352, 3]);
      // the fixture crop is the window [150, 150, 190, 182] of the same raster
      const p = (fx.landsat.window[1] as number) * 349 + (fx.landsat.window[0] as number);
      expect([rgb.data[p * 3], rgb.data[p * 3 + 1], rgb.data[p * 3 + 2]]).toEqual([
        fx.landsat.pixels[2],
        fx.landsat.pixels[1],
        fx.landsat.pixels[0],
      ]);
      await expect(loadImage(landsat)).rejects.toThrow(/6 bands; choose three with `bands`/);
    },
  );
});
