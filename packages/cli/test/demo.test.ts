import { initBackend } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/index.js';

describe('pir demo', () => {
  it('PIR-ITR trained on the synthetic benchmark retrieves far above chance, and leaks nothing', async () => {
    const lines: string[] = [];
    await initBackend({ backend: 'wasm', threads: 1 });
    const before = tf.memory().numTensors;
    const result = await runDemo({
      backend: 'wasm',
      threads: 1,
      epochs: 3,
      data: { images: 160, size: 32, testShare: 0.25 },
      log: (l) => lines.push(l),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.epochLoss).toHaveLength(3);
    expect(result.epochLoss[2]).toBeLessThan(result.epochLoss[0] as number);
    // 40 test images: chance mR ≈ (1 + 5 + 10) / 40 · 100 / 3 ≈ 13; trained well above that
    expect(result.after.mR).toBeGreaterThan(result.before.mR + 10);
    expect(result.after.t2i.recall[10]).toBeGreaterThan(40);
    expect(result.instructionAccuracy).toBeGreaterThan(0.5);
    expect(lines.join('\n')).toMatch(/test set after training/);
    expect(lines.join('\n')).toMatch(/PIR-ITR: Swin/);
  }, 300_000);

  it('refuses sizes the Swin windows cannot tile, and too few images, naming the option', async () => {
    await expect(runDemo({ data: { images: 40, size: 48, testShare: 0.25 }, log: () => {} })).rejects.toThrow(
      /data\.size must be a multiple of 32/,
    );
    await expect(runDemo({ data: { images: 1, size: 32, testShare: 0.25 }, log: () => {} })).rejects.toThrow(
      /empty train or test split/,
    );
  });
});
