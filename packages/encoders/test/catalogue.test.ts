/** Named configurations: published sizes by name, test sizes by name, constructors default to the published model. */
import { countParameters } from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  BERT_BASE,
  createEncoder,
  EncoderError,
  encoderConfig,
  listEncoders,
  SWIN_T,
  SWIN_TEST,
  SwinTransformer,
} from '../src/index.js';
import { bertSpecs, swinSpecs } from '../src/models/index.js';

describeBackends('encoder catalogue', () => {
  it('lists every published size and its test size; configs are copies', () => {
    const names = listEncoders();
    for (const n of [
      'swin-t',
      'bert-base-uncased',
      'resnet50',
      'clip-vit-b32',
      'clip-text-b32',
      'clip-rn50',
      'gru-vse',
    ])
      expect(names).toContain(n);
    expect(names.filter((n) => n.endsWith('-test'))).toHaveLength(7);
    const a = encoderConfig('swin-t');
    expect(a.architecture).toBe('swin');
    expect(a.config).toEqual(SWIN_T);
    (a.config.depths as number[])[0] = 99;
    expect(SWIN_T.depths[0]).toBe(2);
    // the published sizes are the real models (counted from the specs, nothing allocated)
    expect(countParameters(swinSpecs(encoderConfig('swin-t').config))).toBe(28_288_354);
    expect(countParameters(bertSpecs(encoderConfig('bert-base-uncased').config))).toBe(109_482_240);
    expect(encoderConfig('bert-base-uncased').config).toEqual(BERT_BASE);
  });

  it('createEncoder builds by name (with overrides) or by architecture; unknown names are listed', async () => {
    await expectNoLeak(() => {
      const swin = createEncoder('swin-test', { overrides: { numClasses: 0 }, rng: new Rng(1) });
      expect(swin).toBeInstanceOf(SwinTransformer);
      expect(swin.config).toEqual({ ...SWIN_TEST, numClasses: 0 });
      swin.dispose();
      const same = createEncoder({ architecture: 'swin', config: { ...SWIN_TEST } });
      expect(same.config).toEqual(SWIN_TEST);
      same.dispose();
    }, 'createEncoder');
    expect(() => createEncoder('swin-b' as never)).toThrow(EncoderError);
    expect(() => encoderConfig('nope' as never)).toThrow(
      /unknown encoder configuration 'nope'; known: swin-t, /,
    );
  });

  it('a constructor merges a partial config over the published model, not over a test size', () => {
    const swin = new SwinTransformer({ depths: [1, 1, 1, 1], numClasses: 0 });
    expect(swin.config).toEqual({ ...SWIN_T, depths: [1, 1, 1, 1], numClasses: 0 });
    expect(swin.dim).toBe(768);
    swin.dispose();
  });

  it('vision encoders that fix their input size say how many local tokens they give', async () => {
    for (const name of ['swin-test', 'clip-vit-test', 'clip-rn-test'] as const) {
      const e = createEncoder(name, { rng: new Rng(1) }) as unknown as {
        localTokens: number;
        config: { imageSize: number };
        encode(x: tf.Tensor4D): { global: tf.Tensor; local: tf.Tensor };
        dispose(): void;
      };
      const x = tf.zeros([1, e.config.imageSize, e.config.imageSize, 3]) as tf.Tensor4D;
      const out = e.encode(x);
      expect(out.local.shape[1], name).toBe(e.localTokens);
      tf.dispose([x, out.global, out.local]);
      e.dispose();
    }
  });
});
