/**
 * `modelStateDict` / `loadModelStateDict`: the whole model — its own weights and every encoder's — under the
 * model directory's prefixes. A second model given the first's weights embeds identically; `strict: false`
 * loads what two architectures share (the VSE baseline's encoders from PIR-ITR) and names the rest; strict
 * loading refuses a partial dict with every key listed; nothing leaks.
 */
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { createModel, loadModelStateDict, modelStateDict, StateDictError } from '../src/index.js';
import { CAPTIONS, tokenizer } from './model_dir_helpers.js';

describeBackends('modelStateDict / loadModelStateDict', () => {
  it('copies a whole model: encoders included, embeddings identical', async () => {
    const a = createModel('pir-itr-test', { seed: 1, tokenizer: tokenizer() });
    const b = createModel('pir-itr-test', { seed: 2, tokenizer: tokenizer() });
    const images = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    try {
      const sd = await expectNoLeak(() => modelStateDict(a), 'modelStateDict');
      const prefixes = new Set([...sd.keys()].map((k) => k.split('.')[0]));
      expect([...prefixes].sort()).toEqual(['instruction', 'model', 'text', 'vision']);
      // the model's own stateDict() holds only its own weights: fewer than the whole
      expect((await a.stateDict()).size).toBeLessThan(sd.size);
      const report = await expectNoLeak(() => loadModelStateDict(b, sd), 'loadModelStateDict');
      expect(report.loaded).toHaveLength(
        sd.size - [...sd.keys()].filter((k) => /num_batches_tracked$/.test(k)).length,
      );
      expect(report.missing).toEqual([]);
      const [va, vb] = [a.embedImages(images), b.embedImages(images)];
      await expectAllClose(vb, va, { atol: 0, rtol: 0 });
      const ids = tokenizer().batch(CAPTIONS.slice(0, 2));
      const [ta, tb] = [a.embedTexts(ids.ids, ids.mask), b.embedTexts(ids.ids, ids.mask)];
      await expectAllClose(tb, ta, { atol: 0, rtol: 0 });
      tf.dispose([va, vb, ta, tb, ids.ids, ids.mask]);
    } finally {
      images.dispose();
      a.dispose();
      b.dispose();
    }
  });

  it('strict: false loads what two models share and names the rest; strict refuses, listing every key', async () => {
    const pir = createModel('pir-itr-test', { seed: 1, tokenizer: tokenizer() });
    const vse = createModel('vse-test', { seed: 2, tokenizer: tokenizer() });
    try {
      const sd = await modelStateDict(pir);
      const report = loadModelStateDict(vse, sd, { strict: false });
      expect(report.loaded.some((k) => k.startsWith('vision.'))).toBe(true);
      expect(report.loaded.some((k) => k.startsWith('text.'))).toBe(true);
      expect(report.unexpected.some((k) => k.startsWith('instruction.'))).toBe(true);
      expect(() => loadModelStateDict(vse, sd)).toThrow(StateDictError);
      expect(() => loadModelStateDict(vse, sd)).toThrow(/unexpected keys \(\d+\): .*Nothing was loaded/);
    } finally {
      pir.dispose();
      vse.dispose();
    }
  });
});
