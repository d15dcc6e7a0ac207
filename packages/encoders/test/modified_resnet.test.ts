/**
 * CLIP ModifiedResNet: golden test at tiny size against OpenAI's layout in PyTorch
 * (`tools/golden/encoders_more.py`), the RN50 visual-tower parameter count, gradients, leaks, errors.
 */

import { loadStateDict, type StateDictLike } from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { EncoderError } from '../src/layers/index.js';
import { CLIP_RN_TEST, CLIP_RN50, ModifiedResNet } from '../src/models/index.js';
import fx from './fixtures/models/modified_resnet_tiny.json';
import counts from './fixtures/models/param_counts_more.json';
import { closeTo, fromJson, type JsonTensor } from './models_data.js';

const TOL = { atol: 2e-4, rtol: 2e-4 };
const close = (a: tf.Tensor, e: JsonTensor, what: string) => closeTo(a, e, TOL, what, expectAllClose);

describe('ModifiedResNet: published sizes', () => {
  it('CLIP RN50 visual tower parameter count equals PyTorch; output width is a config value', () => {
    expect(ModifiedResNet.countParameters(CLIP_RN50)).toBe(counts.clip_rn50_visual);
    expect(ModifiedResNet.countParameters({ ...CLIP_RN50, layers: [3, 4, 23, 3], outputDim: 512 })).toBe(
      counts.clip_rn101_visual,
    );
    // PIR_SPEC's "RN50 → 512": only c_proj changes (2048·(1024 − 512) weights + 512 biases fewer)
    expect(
      ModifiedResNet.countParameters(CLIP_RN50) -
        ModifiedResNet.countParameters({ ...CLIP_RN50, outputDim: 512 }),
    ).toBe(2048 * 512 + 512);
  });
});

describeBackends('ModifiedResNet', () => {
  it('golden vs PyTorch (tiny): attention pool and grid; avg-pool downsampling; frozen BatchNorm', async () => {
    const net = new ModifiedResNet(CLIP_RN_TEST);
    const report = loadStateDict(net, fx.state as StateDictLike);
    expect(report.loaded.length).toBe(net.params.specs().length);
    const images = fromJson(fx.images) as tf.Tensor4D;
    await expectNoLeak(async () => {
      const out = net.encode(images);
      expect(out.global.shape).toEqual([2, 24]);
      expect(out.local.shape).toEqual([2, 4, 64]);
      await close(out.global, fx.global, 'global (attention pool)');
      await close(out.local, fx.local, 'local (grid)');
      const inst = net.asInstructionEncoder();
      expect(inst.dim).toBe(24);
      const v = inst.encode(images);
      await close(v, fx.global, 'instruction');
      tf.dispose([out.global, out.local, v]);
    }, 'ModifiedResNet.encode');
    images.dispose();
    net.dispose();
  });

  it('gradient reaches every trainable weight; BatchNorm frozen by default, trainable with batchNorm "train"', async () => {
    const images = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    for (const batchNorm of ['frozen', 'train'] as const) {
      const net = new ModifiedResNet({ ...CLIP_RN_TEST, batchNorm }, { rng: new Rng(6) });
      const trainable = net.params
        .entries()
        .filter(([, v]) => v.trainable)
        .map(([n]) => n);
      expect(trainable.some((n) => /bn\d|downsample\.1/.test(n))).toBe(batchNorm === 'train');
      await expectNoLeak(async () => {
        const vars = net.trainableVariables();
        const { value, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const out = net.encode(images, true);
              return tf.add(tf.sum(tf.square(out.global)), tf.mean(tf.square(out.local))) as tf.Scalar;
            }),
          vars,
        );
        const zero: string[] = [];
        for (const [name, v] of net.params.entries()) {
          if (!v.trainable) continue;
          const t = tf.tidy(() => tf.sum(tf.abs(grads[v.name] as tf.Tensor)));
          const s = (await t.data())[0] as number;
          t.dispose();
          if (!(Number.isFinite(s) && s > 0)) zero.push(name);
        }
        expect(zero).toEqual([]);
        tf.dispose([value, ...Object.values(grads)]);
      }, `ModifiedResNet grads (${batchNorm})`);
      net.dispose();
    }
    images.dispose();
  });
});

describe('ModifiedResNet errors', () => {
  it('config and input errors name the field', () => {
    expect(() => new ModifiedResNet({ imageSize: 48 })).toThrow(EncoderError);
    expect(() => new ModifiedResNet({ imageSize: 48 })).toThrow(/imageSize must be a multiple of 32/);
    expect(() => new ModifiedResNet({ heads: 3 })).toThrow(/divisible by heads 3/);
    expect(() => new ModifiedResNet({ width: 3 })).toThrow(/width must be even/);
    const net = new ModifiedResNet(CLIP_RN_TEST);
    const bad = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    expect(() => net.encode(bad)).toThrow(/images must have shape \[\*, 64, 64, 3\], got \[1, 32, 32, 3\]/);
    bad.dispose();
    net.dispose();
  });
});
