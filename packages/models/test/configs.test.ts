/**
 * The JSON configurations: every built-in one is valid and consistent (image sizes, token counts, text
 * lengths), the paper sizes say what PIR_SPEC says, the tiny and test sizes build and run, hashes cover what a
 * model computes, and a bad configuration is refused with the key at fault named (did you mean …).
 */
import { SWIN_TEST, SwinTransformer } from '@pir/encoders';
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  createModel,
  listModels,
  MODEL_ALIASES,
  type ModelConfig,
  ModelInputError,
  type ModelName,
  modelConfig,
  modelConfigHash,
  PirClip,
  PirItr,
  type ResolvedEncoder,
  resolveModelConfig,
  trainRecipe,
  VseModel,
} from '../src/index.js';

type Fields = Record<string, unknown>;

/** Tokens of a vision encoder configuration: 1 + N (pooled / class token + local tokens). */
function visionTokens(e: ResolvedEncoder): number {
  const c = e.config as { imageSize: number; patchSize: number; depths?: number[] };
  if (e.architecture === 'swin') {
    const side = c.imageSize / c.patchSize / 2 ** ((c.depths as number[]).length - 1);
    return 1 + side * side;
  }
  return 1 + (c.imageSize / c.patchSize) ** 2;
}

/** The first error `modelConfig` (or `f`) throws: `argument: message`. */
function refusal(c: unknown, f: (x: unknown) => unknown = modelConfig): string {
  try {
    f(c);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(ModelInputError);
    return `${(e as ModelInputError).argument}: ${(e as Error).message}`;
  }
}

const clone = <T>(x: T): T => structuredClone(x);

describe('built-in configurations', () => {
  it('every one is valid, named as its key, with a training recipe that fits its encoders', () => {
    for (const name of listModels()) {
      const c = modelConfig(name);
      expect(c.name).toBe(name);
      const r = resolveModelConfig(name);
      const recipe = trainRecipe(name);
      const vision = r.encoders.vision.config as { imageSize: number };
      expect(recipe.augment.size, `${name}: augment.size = the vision encoder's imageSize`).toBe(
        vision.imageSize,
      );
      const inst = r.encoders.instruction?.config as { imageSize?: number } | undefined;
      if (inst?.imageSize !== undefined)
        expect(inst.imageSize, `${name}: instruction imageSize`).toBe(vision.imageSize);
      const text = r.encoders.text.config as { maxPositions?: number; contextLength?: number };
      expect(recipe.captions.maxTokens, `${name}: maxTokens`).toBeLessThanOrEqual(
        (text.maxPositions ?? text.contextLength) as number,
      );
      const fields = r.config as Fields;
      if (c.architecture === 'pir-itr')
        expect(fields.k as number, `${name}: k ≤ 1 + N`).toBeLessThanOrEqual(visionTokens(r.encoders.vision));
      if (c.architecture === 'vse') expect(r.encoders.instruction, name).toBeUndefined();
    }
    // sizes of each architecture: paper, base, tiny (+ test)
    for (const arch of ['pir-itr', 'pir-clip', 'pir-clip-stage1', 'vse'])
      for (const size of ['paper', 'base', 'tiny']) expect(listModels()).toContain(`${arch}-${size}`);
  });

  it('the aliases of 0.1 name the paper configurations (same configuration, same hash)', () => {
    for (const [alias, name] of Object.entries(MODEL_ALIASES)) {
      expect(modelConfig(alias as ModelName)).toEqual(modelConfig(name as ModelName));
      expect(modelConfigHash(alias as ModelName)).toBe(modelConfigHash(name as ModelName));
    }
  });

  it('pir-itr-paper and vse-paper are PIR_SPEC §1–§5', () => {
    const r = resolveModelConfig('pir-itr-paper');
    expect(r.encoders.vision).toMatchObject({
      architecture: 'swin',
      config: {
        imageSize: 224,
        patchSize: 4,
        windowSize: 7,
        embedDim: 96,
        depths: [2, 2, 6, 2],
        numHeads: [3, 6, 12, 24],
      },
    });
    expect(visionTokens(r.encoders.vision)).toBe(50);
    expect(r.encoders.text).toMatchObject({
      architecture: 'bert',
      config: { hiddenSize: 768, numLayers: 12, vocabSize: 30522, layerNormEps: 1e-12, pooler: false },
    });
    expect(r.encoders.instruction).toMatchObject({
      architecture: 'resnet',
      config: { layers: [3, 4, 6, 3], numClasses: 0 },
    });
    expect(r.config).toMatchObject({
      dim: 512,
      k: 40,
      heads: 8,
      spatialLayers: 2,
      temporalLayers: 3,
      dropout: 0.2,
      lambda: 1,
    });
    expect(r.config).toMatchObject({ temperature: { init: 0.07 }, affiliationTemperature: { init: 0.07 } });
    expect(trainRecipe('pir-itr-paper')).toMatchObject({
      epochs: 50,
      batchSize: 256,
      optimizer: {
        name: 'adamw',
        lr: 6e-5,
        weightDecay: 0.01,
        betas: [0.9, 0.98],
        eps: 1e-8,
        noDecay: 'rank<2',
      },
      schedule: { name: 'linear', warmupFraction: 0.1 },
      augment: { size: 224, scale: [0.5, 1], flip: 0.5, randAugment: { numOps: 2, magnitude: 7 } },
      captions: { maxWords: 30, maxTokens: 47 },
      selectOn: 'val',
    });
    const vse = resolveModelConfig('vse-paper');
    expect(vse.encoders.vision).toEqual(r.encoders.vision);
    expect(vse.encoders.text).toEqual(r.encoders.text);
    expect(vse.config).toMatchObject({ dim: 512, loss: 'contrastive', lambda: 0 });
    expect(trainRecipe('vse-paper')).toEqual(trainRecipe('pir-itr-paper'));
  });

  it('pir-clip-paper is stage 2; pir-clip-stage1-paper the same CLIP with the PIR parts off', () => {
    const r = resolveModelConfig('pir-clip-paper');
    expect(r.encoders.vision).toMatchObject({
      architecture: 'clip-vit',
      config: {
        imageSize: 224,
        patchSize: 32,
        width: 768,
        layers: 12,
        heads: 12,
        outputDim: 512,
        activation: 'gelu',
      },
    });
    expect(r.encoders.text).toMatchObject({
      architecture: 'clip-text',
      config: { width: 512, layers: 12, heads: 8, contextLength: 77, vocabSize: 49408, activation: 'gelu' },
    });
    expect(r.encoders.instruction).toMatchObject({
      architecture: 'clip-resnet',
      config: { layers: [3, 4, 6, 3], outputDim: 512 },
    });
    expect(r.config).toMatchObject({ variant: 'paper', lambda: 1, noBelief: false, noInstruction: false });
    expect(trainRecipe('pir-clip-paper')).toMatchObject({
      optimizer: { lr: 1e-5, weightDecay: 0.5, betas: [0.9, 0.98], eps: 1e-6 },
      schedule: { name: 'cosine' },
      augment: { size: 224, scale: [0.9, 1], randAugment: false },
    });
    const s1 = resolveModelConfig('pir-clip-stage1-paper');
    expect(s1.encoders.vision).toEqual(r.encoders.vision);
    expect(s1.encoders.text).toEqual(r.encoders.text);
    expect(s1.encoders.instruction).toBeUndefined();
    expect(s1.config).toMatchObject({ lambda: 0, noBelief: true, noInstruction: true });
  });
});

describe('configuration hashes', () => {
  it('cover the model fields (defaults written or left out alike), not the name, description or recipe', () => {
    const base = modelConfig('pir-itr-test');
    const h = modelConfigHash(base);
    const omitted = { ...clone(base), config: { dim: 16, k: 4, heads: 4 } };
    expect(modelConfigHash(omitted)).toBe(h);
    const { train: _t, ...noRecipe } = clone(base);
    expect(modelConfigHash({ ...noRecipe, name: 'other', description: 'x' } as ModelConfig)).toBe(h);
    const changes: Fields[] = [
      { noBelief: true },
      { noSpatialPae: true },
      { noTemporalPae: true },
      { lambda: 0 },
      { loss: 'triplet' },
      { margin: 0.3 },
      { maxViolation: false },
      { variant: 'released' },
      { temperature: { init: 0.05 } },
    ];
    const hashes = changes.map((f) =>
      modelConfigHash({ ...clone(base), config: { ...base.config, ...f } } as ModelConfig),
    );
    expect(new Set([h, ...hashes]).size).toBe(changes.length + 1);
    const clip = modelConfig('pir-clip-test');
    const clipHashes = [
      { noBelief: true },
      { noInstruction: true },
      { lambda: 0 },
      { logitScale: { maxScale: 50 } },
    ].map((f) => modelConfigHash({ ...clone(clip), config: { ...clip.config, ...f } } as ModelConfig));
    expect(new Set([modelConfigHash(clip), ...clipHashes]).size).toBe(5);
    expect(modelConfigHash('vse-test')).not.toBe(
      modelConfigHash({ ...modelConfig('vse-test'), config: { dim: 16, loss: 'triplet' } }),
    );
  });
});

describe('bad configurations name the key at fault', () => {
  const itr = modelConfig('pir-itr-test');
  const with_ = (path: string, value: unknown): unknown => {
    const c = clone(itr) as unknown as Record<string, unknown>;
    const keys = path.split('.');
    let o = c;
    for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
    o[keys[keys.length - 1] as string] = value;
    return c;
  };

  it('model fields: type, range, enum, unknown key, relations', () => {
    const cases: [unknown, RegExp][] = [
      [with_('config.k', 2.5), /^config\.k: .*must be an integer ≥ 1, got 2\.5/],
      [with_('config.dim', 0), /^config\.dim: .*≥ 1, got 0/],
      [with_('config.dropout', 1), /^config\.dropout: .*a number ≥ 0 and < 1, got 1/],
      [with_('config.lambda', -1), /^config\.lambda: .*/],
      [
        with_('config.variant', 'paperr'),
        /^config\.variant: .*one of "paper", "released", got "paperr" \(did you mean 'paper'\?\)/,
      ],
      [with_('config.loss', 'hinge'), /^config\.loss: .*one of "contrastive", "triplet"/],
      [with_('config.noBelief', 'yes'), /^config\.noBelief: .*true or false/],
      [
        with_('config.lamda', 1),
        /^config\.lamda: .*unknown key 'lamda' \(did you mean 'lambda'\?\); allowed: dim, k/,
      ],
      [with_('config.nobelief', true), /did you mean 'noBelief'/],
      [
        with_('config.temperature', { init: 0.07, parametrisation: 'log' }),
        /^config\.temperature\.parametrisation: .*did you mean 'parametrization'/,
      ],
      [with_('config.temperature', { init: 0.9 }), /^config\.temperature\.init: .*must be in \[min, max\]/],
      [with_('config.heads', 5), /^config\.heads: .*dim 16 must be divisible by heads 5/],
      [with_('trian', {}), /^trian: .*unknown key 'trian' \(did you mean 'train'\?\)/],
      [with_('architecture', 'pir_itr'), /^architecture: .*did you mean 'pir-itr'/],
      [
        with_('encoders.vision', 'swin-tt'),
        /^encoders\.vision: .*unknown encoder 'swin-tt' \(did you mean 'swin-t'\?\)/,
      ],
      [with_('encoders.visoin', 'swin-t'), /^encoders\.visoin: .*did you mean 'vision'/],
      [
        with_('encoders.vision', { name: 'swin-test', override: {} }),
        /^encoders\.vision\.override: .*did you mean 'overrides'/,
      ],
      [
        with_('encoders.vision', { architecture: 'swinn', config: {} }),
        /^encoders\.vision\.architecture: .*did you mean 'swin'/,
      ],
    ];
    for (const [c, want] of cases) expect(refusal(c)).toMatch(want);
    // the VSE baseline has no instruction encoder; PIR-CLIP needs one unless it is plain CLIP
    expect(refusal({ ...modelConfig('vse-test'), encoders: itr.encoders })).toMatch(
      /^encoders\.instruction: .*no instruction encoder/,
    );
    const clip = modelConfig('pir-clip-test');
    expect(
      refusal({ ...clip, encoders: { vision: clip.encoders.vision, text: clip.encoders.text } }),
    ).toMatch(
      /^encoders\.instruction: .*PIR-CLIP needs an instruction encoder unless noBelief and noInstruction/,
    );
    expect(refusal({ ...modelConfig('vse-test'), config: { k: 4 } })).toMatch(
      /^config\.k: .*unknown key 'k'; allowed: dim, lambda, loss/,
    );
  });

  it('the training recipe: required keys, ranges, enums, ops, one warm-up', () => {
    const cases: [unknown, RegExp][] = [
      [with_('train.optimizer.lr', 0), /^train\.optimizer\.lr: .*a number > 0 and ≤ 1, got 0/],
      [with_('train.optimizer.name', 'sgd'), /^train\.optimizer\.name: .*one of "adamw"/],
      [with_('train.optimizer.betas', [0.9]), /^train\.optimizer\.betas: .*a list of 2/],
      [with_('train.optimizer.betas', [0.9, 1]), /^train\.optimizer\.betas\.1: .*< 1/],
      [with_('train.optimizer.noDecay', 'rank<3'), /^train\.optimizer\.noDecay: .*did you mean 'rank<2'/],
      [with_('train.epochs', undefined), /^train\.epochs: .*is required: an integer ≥ 1/],
      [with_('train.batchSize', 0), /^train\.batchSize: .*/],
      [with_('train.schedule.name', 'cosin'), /^train\.schedule\.name: .*did you mean 'cosine'/],
      [
        with_('train.schedule.warmupSteps', 10),
        /^train\.schedule\.warmupSteps: .*give warmupSteps or warmupFraction, not both/,
      ],
      [with_('train.augment.scale', [1, 0.5]), /^train\.augment\.scale: .*must be in increasing order/],
      [with_('train.augment.flip', 2), /^train\.augment\.flip: .*/],
      [
        with_('train.augment.randAugment', { numOps: 2, magnitude: 7, ops: ['rotat'] }),
        /^train\.augment\.randAugment\.ops\.0: .*did you mean 'rotate'/,
      ],
      [
        with_('train.augment.randAugment', { numOps: 2, magnitude: 31 }),
        /^train\.augment\.randAugment\.magnitude: .*≤ 30/,
      ],
      [
        with_('train.augment.randAugment', true),
        /^train\.augment\.randAugment: .*must be one of false, or an object/,
      ],
      [with_('train.captions.maxWord', 30), /^train\.captions\.maxWord: .*did you mean 'maxWords'/],
      [with_('train.selectOn', 'validation'), /^train\.selectOn: .*one of "val", "test"/],
    ];
    for (const [c, want] of cases) expect(refusal(c)).toMatch(want);
    const { train: _, ...bare } = clone(itr);
    expect(refusal(bare, (c) => trainRecipe(c as ModelConfig))).toMatch(
      /^train: .*trainRecipe: .*has no training recipe/,
    );
    expect(refusal('pir-itr-tets')).toMatch(
      /^name: .*unknown model 'pir-itr-tets' \(did you mean 'pir-itr-test'\?\)/,
    );
  });

  it('createModel checks its overrides and encoders as the configuration', () => {
    const where = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(ModelInputError);
        return `${(e as ModelInputError).where} ${(e as ModelInputError).argument}: ${(e as Error).message}`;
      }
    };
    expect(where(() => createModel('pir-itr-test', { overrides: { noBeleif: true } as never }))).toMatch(
      /^createModel overrides\.noBeleif: .*did you mean 'noBelief'/,
    );
    expect(where(() => createModel('pir-itr-test', { overrides: { dropout: 2 } }))).toMatch(
      /^createModel overrides\.dropout: .*/,
    );
    expect(where(() => createModel('pir-itr-test', { overrides: { dim: 18 } }))).toMatch(
      /^createModel overrides\.heads: .*dim 18 must be divisible by heads 4/,
    );
    expect(where(() => createModel('vse-test', { overrides: { k: 3 } as never }))).toMatch(
      /^createModel overrides\.k: .*unknown key/,
    );
    expect(where(() => createModel('pir-itr-test', { encoders: { visoin: {} } as never }))).toMatch(
      /^createModel encoders\.visoin: .*did you mean 'vision'/,
    );
  });
});

describeBackends('built-in configurations build', () => {
  const SMALL = listModels().filter((n) => /-(tiny|test)$/.test(n));

  it('every tiny and test configuration builds the class of its architecture, embeds and frees everything', async () => {
    for (const name of SMALL) {
      await expectNoLeak(async () => {
        const r = resolveModelConfig(name);
        const model = createModel(name, { seed: 1 });
        const cls = { 'pir-itr': PirItr, 'pir-clip': PirClip, vse: VseModel }[r.architecture];
        expect(model, name).toBeInstanceOf(cls);
        const size = trainRecipe(name).augment.size;
        const images = tf.randomUniform([2, size, size, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
        const ids = tf.tensor2d(
          [
            [1, 5, 7, 2, 0],
            [1, 6, 2, 0, 0],
          ],
          [2, 5],
          'int32',
        );
        const mask = tf.tensor2d([
          [1, 1, 1, 1, 0],
          [1, 1, 1, 0, 0],
        ]);
        const v = model.embedImages(images);
        const t = model.embedTexts(ids, mask);
        expect(v.shape[1], name).toBe(t.shape[1]);
        if (r.architecture !== 'pir-clip') expect(v.shape[1], name).toBe((r.config as Fields).dim);
        tf.dispose([images, ids, mask, v, t]);
        model.dispose();
      }, name);
    }
  });

  it("encoders given by code replace the configuration's, stay the caller's, and may be left out of it", async () => {
    const mine = new SwinTransformer({ ...SWIN_TEST, numClasses: 0 }, { rng: new Rng(9) });
    const { vision: _, ...others } = modelConfig('pir-itr-test').encoders;
    const config = {
      ...modelConfig('pir-itr-test'),
      name: 'mine',
      encoders: others,
    } as unknown as ModelConfig;
    const images = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    await expectNoLeak(async () => {
      const model = createModel(config, { seed: 1, encoders: { vision: mine } });
      expect(model.encoders.vision).toBe(mine);
      expect(model.trainableVariables()).toContain(mine.trainableVariables()[0]);
      tf.dispose(model.embedImages(images));
      const text = model.encoders.text as unknown as { params: { get(n: string): tf.Variable } };
      const built = text.params.get('embeddings.word_embeddings.weight');
      model.dispose();
      expect(built.isDisposed).toBe(true); // built by createModel: freed with the model
    }, 'given encoders');
    const w = mine.params.get('patch_embed.proj.weight');
    expect(w.isDisposed).toBe(false); // given: still the caller's
    const vse = createModel('vse-test', { seed: 1, encoders: { vision: mine } });
    expect(vse.encoders.vision).toBe(mine);
    vse.dispose();
    mine.dispose();
    images.dispose();
  });
});
