/**
 * Runs every ` ```ts ` example of the README against the package source (imports bound to the modules
 * below; `expr; // value` lines are asserted), on cpu and wasm. ` ```ts no-run ` blocks need files the tests
 * do not have (the RSITMD annotation files and images, a data/ directory): the last test runs the README's
 * file example on files it writes into a temporary directory instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as datasets from '@pir/datasets';
import * as annotations from '@pir/datasets/annotations';
import * as batching from '@pir/datasets/batching';
import * as captions from '@pir/datasets/captions';
import * as dedup from '@pir/datasets/dedup';
import * as images from '@pir/datasets/images';
import * as labels from '@pir/datasets/labels';
import * as synthetic from '@pir/datasets/synthetic';
import * as transforms from '@pir/datasets/transforms';
import * as runtime from '@pir/runtime';
import { initBackend, Rng } from '@pir/runtime';
import { describeBackends } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { evalTransform, imagesToBatch, loadImage, trainTransform, writeSynthetic } from '../src/index.js';

const modules = {
  '@pir/datasets': datasets,
  '@pir/datasets/annotations': annotations,
  '@pir/datasets/batching': batching,
  '@pir/datasets/captions': captions,
  '@pir/datasets/dedup': dedup,
  '@pir/datasets/images': images,
  '@pir/datasets/labels': labels,
  '@pir/datasets/synthetic': synthetic,
  '@pir/datasets/transforms': transforms,
  '@pir/runtime': runtime,
  '@tensorflow/tfjs-core': tf,
};

const examples = markdownExamples(new URL('../README.md', import.meta.url));

it('the README has runnable examples, and every no-run block is a file example', () => {
  expect(examples.filter((e) => !e.skip).length).toBeGreaterThanOrEqual(6);
  for (const e of examples.filter((x) => x.skip)) expect(e.code, `line ${e.line}`).toMatch(/'data\//);
});

describeBackends('README examples', () => {
  for (const example of examples.filter((e) => !e.skip)) {
    it(`example at line ${example.line}`, async () => {
      const before = tf.memory().numTensors;
      const { checks } = await runExample(example.code, modules);
      expect(checks.length, 'an example checks at least one value').toBeGreaterThan(0);
      expect(tf.memory().numTensors - before, 'tensors left behind').toBe(0);
    });
  }
});

// The no-run file example of "Images, transforms and the synthetic benchmark", on files written here: a
// 256 px TIFF of the generator stands in for data/images/train/airport_12.tif, the test fixture for L7_ETMs.tif.
it('README file example (images, transforms, synthetic) on local files', async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'pir-example-'));
  try {
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
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
