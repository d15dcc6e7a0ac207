/**
 * PirClip with real tiny towers (CLIP ViT, CLIP text, frozen ResNet as the instruction encoder): shapes and
 * unit norms, the instruction slot drives the pooled output, which variables train, state dicts and their
 * errors, bad input, leaks, and that a few optimiser steps lower the loss. The composition against PyTorch is
 * `pir_clip.golden.test.ts`.
 */
import {
  asInstructionEncoder,
  CLIP_TEXT_TEST,
  CLIP_VIT_TEST,
  ClipTextTransformer,
  ClipVisionTransformer,
  RESNET_TEST,
  ResNet,
} from '@pir/encoders';
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ModelInputError, PirClip, type PirClipBatch, type PirClipConfig } from '../src/index.js';

const B = 4;

describeBackends('PirClip (tiny towers)', () => {
  let vision: ClipVisionTransformer;
  let text: ClipTextTransformer;
  let resnet: ResNet;
  let batch: PirClipBatch;
  const config: PirClipConfig = { seed: 3 };

  beforeAll(() => {
    vision = new ClipVisionTransformer(CLIP_VIT_TEST, { rng: new Rng(1) }); // 32 px, patch 8 → 1 + 16 tokens
    text = new ClipTextTransformer(CLIP_TEXT_TEST, { rng: new Rng(2) });
    resnet = new ResNet(RESNET_TEST, { rng: new Rng(4) });
    resnet.params.setTrainable(false);
    const ids = [
      [1, 7, 9, 11, 63, 0],
      [1, 5, 63, 0, 0, 0],
      [1, 8, 8, 6, 4, 63],
      [1, 10, 63, 0, 0, 0],
    ];
    batch = {
      images: tf.randomUniform([B, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D,
      ids: tf.tensor2d(ids, [B, 6], 'int32'),
      mask: tf.tensor2d(
        ids.map((r) => r.map((x) => (x === 0 ? 0 : 1))),
        [B, 6],
      ),
      labels: [0, 0, 1, 0],
    };
  });
  afterAll(() => {
    vision.dispose();
    text.dispose();
    resnet.dispose();
    tf.dispose([batch.images, batch.ids, batch.mask]);
  });

  const make = (c: PirClipConfig = {}) =>
    new PirClip({ vision, text, instruction: asInstructionEncoder(resnet) }, { ...config, ...c });

  it('embeds images and captions as unit vectors in the CLIP space', async () => {
    const model = make();
    try {
      const v = model.embedImages(batch.images);
      const t = model.embedTexts(batch.ids, batch.mask);
      expect(v.shape).toEqual([B, CLIP_VIT_TEST.outputDim]);
      expect(t.shape).toEqual([B, CLIP_TEXT_TEST.outputDim]);
      for (const x of [v, t])
        for (const n of await tf.norm(x, 'euclidean', 1).data()) expect(n).toBeCloseTo(1, 5);
      tf.dispose([v, t]);
    } finally {
      model.dispose();
    }
  });

  it('pools the instruction slot: another instruction changes v, and differs from plain CLIP', async () => {
    const model = make();
    try {
      const di = resnet.dim;
      const a = tf.randomNormal([B, di], 0, 1, 'float32', 7) as tf.Tensor2D;
      const b = tf.randomNormal([B, di], 0, 1, 'float32', 8) as tf.Tensor2D;
      const { vision: stem, instruction } = model.encodeImages(batch.images);
      const va = await model.imageHead(stem, a).data();
      const vb = await model.imageHead(stem, b).data();
      tf.dispose([stem.global, stem.local, instruction]);
      const plain = vision.encode(batch.images);
      const pn = await tf.div(plain.global, tf.norm(plain.global, 'euclidean', 1, true)).data();
      const diff = (x: ArrayLike<number>, y: ArrayLike<number>) =>
        Math.max(...Array.from(x, (e, i) => Math.abs(e - (y[i] as number))));
      expect(diff(va, vb)).toBeGreaterThan(1e-3);
      expect(diff(va, pn)).toBeGreaterThan(1e-3);
      tf.dispose([a, b, plain.global, plain.local]);
    } finally {
      model.dispose();
    }
  });

  it("the 'released' soft belief gives other embeddings than 'paper'", async () => {
    const p = make({ variant: 'paper' });
    const r = make({ variant: 'released' });
    try {
      const vp = await p.embedImages(batch.images).data();
      const vr = await r.embedImages(batch.images).data();
      expect(Math.max(...Array.from(vp, (e, i) => Math.abs(e - (vr[i] as number))))).toBeGreaterThan(1e-3);
    } finally {
      p.dispose();
      r.dispose();
    }
  });

  it('trains instruction_proj, the logit scale and both CLIP towers, never the instruction encoder', () => {
    const model = make();
    try {
      const ids = new Set(model.trainableVariables().map((v) => v.id));
      for (const v of vision.trainableVariables()) expect(ids.has(v.id)).toBe(true);
      for (const v of text.params.trainableVariables()) expect(ids.has(v.id)).toBe(true);
      for (const [, v] of resnet.params.entries()) expect(ids.has(v.id)).toBe(false);
      expect(ids.has(model.logitScale.variable.id)).toBe(true);
      const vars = model.trainableVariables();
      const { grads, value } = tf.variableGrads(() => model.loss(batch, false).loss, vars);
      const reached = Object.values(grads).filter(
        (g) => (tf.max(tf.abs(g)).dataSync()[0] as number) > 0,
      ).length;
      expect(reached).toBeGreaterThan(vars.length * 0.9);
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      model.dispose();
    }
  });

  it('state dict round trip (instruction_proj in PyTorch layout, logit_scale), strict errors list every key', async () => {
    const a = make({ seed: 10 });
    const b = make({ seed: 11 });
    try {
      const sd = await a.stateDict();
      expect([...sd.keys()].sort()).toEqual([
        'instruction_proj.bias',
        'instruction_proj.weight',
        'logit_scale',
      ]);
      expect(sd.get('instruction_proj.weight')?.shape).toEqual([CLIP_VIT_TEST.width, resnet.dim]);
      expect(sd.get('logit_scale')?.data[0]).toBeCloseTo(Math.log(1 / 0.07), 5);
      b.loadStateDict(sd);
      const va = await a.embedImages(batch.images).data();
      const vb = await b.embedImages(batch.images).data();
      for (let i = 0; i < va.length; i++) expect(vb[i]).toBeCloseTo(va[i] as number, 6);
      const bad = { 'instruction_proj.weight': tf.zeros([3, 3]), extra: tf.zeros([1]) };
      expect(() => b.loadStateDict(bad)).toThrow(
        /^PirClip\.loadStateDict: missing keys \(2\): instruction_proj\.bias, logit_scale; unexpected keys \(1\): extra; shape mismatches \(1, PyTorch layout\): instruction_proj\.weight expected \[32, 128\] got \[3, 3\]/,
      );
      tf.dispose(Object.values(bad));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('rejects a vision tower that is not a CLIP ViT, and mismatched batches, naming the argument', () => {
    const enc = { vision, text, instruction: asInstructionEncoder(resnet) };
    expect(() => new PirClip({ ...enc, vision: resnet as never })).toThrow(ModelInputError);
    expect(() => new PirClip({ ...enc, vision: resnet as never })).toThrow(/must be a ClipVisionTransformer/);
    const model = make();
    try {
      expect(() => model.loss({ ...batch, labels: [0] })).toThrow(/labels has 1 rows but images has 4/);
      const wrong = tf.zeros([B, 5]) as tf.Tensor2D;
      const { vision: stem, instruction } = model.encodeImages(batch.images);
      expect(() => model.imageHead(stem, wrong)).toThrow(/instruction: expected \[4, 128\]/);
      expect(() => model.imageHead(batch.images as never, instruction)).toThrow(
        /vision: expected the ViT stem/,
      );
      tf.dispose([wrong, stem.global, stem.local, instruction]);
    } finally {
      model.dispose();
    }
  });

  it('a few Adam steps lower the training loss', async () => {
    const model = make();
    const opt = tf.train.adam(3e-3);
    try {
      const vars = model.trainableVariables();
      const losses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const l = opt.minimize(() => model.loss(batch).loss, true, vars);
        losses.push((await l!.data())[0] as number);
        l!.dispose();
        model.applyConstraints();
      }
      expect(losses[losses.length - 1]).toBeLessThan((losses[0] as number) * 0.9);
    } finally {
      opt.dispose();
      model.dispose();
    }
  });

  it('leaks no tensors (embed, loss, state dicts, dispose)', async () => {
    await expectNoLeak(async () => {
      const model = make();
      tf.dispose([model.embedImages(batch.images), model.embedTexts(batch.ids, batch.mask)]);
      const parts = model.loss(batch);
      tf.dispose([parts.loss, parts.contrastive, parts.affiliation]);
      model.loadStateDict(await model.stateDict());
      model.dispose();
    });
  });
});
