/**
 * Golden tests: each architecture at tiny size against our PyTorch definition of the public architecture
 * (`tools/golden/encoders_models.py`), weights loaded by PyTorch name through `loadStateDict`.
 */

import { loadStateDict, type StateDictLike } from '@pir/nn';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ResNet } from '../src/index.js';
import {
  BERT_TEST,
  BertEncoder,
  CLIP_TEXT_TEST,
  CLIP_VIT_TEST,
  ClipTextTransformer,
  ClipVisionTransformer,
  RESNET_TEST,
} from '../src/models/index.js';
import bertFx from './fixtures/models/bert_tiny.json';
import textFx from './fixtures/models/clip_text_tiny.json';
import vitFx from './fixtures/models/clip_vit_tiny.json';
import basicFx from './fixtures/models/resnet_basic_tiny.json';
import resnetFx from './fixtures/models/resnet_tiny.json';
import { closeTo, fromJson, type JsonTensor } from './models_data.js';

const close = (a: tf.Tensor, e: JsonTensor, what: string) => closeTo(a, e, TOL, what, expectAllClose);

const TOL = { atol: 2e-4, rtol: 2e-4 };

describeBackends('golden vs PyTorch', () => {
  it('CLIP ViT (tiny): projected class token and patch tokens', async () => {
    const vit = new ClipVisionTransformer(CLIP_VIT_TEST);
    const report = loadStateDict(vit, vitFx.state as StateDictLike);
    expect(report.loaded.length).toBe(vit.params.specs().length);
    const images = fromJson(vitFx.images) as tf.Tensor4D;
    await expectNoLeak(async () => {
      const out = vit.encode(images);
      await close(out.global, vitFx.global, 'global');
      await close(out.local, vitFx.local, 'local');
      tf.dispose([out.global, out.local]);
    }, 'ClipVisionTransformer.encode');
    images.dispose();
    vit.dispose();
  });

  it('CLIP text (tiny): end-of-text pooling, causal mask, padding', async () => {
    const text = new ClipTextTransformer(CLIP_TEXT_TEST);
    loadStateDict(text, textFx.state as StateDictLike);
    const ids = tf.tensor2d(textFx.ids, undefined, 'int32');
    const mask = tf.tensor2d(textFx.mask);
    await expectNoLeak(async () => {
      const out = text.encode(ids, mask);
      await close(out.global, textFx.global, 'global');
      // real tokens only: padded positions are masked for us and unmasked (but after EOT) for PyTorch
      const m = await mask.data();
      const a = await out.local.data();
      const e = textFx.local.data;
      const w = out.local.shape[2];
      const keep = (xs: ArrayLike<number>) => Array.from(xs).filter((_, i) => m[Math.floor(i / w)] === 1);
      await expectAllClose(keep(a), keep(e), TOL, 'local (real tokens)');
      tf.dispose([out.global, out.local, out.mask as tf.Tensor]);
    }, 'ClipTextTransformer.encode');
    tf.dispose([ids, mask]);
    text.dispose();
  });

  for (const [name, fx, block, layers] of [
    ['bottleneck', resnetFx, 'bottleneck', [1, 1, 1, 1]],
    ['basic', basicFx, 'basic', [1, 2, 1, 1]],
  ] as const) {
    it(`torchvision ResNet (tiny ${name}): pooled, grid, logits; BatchNorm in inference mode`, async () => {
      const net = new ResNet({
        ...RESNET_TEST,
        block,
        layers: [...layers] as [number, number, number, number],
        width: 4,
      });
      loadStateDict(net, fx.state as StateDictLike);
      const images = fromJson(fx.images) as tf.Tensor4D;
      await expectNoLeak(async () => {
        const out = net.encode(images);
        await close(out.global, fx.global, 'global');
        await close(out.local, fx.local, 'local');
        const logits = net.logits(images);
        await close(logits, fx.logits, 'logits');
        // frozen BatchNorm: training = true changes nothing
        const again = net.encode(images, true);
        await close(again.global, fx.global, 'global (training, frozen BN)');
        tf.dispose([out.global, out.local, logits, again.global, again.local]);
      }, 'ResNet.encode');
      images.dispose();
      net.dispose();
    });
  }

  it('BERT (tiny): last hidden states with the padding mask, pooler', async () => {
    const bert = new BertEncoder(BERT_TEST);
    const report = loadStateDict(bert, bertFx.state as StateDictLike);
    expect(report.unexpected).toEqual([]);
    const ids = tf.tensor2d(bertFx.ids, undefined, 'int32');
    const mask = tf.tensor2d(bertFx.mask);
    await expectNoLeak(async () => {
      const out = bert.encode(ids, mask);
      await close(out.local, bertFx.local, 'local');
      const cls = tf.tidy(() => tf.reshape(tf.slice(out.local, [0, 0, 0], [3, 1, 32]), [3, 32]));
      await expectAllClose(out.global, cls, TOL, 'global = [CLS]');
      tf.dispose([out.global, out.local, out.mask as tf.Tensor, cls]);
    }, 'BertEncoder.encode');
    const pooler = new BertEncoder({ ...BERT_TEST, globalOutput: 'pooler' });
    loadStateDict(pooler, bertFx.state as StateDictLike);
    const out = pooler.encode(ids, mask);
    await close(out.global, bertFx.pooler, 'pooler');
    tf.dispose([out.global, out.local, out.mask as tf.Tensor, ids, mask]);
    bert.dispose();
    pooler.dispose();
  });
});
