import { initBackend } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { makeSyntheticTask, runDemo } from '../src/index.js';

describe('pir demo', () => {
  it('generates the same synthetic task from the same seed, a different one from another', () => {
    const a = makeSyntheticTask({ trainImages: 20, testImages: 5, seed: 1 });
    const b = makeSyntheticTask({ trainImages: 20, testImages: 5, seed: 1 });
    const c = makeSyntheticTask({ trainImages: 20, testImages: 5, seed: 2 });
    expect(a.train.images).toEqual(b.train.images);
    expect(a.test.texts).toEqual(b.test.texts);
    expect(a.train.images).not.toEqual(c.train.images);
    expect(a.train.numCaptions).toBe(100);
    expect(Array.from(a.train.captionToImage.slice(0, 6))).toEqual([0, 0, 0, 0, 0, 1]);
  });

  it('training with PIR losses improves test retrieval far above chance, and leaks nothing', async () => {
    const lines: string[] = [];
    await initBackend({ backend: 'wasm', threads: 1 });
    const before = tf.memory().numTensors;
    const result = await runDemo({
      backend: 'wasm',
      threads: 1,
      epochs: 4,
      data: { trainImages: 300, testImages: 100 },
      log: (l) => lines.push(l),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.epochLoss).toHaveLength(4);
    expect(result.epochLoss[3]).toBeLessThan(result.epochLoss[0] as number);
    // chance level for T2I R@1 with 100 test images is 1 %
    expect(result.after.mR).toBeGreaterThan(result.before.mR + 15);
    expect(result.after.t2i.recall[1]).toBeGreaterThan(10);
    expect(lines.join('\n')).toMatch(/test set after training/);
  });
});
