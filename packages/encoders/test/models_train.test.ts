/**
 * Parameter counts at the published sizes (against PyTorch's), gradients reaching every trainable weight
 * (the ViT patch stem included, on wasm too), frozen BatchNorm, leaks, state-dict errors and config errors.
 */

import { loadStateDict, stateDict } from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ResNet } from '../src/index.js';
import { EncoderError } from '../src/layers/index.js';
import {
  BERT_BASE,
  BERT_TEST,
  BertEncoder,
  CLIP_TEXT_B32,
  CLIP_TEXT_TEST,
  CLIP_VIT_B32,
  CLIP_VIT_TEST,
  ClipTextTransformer,
  ClipVisionTransformer,
  RESNET_TEST,
  RESNET18,
  RESNET50,
} from '../src/models/index.js';
import counts from './fixtures/models/param_counts.json';

describe('parameter counts equal PyTorch (tools/golden/encoders_models.py)', () => {
  it.each([
    [
      'CLIP ViT-B/32 image tower',
      () => ClipVisionTransformer.countParameters(CLIP_VIT_B32),
      counts.clip_vit_b32,
    ],
    ['CLIP text tower', () => ClipTextTransformer.countParameters(CLIP_TEXT_B32), counts.clip_text_b32],
    ['BERT-base', () => BertEncoder.countParameters(BERT_BASE), counts.bert_base],
    ['ResNet-18', () => ResNet.countParameters(RESNET18), counts.resnet18],
    ['ResNet-50', () => ResNet.countParameters(RESNET50), counts.resnet50],
    [
      'ResNet-50 without fc',
      () => ResNet.countParameters({ ...RESNET50, numClasses: 0 }),
      counts.resnet50_nofc,
    ],
  ])('%s', (_name, count, expected) => {
    expect(count()).toBe(expected);
  });
});

/** Sum of squares of everything an encoder returns (a loss touching every output). */
function lossOf(out: { global: tf.Tensor; local: tf.Tensor }): tf.Scalar {
  return tf.add(tf.sum(tf.square(out.global)), tf.mean(tf.square(out.local))) as tf.Scalar;
}

async function absSum(x: tf.Tensor): Promise<number> {
  const s = tf.tidy(() => tf.sum(tf.abs(x)));
  const v = (await s.data())[0] as number;
  s.dispose();
  return v;
}

async function expectGradsEverywhere(vars: tf.Variable[], f: () => tf.Scalar, what: string): Promise<void> {
  await expectNoLeak(async () => {
    const { value, grads } = tf.variableGrads(f, vars);
    for (const v of vars) {
      const g = grads[v.name];
      expect(g, `${what}: no gradient for ${v.name}`).toBeDefined();
      const norm = await absSum(g as tf.Tensor);
      expect(
        Number.isFinite(norm) && norm > 0,
        `${what}: zero gradient for a ${v.shape.join('×')} weight`,
      ).toBe(true);
    }
    tf.dispose([value, ...Object.values(grads)]);
  }, what);
}

describeBackends('training', () => {
  it('CLIP ViT: gradient reaches every weight (patch stem as reshape + matMul)', async () => {
    const vit = new ClipVisionTransformer(CLIP_VIT_TEST, { rng: new Rng(1) });
    const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    expect(vit.trainableVariables().length).toBe(vit.params.specs().length);
    await expectGradsEverywhere(
      vit.trainableVariables(),
      () => lossOf(vit.encode(images, true)),
      'ClipVisionTransformer',
    );
    images.dispose();
    vit.dispose();
  });

  it('CLIP text: gradient reaches every weight (embedding gather, end-of-text pooling)', async () => {
    const text = new ClipTextTransformer(CLIP_TEXT_TEST, { rng: new Rng(2) });
    const ids = tf.tensor2d(
      [
        [3, 9, 63, 0],
        [5, 7, 8, 63],
      ],
      undefined,
      'int32',
    );
    const mask = tf.tensor2d([
      [1, 1, 1, 0],
      [1, 1, 1, 1],
    ]);
    await expectGradsEverywhere(
      text.trainableVariables(),
      () => lossOf(text.encode(ids, mask, true)),
      'ClipTextTransformer',
    );
    tf.dispose([ids, mask]);
    text.dispose();
  });

  it('BERT: gradient reaches every weight (pooler through globalOutput: pooler)', async () => {
    const bert = new BertEncoder({ ...BERT_TEST, globalOutput: 'pooler' }, { rng: new Rng(3) });
    const ids = tf.tensor2d(
      [
        [2, 9, 4, 0],
        [2, 7, 8, 3],
      ],
      undefined,
      'int32',
    );
    const mask = tf.tensor2d([
      [1, 1, 1, 0],
      [1, 1, 1, 1],
    ]);
    // token type 1 is never used, so its row has no gradient: check the used parameters
    const vars = bert.trainableVariables();
    await expectNoLeak(async () => {
      const { value, grads } = tf.variableGrads(() => lossOf(bert.encode(ids, mask, true)), vars);
      for (const v of vars) expect(grads[v.name], v.name).toBeDefined();
      const zero = [];
      for (const [name, v] of bert.params.entries()) {
        const n = await absSum(grads[v.name] as tf.Tensor);
        if (!(n > 0)) zero.push(name);
      }
      expect(zero).toEqual([]);
      tf.dispose([value, ...Object.values(grads)]);
    }, 'BertEncoder grads');
    tf.dispose([ids, mask]);
    bert.dispose();
  });

  it('ResNet: frozen BatchNorm excluded; with batchNorm "train" every weight gets a gradient and running stats move', async () => {
    const frozen = new ResNet(RESNET_TEST, { rng: new Rng(4) });
    const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const names = frozen.params
      .entries()
      .filter(([, v]) => v.trainable)
      .map(([n]) => n);
    expect(names.some((n) => n.includes('bn') || n.includes('downsample.1'))).toBe(false);
    await expectGradsEverywhere(
      frozen.trainableVariables(),
      () => tf.add(lossOf(frozen.encode(images, true)), tf.sum(frozen.logits(images, true))),
      'ResNet (frozen BN)',
    );
    frozen.dispose();

    const net = new ResNet({ ...RESNET_TEST, batchNorm: 'train' }, { rng: new Rng(4) });
    const before = await net.params.get('bn1.running_mean').data();
    await expectGradsEverywhere(
      net.trainableVariables(),
      () => tf.add(lossOf(net.encode(images, true)), tf.sum(tf.square(net.logits(images, true)))),
      'ResNet (training BN)',
    );
    const after = await net.params.get('bn1.running_mean').data();
    expect(Array.from(after)).not.toEqual(Array.from(before));
    images.dispose();
    net.dispose();
  });

  it('encoders leak nothing (encode, dispose)', async () => {
    await expectNoLeak(() => {
      const vit = new ClipVisionTransformer(CLIP_VIT_TEST);
      const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
      const out = vit.encode(x);
      tf.dispose([x, out.global, out.local]);
      vit.dispose();
    }, 'ClipVisionTransformer lifecycle');
    const images = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    const net = new ResNet(RESNET_TEST);
    await expectNoLeak(() => {
      const out = net.encode(images);
      const v = net.instruction(images);
      const l = net.logits(images);
      expect(v.shape).toEqual([1, 128]);
      expect(l.shape).toEqual([1, 5]);
      tf.dispose([out.global, out.local, v, l]);
    }, 'ResNet');
    net.dispose();
    images.dispose();
  });
});

describe('state dicts and errors', () => {
  it('round trip through stateDict and loadStateDict (prefix), report of missing/unexpected/mismatched', async () => {
    const a = new ClipVisionTransformer(CLIP_VIT_TEST, { rng: new Rng(7) });
    const b = new ClipVisionTransformer(CLIP_VIT_TEST, { rng: new Rng(8) });
    const sd = await stateDict(a, { prefix: 'visual.' });
    expect(sd.get('visual.conv1.weight')?.shape).toEqual([32, 3, 8, 8]);
    expect(sd.get('visual.transformer.resblocks.1.mlp.c_fc.weight')?.shape).toEqual([128, 32]);
    const report = loadStateDict(b, sd, { prefix: 'visual.' });
    expect(report.missing).toEqual([]);
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const ya = a.encode(x);
    const yb = b.encode(x);
    expect(Array.from(await yb.global.data())).toEqual(Array.from(await ya.global.data()));
    tf.dispose([x, ya.global, ya.local, yb.global, yb.local]);

    sd.delete('visual.proj');
    sd.set('visual.extra', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    sd.set('visual.ln_pre.weight', { dtype: 'float32', shape: [3], data: new Float32Array(3) });
    expect(() => loadStateDict(b, sd, { prefix: 'visual.' })).toThrow(
      /missing keys \(1\): proj; unexpected keys \(1\): extra; shape mismatches \(1, PyTorch layout\): ln_pre\.weight expected \[32\] got \[3\]/,
    );
    const lax = loadStateDict(b, sd, { prefix: 'visual.', strict: false });
    expect(lax.missing).toEqual(['proj']);
    expect(lax.unexpected).toEqual(['extra']);
    expect(lax.mismatched.map((m) => m.key)).toEqual(['ln_pre.weight']);
    expect(() => loadStateDict(b, sd)).toThrow(/prefix/);
    a.dispose();
    b.dispose();
  });

  it('config and input errors name the field', () => {
    expect(() => new ClipVisionTransformer({ imageSize: 30, patchSize: 8 })).toThrow(EncoderError);
    expect(() => new ClipVisionTransformer({ imageSize: 30, patchSize: 8 })).toThrow(
      /imageSize 30 must be a multiple of patchSize 8/,
    );
    expect(() => new BertEncoder({ hiddenSize: 30, numHeads: 4 })).toThrow(/numHeads/);
    expect(() => new ResNet({ layers: [1, 1, 1] as unknown as [number, number, number, number] })).toThrow(
      /layers/,
    );
    const vit = new ClipVisionTransformer(CLIP_VIT_TEST);
    const bad = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    expect(() => vit.encode(bad)).toThrow(/images must have shape \[\*, 32, 32, 3\], got \[1, 16, 16, 3\]/);
    const text = new ClipTextTransformer(CLIP_TEXT_TEST);
    const ids = tf.zeros([1, 13], 'int32') as tf.Tensor2D;
    expect(() => text.encode(ids, tf.ones([1, 13]) as tf.Tensor2D)).toThrow(/exceeds contextLength 12/);
    expect(() => text.tokenizer.encode('a')).toThrow(/no tokenizer attached/);
    tf.dispose([bad, ids]);
    vit.dispose();
    text.dispose();
  });
});
