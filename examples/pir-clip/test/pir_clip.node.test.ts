/**
 * The PIR-CLIP example, small: both stages at test size on the synthetic benchmark (stage 2 starts from every
 * tensor stage 1 saved, and only the parts stage 1 does not have start as initialised); a released-format
 * PIR-CLIP checkpoint (the test-size one `@pir/models` builds with PyTorch) scored on a split; the real RSITMD
 * test annotations with images in one folder; errors. Nothing leaks.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage } from '@pir/datasets';
import { buildWordVocab } from '@pir/encoders';
import { modelStateDict } from '@pir/models';
import { loadModel } from '@pir/models/node';
import { initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { asTrainingData, DEFAULT_ANNOTATIONS_DIR, realData, syntheticData } from '../src/data.js';
import { evaluateReleasedPirClip } from '../src/released.js';
import { trainTwoStages } from '../src/stages.js';

const fixture = new URL(
  '../../../packages/models/test/fixtures/released/pir_clip_released.pt',
  import.meta.url,
);
const haveAnnotations = existsSync(join(DEFAULT_ANNOTATIONS_DIR, 'rsitmd_test.json'));

describe('examples/pir-clip', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('trains stage 1 (CLIP) then stage 2 (PIR-CLIP) from it', async () => {
    const before = tf.memory().numTensors;
    const runDir = mkdtempSync(join(tmpdir(), 'pir-clip-example-'));
    const { data } = syntheticData(120, 32, 0);
    const lines: string[] = [];
    const result = await trainTwoStages({
      size: 'test',
      data: asTrainingData(data),
      runDir,
      recipe: { epochs: 1 },
      progress: 'none',
      log: (l) => lines.push(l),
    });
    expect(result.stage1.status).toBe('completed');
    expect(result.stage2?.status).toBe('completed');
    expect(result.stage1.test?.mR).toBeGreaterThan(0);
    expect(result.stage2?.test?.mR).toBeGreaterThan(0);
    // stage 2 loaded every tensor stage 1 saved; what it lacks (the instruction ResNet and its projection) starts fresh
    const stage1 = await loadModel(result.stage1.modelDir as string);
    const saved = [...(await modelStateDict(stage1.model)).keys()].filter(
      (k) => !/num_batches_tracked$/.test(k),
    );
    stage1.dispose();
    expect(saved.some((k) => k.startsWith('instruction.'))).toBe(false);
    const line = lines.find((l) => l.startsWith('stage 2 from stage 1'));
    expect(line).toMatch(/: (\d+) tensors loaded, \d+ start as initialised$/);
    expect(Number(/: (\d+) tensors loaded/.exec(line as string)?.[1])).toBe(saved.length);
    for (const dir of [result.stage1.runDir, result.stage2?.runDir as string])
      for (const f of ['recall.png', 'loss.png', 'results.json', 'model/pir-model.json'])
        expect(existsSync(join(dir, f)), `${dir}/${f}`).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);

  it('scores a released-format PIR-CLIP checkpoint on a split', async () => {
    const { data } = syntheticData(120, 32, 1);
    const split = data.test as NonNullable<typeof data.test>;
    // the test-size checkpoint's text tower embeds 64 tokens: a word vocabulary of that size stands in for BPE
    const tokenizer = buildWordVocab(split.captions, { maxSize: 50, contextLength: 12 });
    const before = tf.memory().numTensors;
    const report = await evaluateReleasedPirClip({
      checkpoint: new Uint8Array(await readFile(fixture)),
      split,
      tokenizer,
      headWidth: 8,
    });
    expect(report.nImages).toBe(split.imageLabels.length);
    expect(report.nTexts).toBe(split.captions.length);
    expect(report.mR).toBeGreaterThanOrEqual(0);
    expect(tf.memory().numTensors).toBe(before);
    // CLIP's BPE does not fit that tower: said, not a gather error
    await expect(
      evaluateReleasedPirClip({ checkpoint: new Uint8Array(await readFile(fixture)), split, headWidth: 8 }),
    ).rejects.toThrow(/the tokenizer has 49408 tokens, the checkpoint's text tower embeds 64/);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it.skipIf(!haveAnnotations)(
    'reads the real RSITMD annotations (../shared/data/annotations) with the images in one folder; names missing images',
    async () => {
      const imageDir = mkdtempSync(join(tmpdir(), 'rsitmd-images-'));
      const test = JSON.parse(await readFile(join(DEFAULT_ANNOTATIONS_DIR, 'rsitmd_test.json'), 'utf8')) as {
        image: string;
      }[];
      await expect(realData({ dataset: 'rsitmd', imageDir, splits: ['test'] })).rejects.toThrow(
        /^452 image\(s\) of the annotations are not in /,
      );
      const rng = new Rng(2);
      for (const e of test) {
        const data = new Uint8Array(16 * 16 * 3).map(() => Math.floor(rng.float() * 256));
        await writeImage(join(imageDir, e.image.split('/').at(-1) as string), {
          data,
          width: 16,
          height: 16,
          channels: 3,
        });
      }
      const { data, description } = await realData({ dataset: 'rsitmd', imageDir, splits: ['test'] });
      expect(description).toBe('RSITMD: test 452 images / 2260 captions');
      const [image] = await (data.test as NonNullable<typeof data.test>).loadImages([0]);
      expect([image?.width, image?.height]).toEqual([16, 16]);
    },
    120_000,
  );

  it('says which annotation file is missing and how to give it', async () => {
    await expect(
      realData({
        dataset: 'rsicd',
        imageDir: tmpdir(),
        splits: ['val'],
        annotations: join(tmpdir(), 'none'),
      }),
    ).rejects.toThrow(/the val annotations of RSICD are not at .*rsicd_val\.json: pass --val <file>/);
    await expect(
      realData({ dataset: 'rsicd', imageDir: join(tmpdir(), 'no-images'), splits: ['val'] }),
    ).rejects.toThrow(/the image folder .* does not exist \(--image-dir\)/);
  });
});
