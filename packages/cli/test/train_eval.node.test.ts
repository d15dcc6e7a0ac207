/**
 * `pir train` and `pir eval` (their functions, as the command calls them): a run directory with everything in
 * it, the selected model scored again by `pir eval` (the same numbers as the run's test at the selected epoch),
 * annotation files on disk read the same as the benchmark in memory, `--init`, `--resume`, and the errors a
 * newcomer meets (which flag, what to do). Each leaves no tensor behind.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { writeSynthetic } from '@pir/datasets';
import { modelStateDict } from '@pir/models';
import { loadModel } from '@pir/models/node';
import { initBackend } from '@pir/runtime';
import { readTrainingData } from '@pir/train/node';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_SPLITS } from '../src/commands/data.js';
import { evalCommand } from '../src/commands/eval.js';
import { trainCommand } from '../src/commands/train.js';

const synthetic = { kind: 'synthetic', images: 72, size: 32, seed: 3 } as const;

async function rejection(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('pir train / pir eval', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pir-train-'));
  const run = join(dir, 'run');
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('trains into a run directory whose selected model pir eval scores as the run did', async () => {
    const before = tf.memory().numTensors;
    const result = await trainCommand({
      config: 'pir-itr-test',
      data: synthetic,
      out: run,
      epochs: 2,
      progress: 'none',
    });
    expect(result.status).toBe('completed');
    for (const f of [
      'config.json',
      'log.jsonl',
      'results.json',
      'loss.png',
      'recall.png',
      'model/pir-model.json',
    ])
      expect(existsSync(join(run, f)), f).toBe(true);
    const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8'));
    expect(results.epochs).toHaveLength(2);
    expect(results.test.mR).toBeGreaterThan(0);
    // the saved model, loaded back and scored on the same (regenerated) test split
    const ev = await evalCommand({ model: join(run, 'model'), data: synthetic });
    expect(ev.model).toMatchObject({ name: 'pir-itr-test', architecture: 'pir-itr' });
    expect(ev.report.nImages).toBe(12);
    expect(ev.report.mR).toBeCloseTo(results.test.mR, 4);
    expect(ev.data).toMatch(/synthetic benchmark \(72 images of 32 px, seed 3\), test split/);
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);

  it('refuses to overwrite a run, and to resume where there is none', async () => {
    const again = await rejection(() =>
      trainCommand({ config: 'pir-itr-test', data: synthetic, out: run, progress: 'none' }),
    );
    expect(again).toMatchObject({ where: 'pir train', argument: '--out' });
    expect(again.message).toMatch(/holds a run already: pass --resume/);
    const none = await rejection(() =>
      trainCommand({
        config: 'pir-itr-test',
        data: synthetic,
        out: join(dir, 'empty'),
        resume: true,
        progress: 'none',
      }),
    );
    expect(none).toMatchObject({ argument: '--resume' });
    expect(none.message).toMatch(/holds no checkpoint to resume/);
  });

  it('--init starts from a model directory: every tensor of the same model loads', async () => {
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    const result = await trainCommand({
      config: 'pir-itr-test',
      data: synthetic,
      out: join(dir, 'init'),
      epochs: 1,
      init: join(run, 'model'),
      progress: 'none',
      log: (l) => lines.push(l),
    });
    expect(result.status).toBe('completed');
    const [line] = lines.filter((l) => l.startsWith('--init'));
    expect(line).toMatch(/^--init .*: \d+ tensors loaded$/); // nothing missing, unused or mis-shaped
    // every tensor of the directory, the encoders' included
    const source = await loadModel(join(run, 'model'));
    const whole = await modelStateDict(source.model);
    source.dispose();
    const expected = [...whole.keys()].filter((k) => !/num_batches_tracked$/.test(k)).length;
    expect(Number(/: (\d+) tensors loaded/.exec(line as string)?.[1])).toBe(expected);
    expect([...whole.keys()].some((k) => k.startsWith('vision.'))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    // the VSE baseline shares the encoders (Swin, BERT): those load, PIR's own tensors are reported unused
    const vseLines: string[] = [];
    const vse = await trainCommand({
      config: 'vse-test',
      data: synthetic,
      out: join(dir, 'init-vse'),
      epochs: 1,
      init: join(run, 'model'),
      progress: 'none',
      log: (l) => vseLines.push(l),
    });
    expect(vse.status).toBe('completed');
    expect(vseLines.find((l) => l.startsWith('--init'))).toMatch(
      /\d+ tensors loaded, \d+ of the directory unused$/,
    );
    // a model that shares no tensor with it: said, not silently trained from scratch
    const e = await rejection(() =>
      trainCommand({
        config: 'pir-clip-test',
        data: synthetic,
        out: join(dir, 'init-clip'),
        init: join(run, 'model'),
        tokenizer: 'words',
        progress: 'none',
        log: () => {},
      }),
    );
    expect(e).toMatchObject({ argument: '--init' });
    expect(e.message).toMatch(/shares no tensor \(name and shape\) with the model of --config pir-clip-test/);
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);

  it('reads annotation files and images from disk as the benchmark in memory', async () => {
    const written = await writeSynthetic(join(dir, 'files'), {
      seed: synthetic.seed,
      count: synthetic.images,
      size: synthetic.size,
      splits: { ...SYNTHETIC_SPLITS },
    });
    const fromFiles = await evalCommand({
      model: join(run, 'model'),
      data: { kind: 'files', train: written.files.test, imageDir: written.imageDir },
    });
    const inMemory = await evalCommand({ model: join(run, 'model'), data: synthetic });
    expect(fromFiles.report.nImages).toBe(inMemory.report.nImages);
    expect(fromFiles.report.mR).toBeCloseTo(inMemory.report.mR, 4); // PNG is lossless
    expect(fromFiles.data).toContain(written.files.test);
    // RSITMD's layout: every image in one folder, the annotations saying test/<name> — found as such
    const flat = join(dir, 'flat');
    mkdirSync(flat);
    const test = JSON.parse(readFileSync(written.files.test, 'utf8')) as { image: string }[];
    for (const e of test) copyFileSync(join(written.imageDir, e.image), join(flat, basename(e.image)));
    expect(test[0]?.image).toMatch(/^test\//);
    const fromFlat = await evalCommand({
      model: join(run, 'model'),
      data: { kind: 'files', train: written.files.test, imageDir: flat },
    });
    expect(fromFlat.report.mR).toBeCloseTo(inMemory.report.mR, 4);
    // told to look where the annotations say, the same folder is missing every image, and says so
    await expect(
      readTrainingData({ train: written.files.test, imageDir: flat, layout: 'as-annotated' }),
    ).rejects.toThrow(/image file not found/);
  }, 120_000);

  it('says which flag is wrong and what to do', async () => {
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [
        () => trainCommand({ config: 'pir-itr-tnyy', data: synthetic, out: join(dir, 'x1') }),
        '--config',
        /unknown model 'pir-itr-tnyy'.*known: /,
      ],
      [
        () => {
          writeFileSync(join(dir, 'broken.json'), '{"name": "mine",');
          return trainCommand({ config: join(dir, 'broken.json'), data: synthetic, out: join(dir, 'x2') });
        },
        '--config',
        /is not valid JSON/,
      ],
      [
        () => {
          writeFileSync(join(dir, 'partial.json'), '{"name": "mine", "architecture": "pir-itr"}');
          return trainCommand({ config: join(dir, 'partial.json'), data: synthetic, out: join(dir, 'x3') });
        },
        '--config',
        /is not a model configuration: .*encoders/,
      ],
      [
        () =>
          trainCommand({ config: 'pir-itr-test', data: { ...synthetic, images: 5 }, out: join(dir, 'x4') }),
        '--synthetic',
        /5 images leave the val split empty .* use at least 72/,
      ],
      [
        () =>
          trainCommand({
            config: 'pir-itr-test',
            data: { kind: 'files', train: 'a.json', imageDir: join(dir, 'no-such-folder') },
            out: join(dir, 'x5'),
          }),
        '--image-dir',
        /does not exist/,
      ],
      [
        () => evalCommand({ model: join(dir, 'no-model'), data: synthetic }),
        '',
        /pir-model\.json: not found/,
      ],
    ];
    for (const [fn, flag, message] of cases) {
      const e = await rejection(fn);
      expect(e.message, flag).toMatch(message);
      if (flag !== '') expect(e, flag).toMatchObject({ argument: flag });
    }
  });
});
