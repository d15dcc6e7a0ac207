/**
 * Model directories in memory and over (fake) HTTP, in both projects: save → load gives identical
 * embeddings for PIR-ITR and PIR-CLIP (test sizes), the manifest's contents, the tokenizer kinds (word,
 * WordPiece, none), overrides, the configuration checks of saveModel, RetrievalModel's batching, and leaks.
 * The Node file system (atomic writes, crashes) is `model_dir.node.test.ts`; damaged directories
 * `model_dir_errors.test.ts`.
 */
import { readWeights, trainWordPiece } from '@pir/encoders';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createModel,
  type ModelConfig,
  ModelInputError,
  modelConfig,
  modelConfigHash,
  type PirItrModelConfig,
  resolveModelConfig,
} from '../src/index.js';
import { loadModel, saveModel, serializeModel } from '../src/model_dir.js';
import { MODEL_FORMAT_VERSION } from '../src/model_dir_format.js';
import { RetrievalModel } from '../src/model_dir_model.js';
import { CAPTIONS, fakeFetch, type Json, parse, tokenizer } from './model_dir_helpers.js';

const exact = { atol: 0, rtol: 0 };

describeBackends('model directories: save → load', () => {
  let images: tf.Tensor4D;
  beforeAll(() => {
    images = tf.randomUniform([5, 32, 32, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  });
  afterAll(() => images.dispose());

  it('pir-itr-test round-trips in memory: identical image and caption embeddings, the manifest says what it is', async () => {
    await expectNoLeak(async () => {
      const tok = tokenizer();
      const model = createModel('pir-itr-test', { seed: 1, tokenizer: tok });
      // trained weights, not the seed's: the loaded model must not rebuild them from a seed
      for (const v of model.trainableVariables().slice(0, 3)) {
        const moved = tf.tidy(() => tf.add(v, 0.01));
        v.assign(moved);
        moved.dispose();
      }
      const files = await serializeModel(model, { config: 'pir-itr-test', createdAt: new Date(0) });
      expect(Object.keys(files)).toEqual(['model.safetensors', 'tokenizer.json', 'pir-model.json']);
      const m = parse(files['pir-model.json']) as Record<string, Json>;
      expect(m.format).toBe('pir-model');
      expect(m.formatVersion).toBe(MODEL_FORMAT_VERSION);
      expect(m.config).toEqual(resolveModelConfig('pir-itr-test'));
      expect(m.configHash).toBe(modelConfigHash('pir-itr-test'));
      expect(m.tokenizer).toEqual({ type: 'word', vocabSize: tok.vocabSize, contextLength: 8 });
      expect(m.createdAt).toBe('1970-01-01T00:00:00.000Z');
      expect(Object.keys(m.libraries)).toEqual(['@pir/models', '@tensorflow/tfjs-core']);
      expect(m.files['model.safetensors'].bytes).toBe(files['model.safetensors']?.length);
      expect(m.files['model.safetensors'].sha256).toMatch(/^[0-9a-f]{64}$/);

      const loaded = await loadModel(files);
      expect(loaded.config).toEqual(m.config);
      expect(loaded.configHash).toBe(m.configHash);
      expect(loaded.manifest?.saveId).toBe(m.saveId);
      expect(loaded.embeddingDim).toBe(16);
      const { ids, mask } = tok.batch(CAPTIONS);
      const tA = model.embedTexts(ids, mask);
      const tB = loaded.embedTexts(CAPTIONS); // tokenised with the saved tokenizer
      await expectAllClose(tB, tA, exact, 'caption embeddings');
      const vA = model.embedImages(images);
      const vB = loaded.embedImages(images, { batchSize: 2 }); // 3 batches
      await expectAllClose(vB, vA, { atol: 1e-6, rtol: 1e-6 }, 'image embeddings');
      // every weight is the saved one: the model's own and each encoder's
      const a = readWeights(files['model.safetensors'] as Uint8Array);
      const b = readWeights((await serializeModel(loaded))['model.safetensors'] as Uint8Array);
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [key, t] of a) expect(b.get(key)?.data, key).toEqual(t.data);
      tf.dispose([ids, mask, tA, tB, vA, vB]);
      model.dispose();
      loaded.dispose();
    }, 'pir-itr-test round trip');
  });

  it('pir-clip-test round-trips through a fetch function and through a URL with { fetch }', async () => {
    await expectNoLeak(async () => {
      const model = createModel('pir-clip-test', { seed: 2, tokenizer: tokenizer() });
      const files = await serializeModel(model, { config: 'pir-clip-test' });
      const base = 'https://example.org/models/m/';
      const { fetch, calls } = fakeFetch(files, base);
      const byName = await loadModel((name) => fetch(base + name));
      const byUrl = await loadModel('https://example.org/models/m', { fetch });
      expect(calls.slice(3)).toEqual([
        `${base}pir-model.json`,
        `${base}tokenizer.json`,
        `${base}model.safetensors`,
      ]);
      const vA = model.embedImages(images);
      const { ids, mask } = model.encoders.text.tokenizer.batch(CAPTIONS);
      const tA = model.embedTexts(ids, mask);
      for (const loaded of [byName, byUrl]) {
        expect(loaded.model.constructor.name).toBe('PirClip');
        expect(loaded.embeddingDim).toBe(24);
        const vB = loaded.embedImages(images);
        const tB = loaded.embedTexts(CAPTIONS, { batchSize: 3 });
        await expectAllClose(vB, vA, exact, 'image embeddings');
        await expectAllClose(tB, tA, exact, 'caption embeddings');
        tf.dispose([vB, tB]);
        loaded.dispose();
      }
      tf.dispose([vA, tA, ids, mask]);
      model.dispose();
    }, 'pir-clip-test round trip');
  });

  it('any model createModel builds: the VSE baseline, and PIR-CLIP as plain CLIP (no instruction encoder)', async () => {
    const base = modelConfig('pir-clip-test');
    const stage1 = {
      ...base,
      name: 'pir-clip-stage1-test',
      encoders: { vision: base.encoders.vision, text: base.encoders.text },
      config: { ...base.config, lambda: 0, noBelief: true, noInstruction: true },
    } as unknown as ModelConfig;
    for (const config of ['vse-test', stage1] as const) {
      await expectNoLeak(async () => {
        const model = createModel(config as ModelConfig, { seed: 6, tokenizer: tokenizer() });
        const files = await serializeModel(model, { config: config as ModelConfig });
        const prefixes = new Set(
          [...readWeights(files['model.safetensors'] as Uint8Array).keys()].map((k) => k.split('.')[0]),
        );
        expect([...prefixes]).toEqual(['model', 'vision', 'text']); // no instruction encoder to save
        const loaded = await loadModel(files);
        const vA = model.embedImages(images);
        const vB = loaded.embedImages(images);
        await expectAllClose(vB, vA, exact, `${String(loaded.config.name)} images`);
        const { ids, mask } = model.encoders.text.tokenizer.batch(CAPTIONS);
        const tA = model.embedTexts(ids, mask);
        const tB = loaded.embedTexts(CAPTIONS);
        await expectAllClose(tB, tA, exact, `${String(loaded.config.name)} captions`);
        tf.dispose([vA, vB, ids, mask, tA, tB]);
        model.dispose();
        loaded.dispose();
      }, String(config));
    }
  });

  it('saveModel hands the files to a writer in commit order (manifest last) and returns the manifest', async () => {
    const model = createModel('pir-itr-test', { seed: 1, overrides: { dropout: 0, variant: 'released' } });
    const order: string[] = [];
    const manifest = await saveModel(
      model,
      async (files) => {
        for (const [name] of files) order.push(name);
      },
      { config: 'pir-itr-test', overrides: { dropout: 0, variant: 'released' } },
    );
    expect(order).toEqual(['model.safetensors', 'tokenizer.json', 'pir-model.json']);
    expect(manifest.config.config).toMatchObject({ dropout: 0, variant: 'released', k: 4 });
    expect(manifest.configHash).not.toBe(modelConfigHash('pir-itr-test'));
    // a text encoder built without a tokenizer: saved as 'none'
    expect(manifest.tokenizer).toEqual({ type: 'none', vocabSize: 50, contextLength: 16 });
    await expect(saveModel(model, 'dir' as never, { config: 'pir-itr-test' })).rejects.toThrow(
      /@pir\/models\/node/,
    );
    model.dispose();
  });

  it('saveModel checks that the configuration describes the model', async () => {
    const model = createModel('pir-itr-test', { seed: 1, overrides: { variant: 'released' } });
    const cases: [Parameters<typeof serializeModel>[1], string][] = [
      [{}, 'config'],
      [{ config: 'pir-itr-test' }, 'config.config.variant'], // the overrides were not passed
      [{ config: 'pir-clip-test' }, 'config.architecture'],
      [{ config: 'pir-itr-test', overrides: { variant: 'released', k: 3 } }, 'config.config.k'],
    ];
    for (const [options, argument] of cases) {
      const e = await serializeModel(model, options).catch((x: unknown) => x);
      expect(e, argument).toBeInstanceOf(ModelInputError);
      expect((e as ModelInputError).where).toBe('saveModel');
      expect((e as ModelInputError).argument).toBe(argument);
    }
    // the text encoder of another size than the configuration says
    const other = createModel(
      {
        ...resolveModelConfig('pir-itr-test'),
        encoders: {
          ...resolveModelConfig('pir-itr-test').encoders,
          text: {
            architecture: 'bert',
            config: { ...resolveModelConfig('pir-itr-test').encoders.text.config, numLayers: 1 },
          },
        },
      } as unknown as PirItrModelConfig,
      { seed: 1 },
    );
    const e = await serializeModel(other, { config: 'pir-itr-test' }).catch((x: unknown) => x);
    expect((e as ModelInputError).argument).toBe('config.encoders.text.numLayers');
    other.dispose();
    // a RetrievalModel carries its configuration: passing one is a mistake
    const rm = new RetrievalModel(model, { config: 'pir-itr-test', overrides: { variant: 'released' } });
    const again = await serializeModel(rm, { config: 'pir-itr-test' }).catch((x: unknown) => x);
    expect((again as ModelInputError).argument).toBe('config');
    rm.dispose();
    await expect(serializeModel(rm)).rejects.toThrow(/disposed/);
  });

  it('a WordPiece tokenizer round-trips (tokens, context, lower-casing); a model without one embeds images only', async () => {
    const wp = trainWordPiece(CAPTIONS, { vocabSize: 45, contextLength: 10 });
    const model = createModel('pir-itr-test', { seed: 3, tokenizer: wp });
    const files = await serializeModel(model, { config: 'pir-itr-test' });
    const tj = parse(files['tokenizer.json']) as Record<string, Json>;
    expect(tj).toMatchObject({
      format: 'pir-tokenizer',
      type: 'wordpiece',
      contextLength: 10,
      lowerCase: true,
    });
    const loaded = await loadModel(files);
    expect(loaded.tokenizer?.encode('Planes parked near the RIVER')).toEqual(
      wp.encode('Planes parked near the RIVER'),
    );
    loaded.dispose();
    model.dispose();

    const bare = createModel('pir-itr-test', { seed: 3 });
    const none = await loadModel(await serializeModel(bare, { config: 'pir-itr-test' }));
    expect(none.tokenizer).toBeUndefined();
    const e = (() => {
      try {
        none.embedTexts(['a park']);
      } catch (x) {
        return x as ModelInputError;
      }
    })();
    expect(e).toBeInstanceOf(ModelInputError);
    expect(e?.where).toBe('RetrievalModel.embedTexts');
    const v = none.embedImages(images);
    expect(v.shape).toEqual([5, 16]);
    v.dispose();
    bare.dispose();
    none.dispose();
  });

  it('RetrievalModel: retrieve from images and captions equals retrieve from their embeddings; errors; no leak', async () => {
    const model = createModel('pir-clip-test', { seed: 2, tokenizer: tokenizer() });
    const rm = new RetrievalModel(model, { config: 'pir-clip-test' });
    rm.embedImages(images).dispose(); // the frozen ResNet folds its BatchNorm on first use (kept)
    await expectNoLeak(async () => {
      const direct = await rm.retrieve(images, CAPTIONS, { k: 3, batchSize: 2 });
      const v = rm.embedImages(images);
      const t = rm.embedTexts(CAPTIONS);
      const { retrieve } = await import('../src/retrieve.js');
      const fromEmbeddings = await retrieve(v, t, { k: 3 });
      expect(direct.i2t?.indices).toEqual(fromEmbeddings.i2t?.indices);
      expect(direct.t2i?.indices).toEqual(fromEmbeddings.t2i?.indices);
      expect(direct.i2t?.k).toBe(3);
      expect(direct.t2i?.queries).toBe(4);
      const t2iOnly = await rm.retrieve(v, CAPTIONS, { direction: 't2i', k: 2 });
      expect(t2iOnly.i2t).toBeUndefined();
      tf.dispose([v, t]);
      const empty = rm.embedTexts([]);
      expect(empty.shape).toEqual([0, 24]);
      empty.dispose();
    }, 'RetrievalModel');
    expect(() => rm.embedImages(tf.zeros([2, 3]) as never)).toThrow(ModelInputError);
    expect(() => rm.embedTexts(CAPTIONS, { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => rm.embedTexts([1] as never)).toThrow(/strings/);
    rm.dispose();
    expect(() => rm.embedTexts(CAPTIONS)).toThrow(/disposed/);
  });
});
