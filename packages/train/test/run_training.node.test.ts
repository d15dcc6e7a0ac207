/**
 * `@pir/train/node`: a run directory (config, JSONL log, checkpoints, curves as SVG and PNG, the selected model
 * directory, results), progress lines, the atomic file store under simulated crashes, damaged checkpoints,
 * training data read from annotation files and an image folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { writeSynthetic } from '@pir/datasets';
import { loadModel } from '@pir/models/node';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../src/errors.js';
import { evaluateSplit } from '../src/index.js';
import {
  fileCheckpointStore,
  formatBytes,
  formatDuration,
  progressReporter,
  readRunLog,
  readTrainingData,
  runTraining,
  type SaveStage,
} from '../src/node/index.js';
import { decodeCheckpoint } from '../src/trainer/index.js';
import { tinyData } from './train_data.js';

const tmp = mkdtempSync(join(tmpdir(), 'pir-train-node-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A writable stream that keeps what is written. */
function capture(): Writable & { text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  }) as Writable & { text: () => string };
  stream.text = () => text;
  return stream;
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describeBackends('runTraining into a run directory', () => {
  it('writes the config, a JSONL log, checkpoints, curves (SVG + PNG), the selected model and the results; shows progress lines', async () => {
    const runDir = join(tmp, 'run');
    const out = capture();
    const result = await runTraining({
      model: 'pir-itr-test',
      data: tinyData(),
      recipe: { epochs: 2, batchSize: 10 },
      seed: 5,
      runDir,
      checkpointEvery: 3,
      progress: 'auto', // not a TTY: lines
      stream: out,
    });
    try {
      expect(result.status).toBe('completed');
      const text = out.text();
      expect(text).toMatch(
        /^training pir-itr-test \(pir-itr, 0\.\d\d M trainable parameters\): 2 epochs × 4 steps of 10 captions/,
      );
      expect(text).toMatch(
        /\[epoch 1\/2\] step 4\/4 \(4\/8\) loss \d+\.\d{4} \(contrastive \d+\.\d{4}, affiliation \d+\.\d{4}\) · lr [\d.e+-]+ · \|g\| [\d.]+ · [\d.]+ samples\/s · ETA \d+:\d\d · tensors [\d.]+ [kM]?B \(peak [\d.]+ [kM]?B, rss [\d.]+ MB\)/,
      );
      expect(text).toMatch(
        /\[epoch 2\/2\] val: mR \d+\.\d\d · I2T R@1\/5\/10 [\d./]+ · T2I R@1\/5\/10 [\d./]+/,
      );
      expect(text).toMatch(/checkpoint step-00000003 → latest \(every/);
      expect(text).toMatch(/\[selected epoch \d\] test: mR/);
      expect(text).toMatch(
        /done: 8 steps in \d+:\d\d · selected epoch \d \(val mR [\d.]+\) · peak tensor memory/,
      );

      for (const f of [
        'config.json',
        'log.jsonl',
        'results.json',
        'loss.svg',
        'loss.png',
        'recall.svg',
        'recall.png',
      ])
        expect(existsSync(join(runDir, f)), f).toBe(true);
      expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).train.batchSize).toBe(10);

      // the log: every step (loss parts, lr, grad norm, samples/s, memory with RSS) and epoch (val metrics)
      const log = readRunLog(join(runDir, 'log.jsonl'));
      expect(log.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const s = log.steps[7];
      expect(Object.keys(s?.losses ?? {})).toEqual(['loss', 'contrastive', 'affiliation']);
      expect(s?.memory.rssBytes).toBeGreaterThan(1e6);
      expect(s?.memory.peakRssBytes).toBeGreaterThanOrEqual(s?.memory.rssBytes ?? 0);
      expect(s?.samplesPerSecond).toBeGreaterThan(0);
      expect(log.epochs.map((e) => e.val?.mR)).toEqual(result.epochs.map((e) => e.val?.mR));
      expect(log.records.every((r) => typeof r.time === 'string')).toBe(true);

      // curves: Vega-Lite output with titles, axis titles and legends; PNGs that are PNGs
      const loss = readFileSync(join(runDir, 'loss.svg'), 'utf8');
      for (const label of [
        'Training loss — pir-itr-test',
        'optimiser step',
        'loss (per batch)',
        'loss part',
        'contrastive',
        'learning rate',
      ])
        expect(loss, label).toContain(label);
      const recall = readFileSync(join(runDir, 'recall.svg'), 'utf8');
      for (const label of [
        'Retrieval on the validation split',
        'epoch',
        'validation recall (%)',
        'metric',
        'I2T R@1',
        'T2I R@10',
        'selected: epoch',
      ])
        expect(recall, label).toContain(label);
      for (const f of ['loss.png', 'recall.png'])
        expect([...readFileSync(join(runDir, f)).subarray(0, 8)]).toEqual(PNG);

      // results and the selected model, loadable by @pir/models
      const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
      expect(results.status).toBe('completed');
      expect(results.best.epoch).toBe(result.best?.epoch);
      expect(results.test.mR).toBe(result.test?.mR);
      expect(results.peakRssBytes).toBeGreaterThan(1e6);
      expect(result.files.model).toBe(join(runDir, 'model'));
      const loaded = await loadModel(join(runDir, 'model'));
      const caption = ['planes are parked at the terminal'];
      const gap = tf.tidy(() => {
        const a = loaded.embedTexts(caption);
        const { ids, mask } = result.tokenizer.batch(caption);
        const b = result.model.embedTexts(ids as tf.Tensor2D, mask as tf.Tensor2D);
        return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      });
      expect(gap).toBe(0);
      // the model directory evaluates as the trainer did
      const report = await evaluateSplit(loaded, tinyData().test as never, { maxWords: 30 });
      expect(report.mR).toBeCloseTo(result.test?.mR as number, 6);
      loaded.dispose();
      // the store keeps only what latest and best point to
      const kept = readdirSync(join(runDir, 'checkpoints')).filter((n) => n.startsWith('step-'));
      expect(kept.length).toBeLessThanOrEqual(2);
    } finally {
      result.dispose();
    }
  });

  it('resume: auto on a finished run trains nothing more and reports the same', async () => {
    const runDir = join(tmp, 'run'); // the run of the test above
    const first = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    const steps: number[] = [];
    const again = await runTraining({
      model: 'pir-itr-test',
      data: tinyData(),
      recipe: { epochs: 2, batchSize: 10 },
      seed: 5,
      runDir,
      resume: 'auto',
      progress: 'none',
      plots: false,
      onEvent: (e) => void (e.type === 'step' && steps.push(e.step)),
    });
    expect(steps).toEqual([]);
    expect(again.best).toEqual(first.best);
    expect(again.test?.mR).toBe(first.test.mR);
    again.dispose();
  });
}, ['wasm']);

describeBackends('fileCheckpointStore', () => {
  const files = (tag: string) => ({
    'a.bin': new Uint8Array([1, 2, 3]),
    'trainer.json': new TextEncoder().encode(`{"tag":"${tag}"}`),
  });
  const text = (f: Record<string, Uint8Array> | undefined) => new TextDecoder().decode(f?.['trainer.json']);

  it('a crash at any stage of a save leaves the previous checkpoint as latest; leftovers go at the next save', async () => {
    const dir = join(tmp, 'store');
    let crashAt: SaveStage | undefined;
    const store = fileCheckpointStore(dir, {
      onStage: (stage) => {
        if (stage === crashAt) throw new Error(`crash at ${stage}`);
      },
    });
    await store.save('step-1', files('one'), ['latest', 'best']);
    for (const stage of ['files-written', 'folder-renamed'] as const) {
      crashAt = stage;
      await expect(store.save('step-2', files('two'), ['latest'])).rejects.toBeInstanceOf(CheckpointError);
      const latest = await store.load('latest');
      expect(latest?.name).toBe('step-1');
      expect(text(latest?.files as Record<string, Uint8Array>)).toBe('{"tag":"one"}');
    }
    // the crash after the rename left a complete, unreferenced folder; no temporary folder is left
    expect(readdirSync(dir).sort()).toEqual(['best.json', 'latest.json', 'step-1', 'step-2']);
    crashAt = undefined;
    await store.save('step-2', files('two again'), ['latest']);
    // the name was taken by the orphan: a fresh folder; the orphan is pruned
    expect(readdirSync(dir).sort()).toEqual(['best.json', 'latest.json', 'step-1', 'step-2.1']);
    expect(text((await store.load('latest'))?.files as Record<string, Uint8Array>)).toBe(
      '{"tag":"two again"}',
    );
    await store.save('step-3', files('three'), ['latest', 'best']);
    expect(readdirSync(dir).sort()).toEqual(['best.json', 'latest.json', 'step-3']);
    expect(await store.folderOf('best')).toBe(join(dir, 'step-3'));
  });

  it('refuses bad names and damaged pointers; a damaged checkpoint file is named', async () => {
    const dir = join(tmp, 'store-bad');
    const store = fileCheckpointStore(dir);
    await expect(store.save('../x', files('x'), ['latest'])).rejects.toMatchObject({ argument: 'name' });
    expect(await store.load('latest')).toBeUndefined();
    await store.save('step-1', files('one'), ['latest']);
    writeFileSync(join(dir, 'latest.json'), '{"format":"pir-train-pointer","checkpoint":"../../etc"}');
    await expect(store.load('latest')).rejects.toMatchObject({
      where: 'latest.json',
      argument: 'checkpoint',
    });
  });

  it('decodeCheckpoint names a damaged file of a real checkpoint', async () => {
    const runDir = join(tmp, 'run'); // written by the runTraining test
    const stored = await fileCheckpointStore(join(runDir, 'checkpoints')).load('latest');
    expect(stored).toBeDefined();
    const files = { ...(stored?.files ?? {}) };
    const damaged = new Uint8Array(files['optimizer.safetensors'] as Uint8Array);
    damaged[damaged.length - 1] ^= 1;
    files['optimizer.safetensors'] = damaged;
    await expect(decodeCheckpoint({ name: 'x', files, location: 'here' })).rejects.toMatchObject({
      name: 'CheckpointError',
      where: 'optimizer.safetensors',
    });
    delete files['trainer.json'];
    await expect(decodeCheckpoint({ name: 'x', files, location: 'here' })).rejects.toMatchObject({
      where: 'trainer.json',
    });
  });
}, ['wasm']);

describeBackends('readTrainingData', () => {
  it('reads annotation files and decodes images from the folder; evaluation runs on them', async () => {
    const dir = join(tmp, 'synthetic');
    const written = await writeSynthetic(dir, {
      seed: 1,
      count: 16,
      size: 32,
      classes: ['airport', 'forest', 'river', 'beach'],
      splits: { train: 0.5, val: 0.25, test: 0.25 },
    });
    const data = await readTrainingData({
      train: written.files.train,
      val: written.files.val,
      test: written.files.test,
      imageDir: written.imageDir,
    });
    const memory = tinyData();
    expect(data.train.captions).toEqual(memory.train.captions);
    expect(Array.from(data.val?.captionToImage ?? [])).toEqual(Array.from(memory.val?.captionToImage ?? []));
    const [img] = (await data.test?.loadImages([0])) ?? [];
    expect([img?.width, img?.height, img?.channels]).toEqual([32, 32, 3]);
    // the same pixels as in memory (PNG is lossless)
    const [mem] = (await memory.test?.loadImages([0])) ?? [];
    expect(Array.from(img?.data ?? [])).toEqual(Array.from(mem?.data ?? []));
    await expect(
      readTrainingData({ train: written.files.train, imageDir: join(dir, 'nowhere') }),
    ).rejects.toThrow();
  });
}, ['wasm']);

describe('progress lines', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(65)).toBe('1:05');
  });

  it("mode 'lines' writes a step line about 10 times per epoch and each epoch's last; 'none' writes nothing", async () => {
    const out = capture();
    const progress = progressReporter({ mode: 'lines', stream: out });
    const start = {
      type: 'start',
      model: 'm',
      architecture: 'pir-itr',
      epochs: 1,
      batchSize: 2,
      stepsPerEpoch: 25,
      totalSteps: 25,
      startStep: 0,
      microBatch: 2,
      trainImages: 5,
      trainCaptions: 50,
      parameters: 1e6,
      seed: 0,
    } as const;
    progress.onEvent(start);
    for (let i = 1; i <= 25; i++)
      progress.onEvent({
        type: 'step',
        epoch: 0,
        stepInEpoch: i,
        stepsPerEpoch: 25,
        step: i,
        totalSteps: 25,
        losses: { loss: 1 },
        gradNorm: 1,
        lr: { decay: 1e-4 },
        samples: 2,
        seconds: 0.5,
        samplesPerSecond: 4,
        memory: { numTensors: 1, numBytes: 1e6, peakBytes: 2e6 },
      });
    progress.stop();
    const lines = out.text().trim().split('\n');
    expect(lines.length).toBe(1 + 12 + 1); // start, every 2nd step, the last
    expect(lines[lines.length - 1]).toBe(
      '[epoch 1/1] step 25/25 (25/25) loss 1.0000 · lr 1.00e-4 · |g| 1.000 · 4.0 samples/s · ETA 0:00 · tensors 1.0 MB (peak 2.0 MB)',
    );
    const quiet = capture();
    const none = progressReporter({ mode: 'none', stream: quiet });
    none.onEvent(start);
    expect(quiet.text()).toBe('');
    await expectNoLeak(() => undefined);
  });
});
