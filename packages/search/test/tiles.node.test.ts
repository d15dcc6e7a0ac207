/**
 * GeoTIFF scenes cut into tiles: the tile grid covers the scene (last row and column at the edge), every tile
 * keeps its pixel window and its bounds on the ground (from the file's origin, pixel size and EPSG code), the
 * tile's pixels are the scene's, a rerun adds nothing; with the real Landsat-7 scene of `../shared/data` when
 * it is there.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWordVocab } from '@pir/encoders';
import { createModel, RetrievalModel } from '@pir/models';
import { initBackend } from '@pir/runtime';
import { writeArrayBuffer } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf, indexImages, openFileStore, tileWindows } from '../src/node/index.js';

const LANDSAT = fileURLToPath(new URL('../../../../shared/data/rasters/L7_ETMs.tif', import.meta.url));
let work: string;
let model: RetrievalModel;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(path.join(tmpdir(), 'pir-search-tiles-'));
  const tokenizer = buildWordVocab(['a river'], { contextLength: 8 });
  model = new RetrievalModel(createModel('pir-itr-test', { seed: 1, tokenizer }), { config: 'pir-itr-test' });
}, 60_000);

afterAll(async () => {
  model?.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('tileWindows', () => {
  it('covers the scene with size-px tiles at stride size − overlap, the last ones at the edge', () => {
    const w = tileWindows(100, 70, 32, 8);
    const xs = [...new Set(w.map((t) => t.x))];
    const ys = [...new Set(w.map((t) => t.y))];
    expect(xs).toEqual([0, 24, 48, 68]);
    expect(ys).toEqual([0, 24, 38]);
    expect(w).toHaveLength(12);
    expect(w.every((t) => t.width === 32 && t.height === 32)).toBe(true);
    expect(tileWindows(20, 10, 32)).toEqual([{ x: 0, y: 0, width: 20, height: 10 }]);
    expect(tileWindows(64, 64, 32)).toHaveLength(4);
  });
});

describe('indexing GeoTIFF scenes as tiles', () => {
  it('a written 3-band UTM scene: windows, bounds on the ground, EPSG code; a rerun adds nothing', async () => {
    const width = 100;
    const height = 70;
    const values = new Uint8Array(width * height * 3).map((_, i) => (i * 7) % 251);
    const tif = writeArrayBuffer(values, {
      width,
      height,
      ModelPixelScale: [30, 30, 0],
      ModelTiepoint: [0, 0, 0, 500000, 9100000, 0],
      ProjectedCSTypeGeoKey: 32725,
    } as never);
    const dir = path.join(work, 'scenes');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'scene.tif'), new Uint8Array(tif));
    const store = await openFileStore(path.join(work, 'tiles.pirdb'), { create: identityOf(model) });
    const s = await indexImages({ model, store, root: dir, tile: { size: 32, overlap: 8 }, batchSize: 5 });
    expect(s).toMatchObject({ inShard: 1, added: 12, failed: [] });
    const items = store.list();
    const t = items.find((i) => i.id === 'scene.tif#48,24,32,32');
    expect(t?.window).toEqual({ x: 48, y: 24, width: 32, height: 32 });
    // x: 500000 + 48·30 … + 80·30; y: 9100000 − 24·30 … − 56·30 (north up)
    expect(t?.bounds).toEqual({
      crs: 'EPSG:32725',
      minX: 501440,
      maxX: 502400,
      minY: 9098320,
      maxY: 9099280,
    });
    expect(items.every((i) => i.path === 'scene.tif' && i.root === dir)).toBe(true);
    const again = await indexImages({ model, store, root: dir, tile: { size: 32, overlap: 8 } });
    expect(again).toMatchObject({ added: 0, alreadyIndexed: 12 });
    await expect(indexImages({ model, store, root: dir, tile: { size: 32, overlap: 32 } })).rejects.toThrow(
      /overlap.*\[0, 32\)/,
    );
  });

  it.skipIf(!existsSync(LANDSAT))(
    'the real Landsat-7 scene (6 bands, SIRGAS 2000 / UTM 25S): natural-colour tiles with their bounds',
    async () => {
      const dir = path.dirname(LANDSAT);
      const store = await openFileStore(path.join(work, 'landsat.pirdb'), { create: identityOf(model) });
      const s = await indexImages({
        model,
        store,
        root: dir,
        files: ['L7_ETMs.tif'],
        tile: { size: 128, overlap: 16, bands: [2, 1, 0] },
      });
      // 349 × 352 px: x at 0, 112, 221; y at 0, 112, 224 → 9 tiles
      expect(s.added).toBe(9);
      const b = store.list().map((i) => i.bounds);
      expect(b.every((x) => x?.crs === 'EPSG:31985')).toBe(true); // SIRGAS 2000 / UTM zone 25S
      const minX = Math.min(...b.map((x) => x?.minX as number));
      const maxX = Math.max(...b.map((x) => x?.maxX as number));
      expect((maxX - minX) / 349).toBeCloseTo(28.5, 0); // the scene's width in metres over its pixels
    },
  );
});
