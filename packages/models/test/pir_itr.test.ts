/**
 * PirItr with real tiny encoders (Swin, BERT, frozen ResNet): shapes and unit norms, which variables train,
 * masks ('paper' vs 'released'), state-dict round trip and its errors, bad input, leaks, and that a few
 * optimiser steps lower the loss. The composition against PyTorch is `pir_itr.golden.test.ts`.
 */
import {
  asInstructionEncoder,
  BERT_TEST,
  BertEncoder,
  RESNET_TEST,
  ResNet,
  SWIN_TEST,
  SwinTransformer,
} from '@pir/encoders';
import { StateDictError } from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PirItr, type PirItrBatch, type PirItrConfig } from '../src/index.js';

const B = 4;
const L = 6;

describeBackends('PirItr (tiny encoders)', () => {
  let vision: SwinTransformer;
  let text: BertEncoder;
  let resnet: ResNet;
  let batch: PirItrBatch;
  const config: PirItrConfig = { dim: 16, k: 4, heads: 4, seed: 3 };

  beforeAll(() => {
    vision = new SwinTransformer(SWIN_TEST, { rng: new Rng(1) }); // 32 px → 1 + 4 tokens (2 × 2 grid) of 64
    text = new BertEncoder(BERT_TEST, { rng: new Rng(2) });
    resnet = new ResNet(RESNET_TEST, { rng: new Rng(4) });
    resnet.params.setTrainable(false);
    const ids = [
      [2, 7, 9, 11, 3, 0],
      [2, 5, 3, 0, 0, 0],
      [2, 8, 8, 6, 4, 3],
      [2, 10, 3, 0, 0, 0],
    ];
    batch = {
      images: tf.randomUniform([B, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D,
      ids: tf.tensor2d(ids, [B, L], 'int32'),
      mask: tf.tensor2d(
        ids.map((r) => r.map((x) => (x === 0 ? 0 : 1))),
        [B, L],
      ),
      imageIds: [0, 0, 1, 2],
      labels: [0, 0, 1, 0],
    };
  });
  afterAll(() => {
    vision.dispose();
    text.dispose();
    resnet.dispose();
    tf.dispose([batch.images, batch.ids, batch.mask]);
  });

  const make = (c: PirItrConfig = {}) =>
    new PirItr({ vision, text, instruction: asInstructionEncoder(resnet) }, { ...config, ...c });

  it('embeds images and captions as unit vectors [B, D]', async () => {
    const model = make();
    try {
      const v = model.embedImages(batch.images);
      const t = model.embedTexts(batch.ids, batch.mask);
      expect(v.shape).toEqual([B, 16]);
      expect(t.shape).toEqual([B, 16]);
      for (const x of [v, t]) {
        const norms = await tf.norm(x, 'euclidean', 1).data();
        for (const n of norms) expect(n).toBeCloseTo(1, 5);
      }
      tf.dispose([v, t]);
    } finally {
      model.dispose();
    }
  });

  it('trains its own variables and the vision and text encoders, never the instruction encoder', () => {
    const model = make();
    try {
      const vars = model.trainableVariables();
      const ids = new Set(vars.map((v) => v.id));
      for (const v of vision.params.trainableVariables()) expect(ids.has(v.id)).toBe(true);
      for (const v of text.params.trainableVariables()) expect(ids.has(v.id)).toBe(true);
      for (const [, v] of resnet.params.entries()) expect(ids.has(v.id)).toBe(false);
      expect(ids.has(model.temperature!.variable.id)).toBe(true);
      expect(ids.has(model.affiliationTemperature!.variable.id)).toBe(true);
      // the gradient of the loss reaches every one of them (some BERT/Swin weights are used only by tokens
      // the batch has: position embeddings past L are the exception, checked by value below)
      const { grads, value } = tf.variableGrads(() => model.loss(batch, false).loss, vars);
      const zero: string[] = [];
      for (const [name, g] of Object.entries(grads)) {
        if (tf.max(tf.abs(g)).dataSync()[0] === 0) zero.push(name);
      }
      // BERT_TEST has 16 positions, the batch uses 6, and token-type row 1 is never used: only such rows may be 0
      for (const name of zero) expect(name).toMatch(/position_embeddings|token_type_embeddings|pooler/);
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      model.dispose();
    }
  });

  it("'paper' masks caption padding (extra padding changes nothing); 'released' does not", async () => {
    for (const variant of ['paper', 'released'] as const) {
      const model = make({ variant });
      try {
        const short = tf.tensor2d([[2, 5, 3]], [1, 3], 'int32');
        const shortMask = tf.ones([1, 3]) as tf.Tensor2D;
        const long = tf.tensor2d([[2, 5, 3, 0, 0, 0]], [1, 6], 'int32');
        const longMask = tf.tensor2d([[1, 1, 1, 0, 0, 0]]);
        const a = await model.embedTexts(short, shortMask).data();
        const b = await model.embedTexts(long, longMask).data();
        const diff = Math.max(...Array.from(a, (x, i) => Math.abs(x - (b[i] as number))));
        if (variant === 'paper') expect(diff).toBeLessThan(1e-5);
        else expect(diff).toBeGreaterThan(1e-4);
        tf.dispose([short, shortMask, long, longMask]);
      } finally {
        model.dispose();
      }
    }
  });

  it('state dict: released names and PyTorch layout; a round trip reproduces the embeddings', async () => {
    const a = make({ seed: 10 });
    const b = make({ seed: 11 });
    try {
      const sd = await a.stateDict();
      expect(sd.get('vision_proj.weight')?.shape).toEqual([16, vision.dim]);
      expect(sd.get('instruction_proj.weight')?.shape).toEqual([16, resnet.dim]);
      for (const key of [
        'img_sa.1.mhatt.linear_q.weight',
        'txt_ca.2.ffn.0.weight',
        'mapping_img.0.bias',
        'head_txt.weight',
        'temp',
        'temp_center',
      ])
        expect([...sd.keys()]).toContain(key);
      const va = await a.embedImages(batch.images).data();
      const before = await b.embedImages(batch.images).data();
      expect(Array.from(before)).not.toEqual(Array.from(va));
      const report = b.loadStateDict(sd);
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      const vb = await b.embedImages(batch.images).data();
      for (let i = 0; i < va.length; i++) expect(vb[i]).toBeCloseTo(va[i] as number, 6);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('loadStateDict lists every missing, unexpected and mis-shaped key at once and loads nothing', async () => {
    const model = make();
    try {
      const sd = await model.stateDict();
      const before = sd.get('head_img.bias')?.data as Float32Array;
      sd.delete('text_proj.bias');
      sd.set('extra.weight', { dtype: 'float32', shape: [2], data: new Float32Array(2) });
      sd.set('head_img.weight', { dtype: 'float32', shape: [16, 15], data: new Float32Array(16 * 15) });
      sd.set('head_img.bias', { dtype: 'float32', shape: [16], data: new Float32Array(16).fill(1) });
      let message = '';
      try {
        model.loadStateDict(sd);
      } catch (e) {
        expect(e).toBeInstanceOf(StateDictError);
        expect((e as StateDictError).where).toBe('PirItr.loadStateDict');
        message = (e as Error).message;
      }
      expect(message).toMatch(/head_img\.weight expected \[16, 16\] got \[16, 15\]/);
      expect(message).toMatch(/missing keys \(1\): text_proj\.bias/);
      expect(message).toMatch(/unexpected keys \(1\): extra\.weight/);
      const now = await model.stateDict();
      const after = now.get('head_img.bias')?.data as Float32Array;
      expect(Array.from(after)).toEqual(Array.from(before));
    } finally {
      model.dispose();
    }
  });

  it('rejects bad configuration and input with the argument named', () => {
    const enc = { vision, text, instruction: asInstructionEncoder(resnet) };
    expect(() => new PirItr(enc, { dim: 10, heads: 4 })).toThrow(
      /heads: dim 10 must be divisible by heads 4/,
    );
    expect(() => new PirItr(enc, { k: 0 })).toThrow(/k must be a positive integer/);
    expect(() => new PirItr({ ...enc, text: { ...text, dim: 0 } as never })).toThrow(
      /text encoder must have a positive 'dim'/,
    );
    // the Swin says how many tokens it gives (localTokens): k is checked when the model is built …
    expect(() => make({ k: 40 })).toThrow(/keeps k = 40 tokens but the vision encoder gives only 1 \+ 4/);
    // … and, for an encoder that cannot say, on the first batch
    const opaque = {
      dim: vision.dim,
      encode: (x: tf.Tensor4D) => vision.encode(x),
      trainableVariables: () => vision.trainableVariables(),
    };
    const model = new PirItr({ ...enc, vision: opaque }, { ...config, k: 40 });
    try {
      expect(() => model.embedImages(batch.images)).toThrow(
        /keeps k = 40 tokens but the vision encoder gives only 1 \+ 4/,
      );
      const small = make();
      expect(() => small.loss({ ...batch, imageIds: [0, 1] })).toThrow(
        /imageIds has 2 rows but images has 4/,
      );
      small.dispose();
    } finally {
      model.dispose();
    }
  });

  it('a few Adam steps lower the training loss', async () => {
    const model = make({ dropout: 0 });
    const opt = tf.train.adam(3e-3);
    try {
      const vars = model.trainableVariables();
      const losses: number[] = [];
      for (let i = 0; i < 8; i++) {
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

describeBackends('PirItr.beliefMap', () => {
  it('scores every token (rows sum to 1), marks the k the hard belief keeps (the top k), leaks nothing', async () => {
    const { createModel } = await import('../src/index.js');
    const model = createModel('pir-itr-test', { seed: 5 });
    const images = tf.randomUniform([3, 32, 32, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    try {
      // first use: the instruction ResNet caches its BatchNorm-folded kernels (34 tensors, kept by design)
      const warm = model.beliefMap(images);
      tf.dispose([warm.scores, warm.kept]);
      await expectNoLeak(async () => {
        const { scores, kept } = model.beliefMap(images);
        const n = scores.shape[1] as number;
        expect(scores.shape).toEqual([3, n]);
        expect(kept.shape).toEqual([3, n]);
        const [s, k] = [(await scores.array()) as number[][], (await kept.array()) as number[][]];
        for (let i = 0; i < 3; i++) {
          const row = s[i] as number[];
          const keep = k[i] as number[];
          expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
          expect(keep.reduce((a, b) => a + b, 0)).toBe(model.k);
          const threshold = [...row].sort((a, b) => b - a)[model.k - 1] as number;
          row.forEach((x, j) => {
            if (x > threshold + 1e-6) expect(keep[j]).toBe(1);
            if (x < threshold - 1e-6) expect(keep[j]).toBe(0);
          });
        }
        tf.dispose([scores, kept]);
      });
      const ablated = createModel('pir-itr-test', { seed: 5, overrides: { noBelief: true } });
      expect(() => ablated.beliefMap(images)).toThrow(/no belief strategy/);
      ablated.dispose();
    } finally {
      images.dispose();
      model.dispose();
    }
  });
});
