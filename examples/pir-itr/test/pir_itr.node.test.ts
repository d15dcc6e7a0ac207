/**
 * The PIR-ITR example, small: PIR-ITR and the VSE baseline trained on the synthetic benchmark (test-size
 * configurations, one epoch) and evaluated again from their model directories; the real RSITMD test annotations
 * (`../shared/data/annotations/`) read with images found in one folder; the authors' checkpoint format evaluated
 * with the released protocol on them (the test-size checkpoint `@pir/models` builds with PyTorch as a fixture);
 * the errors a user meets. Nothing leaks.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage } from '@pir/datasets';
import { buildWordVocab } from '@pir/encoders';
import { initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  annotationFiles,
  asTrainingData,
  DEFAULT_ANNOTATIONS_DIR,
  realData,
  syntheticData,
} from '../src/data.js';
import { evaluateModelDir, modelDirsOf } from '../src/evaluate.js';
import { evaluateReleasedPirItr } from '../src/released_eval.js';
import { reproduce } from '../src/reproduce.js';

const fixture = new URL(
  '../../../packages/models/test/fixtures/released/pir_itr_released.pth',
  import.meta.url,
);
const haveAnnotations = existsSync(annotationFiles('rsitmd').test);

async function rejection(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('examples/pir-itr', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('trains PIR-ITR and the VSE baseline; the saved models score again what the runs reported', async () => {
    const before = tf.memory().numTensors;
    const runDir = mkdtempSync(join(tmpdir(), 'pir-itr-example-'));
    const { data } = syntheticData({ count: 120, size: 32, seed: 0 });
    const lines: string[] = [];
    const result = await reproduce({
      config: 'pir-itr-test',
      data: asTrainingData(data),
      runDir,
      withBaseline: true,
      recipe: { epochs: 1 },
      instructionEpochs: 2,
      progress: 'none',
      log: (l) => lines.push(l),
    });
    expect(result.pir).toMatchObject({ name: 'pir-itr-test', status: 'completed' });
    expect(result.baseline).toMatchObject({ name: 'vse-test', status: 'completed' });
    expect(lines.some((l) => /instruction ResNet frozen, training accuracy/.test(l))).toBe(true);
    const dirs = await modelDirsOf(runDir);
    expect(dirs.map((d) => d.split('/').at(-2))).toEqual(['pir-itr-test', 'vse-test']);
    for (const [dir, run] of [
      [dirs[0], result.pir],
      [dirs[1], result.baseline],
    ] as const) {
      const e = await evaluateModelDir(dir as string, data.test as NonNullable<typeof data.test>);
      expect(e.report.mR, dir).toBeCloseTo(run?.test?.mR as number, 4);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);

  it.skipIf(!haveAnnotations)(
    'reads the real RSITMD test annotations (../shared/data/annotations) with the images in one folder, and evaluates a released-format checkpoint on them',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'rsitmd-images-'));
      const test = JSON.parse(await readFile(annotationFiles('rsitmd').test, 'utf8')) as { image: string }[];
      // RSITMD ships its images in one folder (`parking_229.tif`); stand-ins of 32 px, written as TIFF
      const rng = new Rng(5);
      for (const entry of test) {
        const name = entry.image.split('/').at(-1) as string;
        const data = new Uint8Array(32 * 32 * 3).map(() => Math.floor(rng.uniform() * 256));
        await writeImage(join(dataDir, name), { data, width: 32, height: 32, channels: 3 });
      }
      const { data, description } = await realData({ dataset: 'rsitmd', dataDir, splits: ['test'] });
      expect(description).toMatch(/RSITMD: test 452 images \/ 2260 captions \(images in .*, one folder\)/);
      // the test-size checkpoint's BERT embeds 60 tokens: a word vocabulary of that size stands in for WordPiece
      const split = data.test as NonNullable<typeof data.test>;
      const tokenizer = buildWordVocab(split.captions, { maxSize: 50, contextLength: 16 });
      expect(tokenizer.vocabSize).toBeLessThanOrEqual(60);
      const before = tf.memory().numTensors;
      const result = await evaluateReleasedPirItr({
        checkpoint: new Uint8Array(await readFile(fixture)),
        split,
        tokenizer,
        textHeads: 2,
      });
      expect(result.report.nImages).toBe(452);
      expect(result.report.nTexts).toBe(2260);
      // random images: retrieval at chance (R@10 of 452 images ≈ 2 %), not above it
      expect(result.report.mR).toBeGreaterThanOrEqual(0);
      expect(result.report.mR).toBeLessThan(15);
      expect(tf.memory().numTensors).toBe(before);
    },
    300_000,
  );

  it('says which file is missing and which option replaces it', async () => {
    const e = await rejection(() =>
      realData({
        dataset: 'rsicd',
        dataDir: tmpdir(),
        annotations: join(tmpdir(), 'nowhere'),
        splits: ['test'],
      }),
    );
    expect(e.message).toMatch(
      /the test annotations of RSICD are not at .*rsicd_test\.json: pass --test <file>/,
    );
    if (haveAnnotations) {
      const empty = mkdtempSync(join(tmpdir(), 'rsitmd-empty-'));
      const missing = await rejection(() =>
        realData({ dataset: 'rsitmd', dataDir: empty, splits: ['test'] }),
      );
      expect(missing.message).toMatch(/^452 image\(s\) of the annotations are not under /);
    }
    const noDir = await rejection(() =>
      realData({ dataset: 'rsitmd', dataDir: join(tmpdir(), 'no-such-images'), splits: ['test'] }),
    );
    expect(noDir.message).toMatch(haveAnnotations ? /does not exist \(--data-dir\)/ : /not at/);
  });
});
