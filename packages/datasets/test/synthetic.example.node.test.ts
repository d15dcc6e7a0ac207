/** The example of the README section "Images, transforms and the synthetic benchmark", run on local files. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { loadImage } from '../src/images/index.js';
import { generateSynthetic, writeSynthetic } from '../src/synthetic/index.js';
import { evalTransform, imagesToBatch, trainTransform } from '../src/transforms/index.js';

it('README images/transforms/synthetic example', async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'pir-example-'));
  try {
    // a 256 px RSITMD-like TIFF written by the generator stands in for data/images/train/airport_12.tif
    const written = await writeSynthetic(join(dir, 'data'), { seed: 7, count: 24, size: 256, format: 'tif' });
    const img = await loadImage(join(written.imageDir, 'train/airport_0.tif'));
    expect([img.width, img.height, img.channels]).toEqual([256, 256, 3]);
    const l7 = await loadImage(fileURLToPath(new URL('fixtures/images/landsat_crop.tif', import.meta.url)), {
      bands: [2, 1, 0],
    });
    expect(l7.channels).toBe(3);

    const x = imagesToBatch([img, img]);
    expect(x.shape).toEqual([2, 256, 256, 3]);
    const evalIn = evalTransform(x);
    expect(evalIn.shape).toEqual([2, 224, 224, 3]);
    const trainIn = trainTransform(x, new Rng(42));
    expect(trainIn.shape).toEqual([2, 224, 224, 3]);
    tf.dispose([x, evalIn, trainIn]);

    const ds = generateSynthetic({ seed: 7, count: 24, size: 64 });
    expect(ds.annotations.train.length).toBe(5 * ds.samples.filter((s) => s.split === 'train').length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
