/**
 * Swin Transformer: golden test at tiny size against the official layout in PyTorch
 * (`tools/golden/encoders_more.py`; shifted windows + cyclic-shift mask in stages 1–2, one window in stage 3,
 * a shrunk window in stage 4), the Swin-T parameter count, index/mask/roll helpers, gradients, leaks, errors.
 */

import { loadStateDict, type StateDictLike, stateDict } from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { EncoderError } from '../src/layers/index.js';
import {
  relativePositionIndex,
  roll2d,
  SWIN_T,
  SWIN_TEST,
  SwinTransformer,
  shiftedWindowMask,
  windowPartition,
  windowReverse,
} from '../src/models/index.js';
import counts from './fixtures/models/param_counts_more.json';
import fx from './fixtures/models/swin_tiny.json';
import { closeTo, fromJson, type JsonTensor } from './models_data.js';

const TOL = { atol: 2e-4, rtol: 2e-4 };
const close = (a: tf.Tensor, e: JsonTensor, what: string) => closeTo(a, e, TOL, what, expectAllClose);

describe('Swin: published sizes and buffers', () => {
  it('Swin-T parameter count equals PyTorch (with and without head)', () => {
    expect(SwinTransformer.countParameters(SWIN_T)).toBe(counts.swin_t);
    expect(SwinTransformer.countParameters(SWIN_T)).toBe(28_288_354);
    expect(SwinTransformer.countParameters({ ...SWIN_T, numClasses: 0 })).toBe(counts.swin_t_nohead);
  });

  it('relative_position_index and attn_mask equal the official buffers', () => {
    const st = fx.state as Record<string, JsonTensor>;
    const idx = st['layers.0.blocks.0.attn.relative_position_index'] as JsonTensor;
    expect(Array.from(relativePositionIndex(4))).toEqual(idx.data);
    const small = st['layers.3.blocks.0.attn.relative_position_index'] as JsonTensor;
    expect(Array.from(relativePositionIndex(2))).toEqual(small.data);
    for (const [stage, res] of [
      [0, 16],
      [1, 8],
    ] as const) {
      const mask = st[`layers.${stage}.blocks.1.attn_mask`] as JsonTensor;
      expect(Array.from(shiftedWindowMask(res, 4, 2))).toEqual(mask.data);
    }
  });
});

describeBackends('Swin', () => {
  it('roll2d is torch.roll over H and W; windowReverse inverts windowPartition', async () => {
    const x = tf.reshape(tf.range(0, 2 * 4 * 4 * 3), [2, 4, 4, 3]) as tf.Tensor4D;
    const r = roll2d(x, -1);
    const back = roll2d(r, 1);
    expect(Array.from(await back.data())).toEqual(Array.from(await x.data()));
    // torch.roll(x, (-1, -1), (1, 2))[0, 0, 0] = x[0, 1, 1]
    expect((await r.data())[0]).toBe(((0 * 4 + 1) * 4 + 1) * 3);
    const w = windowPartition(x, 2);
    expect(w.shape).toEqual([8, 4, 3]);
    const y = windowReverse(w, 2, 4, 4);
    expect(Array.from(await y.data())).toEqual(Array.from(await x.data()));
    tf.dispose([x, r, back, w, y]);
  });
  it('golden vs PyTorch (tiny): pooled, final tokens, logits; buffers in the state dict ignored', async () => {
    const swin = new SwinTransformer(SWIN_TEST);
    const report = loadStateDict(swin, fx.state as StateDictLike);
    expect(report.loaded.length).toBe(swin.params.specs().length);
    expect(report.unexpected).toEqual([]);
    const images = fromJson(fx.images) as tf.Tensor4D;
    await expectNoLeak(async () => {
      const out = swin.encode(images);
      expect(out.local.shape).toEqual([2, 4, 64]);
      await close(out.global, fx.global, 'global');
      await close(out.local, fx.local, 'local');
      const logits = swin.logits(images);
      await close(logits, fx.logits, 'logits');
      const tokens = swin.tokens(images);
      expect(tokens.shape).toEqual([2, 5, 64]);
      tf.dispose([out.global, out.local, logits, tokens]);
    }, 'SwinTransformer.encode');
    images.dispose();
    swin.dispose();
  });

  it('gradient reaches every weight (patch stem as reshape + matMul, bias tables through gather)', async () => {
    const swin = new SwinTransformer(SWIN_TEST, { rng: new Rng(11) });
    const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 12) as tf.Tensor4D;
    const vars = swin.trainableVariables();
    expect(vars.length).toBe(swin.params.specs().length);
    await expectNoLeak(async () => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const out = swin.encode(images, true);
            return tf.add(
              tf.add(tf.sum(tf.square(out.global)), tf.mean(tf.square(out.local))),
              tf.sum(tf.square(swin.logits(images))),
            ) as tf.Scalar;
          }),
        vars,
      );
      const zero: string[] = [];
      for (const [name, v] of swin.params.entries()) {
        const g = grads[v.name];
        const t = g === undefined ? null : tf.tidy(() => tf.sum(tf.abs(g)));
        const s = t === null ? 0 : (await t.data())[0];
        t?.dispose();
        if (!(Number.isFinite(s) && (s as number) > 0)) zero.push(name);
      }
      expect(zero).toEqual([]);
      tf.dispose([value, ...Object.values(grads)]);
    }, 'SwinTransformer grads');
    images.dispose();
    swin.dispose();
  });

  it('state dict round trip; lifecycle leaks nothing', async () => {
    const a = new SwinTransformer(SWIN_TEST, { rng: new Rng(1) });
    const b = new SwinTransformer(SWIN_TEST, { rng: new Rng(2) });
    loadStateDict(b, await stateDict(a));
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const ya = a.encode(x);
    const yb = b.encode(x);
    expect(Array.from(await yb.global.data())).toEqual(Array.from(await ya.global.data()));
    tf.dispose([x, ya.global, ya.local, yb.global, yb.local]);
    a.dispose();
    b.dispose();
    await expectNoLeak(() => {
      const s = new SwinTransformer(SWIN_TEST);
      const img = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
      const out = s.encode(img);
      tf.dispose([img, out.global, out.local]);
      s.dispose();
    }, 'SwinTransformer lifecycle');
  });
});

describe('Swin errors', () => {
  it('config and input errors name the field', () => {
    expect(() => new SwinTransformer({ ...SWIN_TEST, imageSize: 31 })).toThrow(EncoderError);
    expect(() => new SwinTransformer({ ...SWIN_TEST, imageSize: 31 })).toThrow(
      /imageSize 31 must be a multiple/,
    );
    expect(() => new SwinTransformer({ ...SWIN_TEST, numHeads: [3, 2, 2, 4] })).toThrow(/numHeads\[0\] = 3/);
    expect(() => new SwinTransformer({ ...SWIN_TEST, numHeads: [1, 2] })).toThrow(/same length/);
    expect(() => new SwinTransformer({ ...SWIN_TEST, imageSize: 40 })).toThrow(/multiple of windowSize/);
    const s = new SwinTransformer({ ...SWIN_TEST, numClasses: 0 });
    const bad = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    expect(() => s.encode(bad)).toThrow(/images must have shape \[\*, 32, 32, 3\], got \[1, 16, 16, 3\]/);
    const ok = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    expect(() => s.logits(ok)).toThrow(/no head/);
    tf.dispose([bad, ok]);
    s.dispose();
  });
});
