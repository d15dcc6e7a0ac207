/**
 * pretrainInstructionEncoder: a tiny ResNet learns a synthetic 3-class scene problem (coloured patterns) well
 * above chance on held-out images, then comes back frozen (no trainable weight, BatchNorm on running
 * statistics) as an InstructionEncoder; seeded runs repeat; leaks and errors.
 */
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { EncoderError } from '../src/layers/index.js';
import { pretrainInstructionEncoder, RESNET_TEST } from '../src/models/index.js';

const S = 16;

/**
 * `n` images of 3 classes: 0 = reddish horizontal stripes, 1 = greenish vertical stripes, 2 = bluish
 * checkerboard; random stripe period, phase, brightness and pixel noise.
 */
function scenes(n: number, seed: number): { images: tf.Tensor4D; labels: number[] } {
  const rng = new Rng(seed);
  const data = new Float32Array(n * S * S * 3);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const cls = i % 3;
    labels.push(cls);
    const period = 2 + rng.int(4);
    const phase = rng.int(period);
    const gain = rng.uniform(0.6, 1.2);
    for (let r = 0; r < S; r++) {
      for (let c = 0; c < S; c++) {
        const on =
          cls === 0
            ? Math.floor((r + phase) / period) % 2
            : cls === 1
              ? Math.floor((c + phase) / period) % 2
              : (Math.floor((r + phase) / period) + Math.floor(c / period)) % 2;
        for (let ch = 0; ch < 3; ch++) {
          const tint = ch === cls ? 0.6 : 0;
          data[((i * S + r) * S + c) * 3 + ch] = gain * (on - 0.5 + tint) + rng.uniform(-0.3, 0.3);
        }
      }
    }
  }
  return { images: tf.tensor4d(data, [n, S, S, 3]), labels };
}

async function accuracy(logits: tf.Tensor2D, labels: number[]): Promise<number> {
  const pred = tf.argMax(logits, 1);
  const p = await pred.data();
  pred.dispose();
  return labels.filter((y, i) => p[i] === y).length / labels.length;
}

describeBackends('pretrainInstructionEncoder', () => {
  it('learns a 3-class scene problem well above chance, then is frozen (no trainable weight)', async () => {
    const train = scenes(48, 1);
    const test = scenes(30, 2);
    const before = tf.memory().numTensors;
    const enc = await pretrainInstructionEncoder(train.images, train.labels, {
      config: RESNET_TEST,
      epochs: 8,
      batchSize: 12,
      learningRate: 1e-2,
      rng: new Rng(7),
    });
    // only the frozen model's variables remain
    expect(tf.memory().numTensors - before).toBe(enc.model.params.entries().length);
    expect(enc.history).toHaveLength(8);
    expect(enc.history[7]?.loss).toBeLessThan(enc.history[0]?.loss as number);
    const logits = enc.model.logits(test.images);
    const acc = await accuracy(logits, test.labels);
    expect(acc, `held-out accuracy ${acc}`).toBeGreaterThanOrEqual(0.8); // chance: 1/3
    logits.dispose();

    // frozen: nothing trains, BatchNorm uses running statistics even with training = true
    expect(enc.model.trainableVariables()).toEqual([]);
    expect(enc.model.params.entries().every(([, v]) => !v.trainable)).toBe(true);
    expect(enc.model.config.batchNorm).toBe('frozen');
    expect(enc.dim).toBe(128);
    await expectNoLeak(async () => {
      const u = enc.encode(test.images);
      expect(u.shape).toEqual([30, 128]);
      const a = enc.model.encode(test.images, true);
      const b = enc.model.encode(test.images, false);
      expect(Array.from(await a.global.data())).toEqual(Array.from(await b.global.data()));
      tf.dispose([u, a.global, a.local, b.global, b.local]);
    }, 'PretrainedInstructionEncoder.encode');
    enc.dispose();
    tf.dispose([train.images, test.images]);
  });
});

describe('pretrainInstructionEncoder: seeding and errors', () => {
  it('seeded runs repeat', async () => {
    const { images, labels } = scenes(12, 3);
    const run = async () => {
      const e = await pretrainInstructionEncoder(images, labels, {
        epochs: 2,
        batchSize: 4,
        config: { ...RESNET_TEST, width: 2 },
        rng: new Rng(9),
      });
      const h = e.history.map((s) => s.loss);
      e.dispose();
      return h;
    };
    expect(await run()).toEqual(await run());
    images.dispose();
  });

  it('errors name the argument', async () => {
    const x = tf.zeros([4, S, S, 3]) as tf.Tensor4D;
    await expect(pretrainInstructionEncoder(x, [0, 1, 2])).rejects.toThrow(/got 3 labels for 4 images/);
    await expect(pretrainInstructionEncoder(x, [0, 1, 2, 5], { numClasses: 3 })).rejects.toThrow(
      /labels\[3\] = 5 is not a class id in \[0, 3\)/,
    );
    await expect(pretrainInstructionEncoder(x, [0, 0, 0, 0])).rejects.toThrow(/at least 2 classes/);
    await expect(pretrainInstructionEncoder(x, [0, 1, 0, 1], { batchSize: 1 })).rejects.toThrow(EncoderError);
    const bad = tf.zeros([4, 32, 32, 1]) as tf.Tensor4D;
    await expect(pretrainInstructionEncoder(bad, [0, 1, 0, 1])).rejects.toThrow(/images must have shape/);
    tf.dispose([x, bad]);
  });
});
