/**
 * Building blocks of the trainer: the tensor-memory high-water mark, `evaluateSplit` against the metrics
 * computed by hand, the recipe's schedule and optimiser, the default word tokenizer, the data adapters.
 */
import { buildWordVocab } from '@pir/encoders';
import { evaluateRetrieval } from '@pir/metrics';
import { createModel, modelConfig, resolveModelConfig } from '@pir/models';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TrainInputError } from '../src/errors.js';
import { datasetSplit, evaluateSplit } from '../src/index.js';
import {
  preprocessImages,
  recipeOptimizer,
  recipeSchedule,
  resolveRecipe,
  tokenize,
  watchTensorMemory,
  wordTokenizerFor,
} from '../src/trainer/index.js';
import { tinyData } from './train_data.js';

describeBackends('trainer parts', () => {
  it('watchTensorMemory sees the peak inside a tidy, not just what is left', async () => {
    const a = tf.ones([256, 256]);
    const watch = watchTensorMemory();
    const base = tf.memory().numBytes;
    tf.tidy(() => tf.sum(tf.mul(tf.matMul(a, a), 2))).dispose();
    expect(tf.memory().numBytes).toBe(base);
    expect(watch.exact).toBe(true);
    expect(watch.peakBytes).toBeGreaterThanOrEqual(base + 2 * 256 * 256 * 4); // the product and its double
    watch.reset();
    expect(watch.peakBytes).toBe(base);
    watch.stop();
    a.dispose();
  });

  it('evaluateSplit equals evaluateRetrieval of the embeddings made by hand, in any image batch size', async () => {
    const data = tinyData();
    const split = data.val as NonNullable<typeof data.val>;
    const tokenizer = buildWordVocab(data.train.captions, { contextLength: 16, maxSize: 45 });
    const model = createModel('pir-itr-test', { seed: 2, tokenizer });
    const images = await split.loadImages(Array.from({ length: split.imageLabels.length }, (_, i) => i));
    const x = preprocessImages(images, 32);
    const v = model.embedImages(x);
    const { ids, mask } = tokenize(tokenizer, split.captions, 30);
    const t = model.embedTexts(ids, mask);
    const want = await evaluateRetrieval(v, t, split.captionToImage);
    tf.dispose([x, v, t, ids, mask]);
    for (const imageBatch of [1, 3, 32]) {
      const got = await expectNoLeak(() => evaluateSplit(model, split, { imageBatch, textBatch: 7 }));
      expect(got.mR).toBeCloseTo(want.mR, 6);
      expect(Array.from(got.t2i.ranks)).toEqual(Array.from(want.t2i.ranks));
    }
    await expect(evaluateSplit(model, { ...split, captions: [] })).rejects.toMatchObject({
      where: 'evaluateSplit',
      argument: 'split.captions',
    });
    model.dispose();
  });

  it('the recipe: schedule, optimiser groups and hyper-parameters', () => {
    const { recipe } = resolveRecipe('test', 'pir-itr-test', { schedule: { warmupFraction: 0.5 } });
    const s = recipeSchedule(recipe.schedule, 10); // linear, 5 warm-up steps
    expect([s(0), s(5), s(10)]).toEqual([0, 1, 0]);
    const cosine = recipeSchedule({ name: 'cosine', warmupSteps: 2 }, 10);
    expect(cosine(1)).toBe(1);
    expect(recipeSchedule({ name: 'constant' }, 10)(7)).toBe(1);
    const model = createModel('pir-itr-test', { seed: 1 });
    const opt = recipeOptimizer(model, recipe, 10);
    expect(opt.groups.map((g) => g.name)).toEqual(['decay', 'no_decay']);
    const none = recipeOptimizer(
      model,
      { ...recipe, optimizer: { ...recipe.optimizer, noDecay: 'none' } },
      10,
    );
    expect(none.groups.map((g) => g.name)).toEqual(['decay']);
    opt.dispose();
    none.dispose();
    model.dispose();
  });
});

describe('trainer parts without a backend', () => {
  it('the default tokenizer: a word vocabulary of the training captions sized to the text encoder; [SEP] last for CLIP', () => {
    const captions = tinyData().train.captions;
    const itr = resolveModelConfig('pir-itr-test');
    const bert = wordTokenizerFor(itr, captions, resolveRecipe('t', 'pir-itr-test').recipe);
    expect(bert.vocabSize).toBe(50); // BERT-test embeds 50 ids: 5 specials + the 45 most frequent words
    expect(bert.contextLength).toBe(16);
    expect(bert.encode('a plane')[0]).toBe(2); // [CLS]
    const clip = wordTokenizerFor(
      resolveModelConfig('pir-clip-test'),
      captions,
      resolveRecipe('t', 'pir-clip-test').recipe,
    );
    const ids = clip.encode('many planes');
    expect(ids[ids.length - 1]).toBe(clip.vocabSize - 1); // CLIP pools the largest id: [SEP]
    expect(Math.max(...ids)).toBe(clip.vocabSize - 1);
    expect(clip.contextLength).toBe(12);
  });

  it('resolveRecipe checks changed values as the configuration would, naming the key', () => {
    expect(resolveRecipe('t', 'pir-itr-test', { epochs: 3 }).recipe.epochs).toBe(3);
    expect(resolveRecipe('t', 'pir-itr-test', { optimizer: { lr: 1e-4 } }).recipe.optimizer.eps).toBe(1e-8);
    expect(() => resolveRecipe('t', 'pir-itr-test', { epochs: 0 })).toThrow(TrainInputError);
    try {
      resolveRecipe('t', 'pir-itr-test', { augment: { flip: 2 } });
    } catch (e) {
      expect((e as TrainInputError).argument).toBe('recipe.augment.flip');
    }
    const { train: _t, ...bare } = modelConfig('vse-test');
    expect(() => resolveRecipe('t', bare as never)).toThrow(/has no training recipe/);
  });

  it('datasetSplit reads a dataset of the annotation loaders; bad inputs are named', async () => {
    const { generateSynthetic, loadPirJson } = await import('@pir/datasets');
    const synth = generateSynthetic({
      seed: 1,
      count: 8,
      size: 32,
      classes: ['airport', 'forest'],
      splits: { train: 0.5, val: 0.25, test: 0.25 },
    });
    const ds = loadPirJson(synth.annotations.test, { file: 'test.json' });
    const byFile = new Map(synth.samples.map((s, k) => [s.image, synth.images[k]]));
    const split = datasetSplit(ds, async (record) => byFile.get(record.file) as never);
    expect(split.captions.length).toBe(ds.captions.length);
    const [img] = await split.loadImages([0]);
    expect(img?.width).toBe(32);
    expect(() => datasetSplit({} as never, 'x')).toThrow(TrainInputError);
    expect(() => datasetSplit(ds, 3 as never)).toThrow(/images/);
  });
});
