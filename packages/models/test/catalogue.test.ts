/** Model configurations as data and the catalogue that builds them. */
import { loadStateDict, stateDict } from '@pir/nn';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  createModel,
  listModels,
  ModelInputError,
  modelConfig,
  modelConfigHash,
  PIR_ITR_DEFAULTS,
  PirClip,
  PirItr,
  resolveModelConfig,
} from '../src/index.js';

describeBackends('model catalogue', () => {
  it('lists the built-in configurations; pir-itr is the published model, as the class defaults are', () => {
    expect(listModels()).toEqual([
      'pir-itr-paper',
      'pir-itr-base',
      'pir-itr-tiny',
      'pir-itr-test',
      'pir-clip-paper',
      'pir-clip-base',
      'pir-clip-tiny',
      'pir-clip-test',
      'pir-clip-stage1-paper',
      'pir-clip-stage1-base',
      'pir-clip-stage1-tiny',
      'vse-paper',
      'vse-base',
      'vse-tiny',
      'vse-test',
    ]);
    expect(listModels({ aliases: true }).slice(-2)).toEqual(['pir-itr', 'pir-clip']);
    const c = modelConfig('pir-itr');
    expect(c.config).toEqual({
      dim: 512,
      k: 40,
      heads: 8,
      spatialLayers: 2,
      temporalLayers: 3,
      dropout: 0.2,
      lambda: 1,
      variant: 'paper',
      noBelief: false,
      noSpatialPae: false,
      noTemporalPae: false,
      loss: 'contrastive',
      margin: 0.2,
      maxViolation: true,
    });
    const r = resolveModelConfig('pir-itr');
    expect(r.encoders.vision.architecture).toBe('swin');
    expect(r.encoders.vision.config).toMatchObject({
      imageSize: 224,
      embedDim: 96,
      depths: [2, 2, 6, 2],
      numClasses: 0,
    });
    expect(r.encoders.text.config).toMatchObject({ hiddenSize: 768, numLayers: 12, vocabSize: 30522 });
    expect(r.encoders.instruction?.config).toMatchObject({ layers: [3, 4, 6, 3], block: 'bottleneck' });
    expect(resolveModelConfig('pir-clip').encoders.instruction?.architecture).toBe('clip-resnet');
  });

  it('the class defaults equal the published configuration', () => {
    expect({ ...PIR_ITR_DEFAULTS }).toEqual(modelConfig('pir-itr').config);
    // a model built with no fields takes them (k = 40 needs ≥ 39 vision tokens: swin-test at 224 px gives 49)
    const m = createModel(
      {
        ...modelConfig('pir-itr-test'),
        encoders: {
          ...modelConfig('pir-itr-test').encoders,
          vision: { name: 'swin-test', overrides: { imageSize: 224, patchSize: 4, windowSize: 7 } },
        },
        config: {},
      },
      { seed: 1 },
    );
    expect({ dim: m.dim, k: m.k, lambda: m.lambda, variant: m.variant }).toEqual({
      dim: PIR_ITR_DEFAULTS.dim,
      k: PIR_ITR_DEFAULTS.k,
      lambda: PIR_ITR_DEFAULTS.lambda,
      variant: PIR_ITR_DEFAULTS.variant,
    });
    m.dispose();
  });

  it('createModel builds both architectures at test size; dispose frees the encoders too', async () => {
    const images = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const ids = tf.tensor2d(
      [
        [1, 7, 9, 3],
        [1, 5, 3, 0],
      ],
      [2, 4],
      'int32',
    );
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 1],
        [1, 1, 1, 0],
      ],
      [2, 4],
    );
    await expectNoLeak(async () => {
      const itr = createModel('pir-itr-test', { seed: 2 });
      expect(itr).toBeInstanceOf(PirItr);
      const v = itr.embedImages(images);
      const t = itr.embedTexts(ids, mask);
      expect([v.shape, t.shape]).toEqual([
        [2, 16],
        [2, 16],
      ]);
      tf.dispose([v, t]);
      // the instruction encoder is a view of its ResNet: loadable by name, frozen, freed with the model
      const instruction = itr.encoders.instruction;
      const sd = await stateDict(instruction);
      expect(sd.has('conv1.weight')).toBe(true);
      expect(loadStateDict(instruction, sd).missing).toEqual([]);
      expect(itr.trainableVariables().length).toBeGreaterThan(0);
      itr.dispose();
      const clip = createModel('pir-clip-test', { seed: 3, overrides: { variant: 'released' } });
      expect(clip).toBeInstanceOf(PirClip);
      expect(clip.variant).toBe('released');
      const vc = clip.embedImages(images);
      expect(vc.shape).toEqual([2, 24]);
      vc.dispose();
      clip.dispose();
    }, 'createModel + dispose');
    tf.dispose([images, ids, mask]);
  });

  it('the same seed builds the same model', async () => {
    const [a, b] = [createModel('pir-itr-test', { seed: 5 }), createModel('pir-itr-test', { seed: 5 })];
    const [sa, sb] = [await a.stateDict(), await b.stateDict()];
    expect(Array.from(sa.get('vision_proj.weight')?.data as Float32Array)).toEqual(
      Array.from(sb.get('vision_proj.weight')?.data as Float32Array),
    );
    a.dispose();
    b.dispose();
  });

  it('configuration hashes: equal for equal models, different otherwise', () => {
    expect(modelConfigHash('pir-itr')).toMatch(/^[0-9a-f]{16}$/);
    expect(modelConfigHash(modelConfig('pir-itr'))).toBe(modelConfigHash('pir-itr'));
    expect(modelConfigHash({ ...modelConfig('pir-itr'), name: 'mine' })).toBe(modelConfigHash('pir-itr'));
    const other = modelConfig('pir-itr');
    other.config.k = 30;
    expect(modelConfigHash(other)).not.toBe(modelConfigHash('pir-itr'));
    expect(modelConfigHash('pir-itr-test')).not.toBe(modelConfigHash('pir-itr'));
  });

  it('a bad configuration names the key at fault', () => {
    const code = (c: unknown) => {
      try {
        modelConfig(c);
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(ModelInputError);
        return `${(e as ModelInputError).argument}: ${(e as Error).message}`;
      }
    };
    expect(code('pir-xl')).toMatch(/^name: .*unknown model 'pir-xl'; known: pir-itr-paper, pir-itr-base/);
    expect(code({ ...modelConfig('pir-itr'), architecture: 'vsepp' })).toMatch(/^architecture: /);
    expect(
      code({
        ...modelConfig('pir-itr'),
        encoders: { vision: 'swin-xl', text: 'bert-test', instruction: 'resnet-test' },
      }),
    ).toMatch(/^encoders\.vision: .*unknown encoder 'swin-xl'/);
    expect(
      code({
        ...modelConfig('pir-itr'),
        encoders: { vision: { name: 'swin-t', overrides: 3 }, text: 'bert-test', instruction: 'resnet-test' },
      }),
    ).toMatch(/^encoders\.vision\.overrides: /);
    expect(() =>
      createModel({
        ...modelConfig('pir-itr-test'),
        encoders: { ...modelConfig('pir-itr-test').encoders, instruction: 'bert-test' },
      }),
    ).toThrow(/bert cannot be an instruction encoder/);
  });
});
