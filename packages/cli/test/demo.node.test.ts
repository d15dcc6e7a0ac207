import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwinTransformer } from '@pir/encoders';
import { initBackend, PirError } from '@pir/runtime';
import { expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkImageSize, demoSwinConfig, visionTokenCount } from '../src/demo/model.js';
import { DemoOptionsError, runDemo } from '../src/index.js';

/** The error `fn` rejects with. */
async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('pir demo', () => {
  it('PIR-ITR and the VSE baseline trained on the synthetic benchmark, run folders written, nothing leaked', async () => {
    const lines: string[] = [];
    await initBackend({ backend: 'wasm', threads: 1 });
    const out = join(mkdtempSync(join(tmpdir(), 'pir-demo-')), 'runs');
    const before = tf.memory().numTensors;
    const result = await runDemo({
      backend: 'wasm',
      threads: 1,
      epochs: 3,
      out,
      data: { images: 160, size: 32, valShare: 0.15, testShare: 0.25 },
      log: (l) => lines.push(l),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.epochLoss).toHaveLength(3);
    expect(result.epochLoss[2]).toBeLessThan(result.epochLoss[0] as number);
    // 40 test images: chance mR ≈ (1 + 5 + 10) / 40 · 100 / 3 ≈ 13; trained well above that
    expect(result.after.mR).toBeGreaterThan(result.before.mR + 10);
    expect(result.after.t2i.recall[10]).toBeGreaterThan(40);
    expect(result.instructionAccuracy).toBeGreaterThan(0.5);
    // the baseline trained on the same data, selected the same way, well above chance too
    expect(result.vse?.valMR).toHaveLength(3);
    expect(result.vse?.test.mR).toBeGreaterThan(result.before.mR + 5);
    // each run folder holds the curves, log, checkpoints and the selected model the reported numbers come from
    for (const run of [result.pirItr, result.vse]) {
      for (const f of ['config.json', 'log.jsonl', 'results.json', 'loss.png', 'recall.png'])
        expect(existsSync(join(run?.runDir as string, f)), f).toBe(true);
      expect(existsSync(join(run?.modelDir as string, 'pir-model.json'))).toBe(true);
      expect(run?.valMR[run.selectedEpoch]).toBe(Math.max(...(run?.valMR ?? [])));
    }
    const text = lines.join('\n');
    expect(text).toMatch(/PIR-ITR: Swin/);
    expect(text).toMatch(/VSE baseline/);
    expect(text).toMatch(/PIR-ITR − VSE: [+−]\d+\.\d\d/);
    // a second demo into the same folder is refused: runs are not mixed
    await expect(runDemo({ out, data: { images: 160 }, log: () => {} })).rejects.toThrow(
      /already holds a demo run/,
    );
  }, 400_000);

  it('refuses sizes the Swin windows cannot tile, and too few images, naming the option', async () => {
    const data = { valShare: 0.1, testShare: 0.25 };
    await expect(runDemo({ data: { ...data, images: 40, size: 48 }, log: () => {} })).rejects.toThrow(
      /data\.size must be a multiple of 32/,
    );
    await expect(runDemo({ data: { ...data, images: 1, size: 32 }, log: () => {} })).rejects.toThrow(
      /empty train, val or test split/,
    );
    for (const [d, argument] of [
      [{ ...data, images: 40, size: 48 }, 'data.size'],
      [{ ...data, images: 1, size: 32 }, 'data.images'],
      [{ ...data, images: 40, size: 32, testShare: 1 }, 'data.testShare'],
      [{ ...data, images: 40, size: 32, valShare: 0 }, 'data.valShare'],
    ] as const) {
      const e = await rejection(() =>
        runDemo({ data: d, out: join(tmpdir(), 'pir-demo-never'), log: () => {} }),
      );
      expect(e).toBeInstanceOf(DemoOptionsError);
      expect(e).toBeInstanceOf(PirError);
      expect(e).toMatchObject({ name: 'DemoOptionsError', where: 'runDemo', argument });
      expect((e as Error).message).toMatch(new RegExp(`^runDemo: ${argument.replace('.', '\\.')} `));
    }
  });

  it('accepts exactly the image sides that the Swin of the demo tiles (from 32 px up)', () => {
    for (let size = 32; size <= 512; size += 8) {
      let swinTakes = true;
      try {
        SwinTransformer.countParameters(demoSwinConfig(size)); // checks the stage plan, allocates nothing
      } catch {
        swinTakes = false;
      }
      let demoTakes = true;
      try {
        checkImageSize(size);
      } catch {
        demoTakes = false;
      }
      expect(demoTakes, `${size} px`).toBe(swinTakes);
    }
  });

  it('asks the vision encoder how many tokens PIR-ITR sees: 1 pooled + the final grid', async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    for (const [size, tokens] of [
      [32, 1 + 4 ** 2],
      [64, 1 + 8 ** 2],
    ] as const) {
      const swin = new SwinTransformer(demoSwinConfig(size));
      try {
        expect(await expectNoLeak(() => visionTokenCount(swin, size), 'visionTokenCount')).toBe(tokens);
      } finally {
        swin.dispose();
      }
    }
  });
});
