/**
 * VseModel (the VSE baseline) with real tiny encoders and with fixed encoder outputs: the embeddings are the
 * projected token 0 on both sides and nothing else, the loss is the configured one, state dicts hold only the
 * parameters it uses, what trains, errors, leaks, and that a few steps lower the loss. The composition against
 * PyTorch is `vse.golden.test.ts`.
 */
import { BERT_TEST, BertEncoder, type EncoderOutput, SWIN_TEST, SwinTransformer } from '@pir/encoders';
import { affiliationLoss, l2Normalize, multiPositiveInfoNCE, tripletLoss } from '@pir/losses';
import { linear, StateDictError } from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createModel, ModelInputError, type VseBatch, type VseConfig, VseModel } from '../src/index.js';

const B = 4;
const L = 6;
const TOL = { atol: 1e-5, rtol: 1e-5 };

describeBackends('VseModel (tiny encoders)', () => {
  let vision: SwinTransformer;
  let text: BertEncoder;
  let batch: VseBatch & { labels: number[] };

  beforeAll(() => {
    vision = new SwinTransformer({ ...SWIN_TEST, numClasses: 0 }, { rng: new Rng(1) });
    text = new BertEncoder(BERT_TEST, { rng: new Rng(2) });
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
    tf.dispose([batch.images, batch.ids, batch.mask]);
  });

  const make = (c: VseConfig = {}) => new VseModel({ vision, text }, { dim: 16, seed: 3, ...c });

  it('v = L2(vision_proj(global)), t = L2(text_proj(local[:, 0])): unit vectors [B, D], nothing else', async () => {
    const model = make();
    try {
      const v = model.embedImages(batch.images);
      const t = model.embedTexts(batch.ids, batch.mask);
      expect([v.shape, t.shape]).toEqual([
        [B, 16],
        [B, 16],
      ]);
      const p = model.projections;
      const want = tf.tidy(() => {
        const out = vision.encode(batch.images);
        const txt = text.encode(batch.ids, batch.mask);
        const cls = tf.reshape(tf.slice(txt.local, [0, 0, 0], [B, 1, text.dim]), [
          B,
          text.dim,
        ]) as tf.Tensor2D;
        return [
          l2Normalize(
            linear(out.global, p.get('vision_proj.weight'), p.get('vision_proj.bias')) as tf.Tensor2D,
          ),
          l2Normalize(linear(cls, p.get('text_proj.weight'), p.get('text_proj.bias')) as tf.Tensor2D),
        ];
      });
      await expectAllClose(v, want[0] as tf.Tensor, TOL, 'v');
      await expectAllClose(t, want[1] as tf.Tensor, TOL, 't');
      tf.dispose([v, t, ...want]);
    } finally {
      model.dispose();
    }
  });

  it('imageHead reads only vision.global and textHead only token 0 of text.local', async () => {
    const model = make();
    try {
      const rng = tf.randomNormal([B, vision.dim], 0, 1, 'float32', 7) as tf.Tensor2D;
      const local = tf.randomNormal([B, 3, text.dim], 0, 1, 'float32', 8) as tf.Tensor3D;
      const otherRows = tf.concat(
        [tf.slice(local, [0, 0, 0], [B, 1, text.dim]), tf.zeros([B, 2, text.dim])],
        1,
      );
      const a = model.imageHead({ global: rng, local: tf.zeros([B, 4, vision.dim]) as tf.Tensor3D });
      const b = model.imageHead({ global: rng, local: tf.ones([B, 9, vision.dim]) as tf.Tensor3D });
      const c = model.textHead({ global: tf.zeros([B, text.dim]) as tf.Tensor2D, local });
      const d = model.textHead({
        global: tf.ones([B, text.dim]) as tf.Tensor2D,
        local: otherRows as tf.Tensor3D,
        mask: tf.zeros([B, 3]) as tf.Tensor2D,
      } as EncoderOutput);
      await expectAllClose(a, b, { atol: 0, rtol: 0 }, 'local is not used');
      await expectAllClose(c, d, { atol: 0, rtol: 0 }, 'global, mask and tokens 1.. are not used');
      tf.dispose([rng, local, otherRows, a, b, c, d]);
    } finally {
      model.dispose();
    }
  });

  it('the loss: InfoNCE at τ1 (default), the VSE++ triplet (hardest negative, margin 0.2), + λ·affiliation', async () => {
    const cases: [VseConfig, (v: tf.Tensor2D, t: tf.Tensor2D, m: VseModel) => tf.Scalar][] = [
      [{}, (v, t, m) => multiPositiveInfoNCE(v, t, batch.imageIds, { temperature: m.temperature! })],
      [
        { loss: 'triplet' },
        (v, t) => tripletLoss(v, t, { margin: 0.2, reduction: 'hardest', imageIds: batch.imageIds }),
      ],
      [
        { loss: 'triplet', margin: 0.5, maxViolation: false },
        (v, t) => tripletLoss(v, t, { margin: 0.5, reduction: 'sum', imageIds: batch.imageIds }),
      ],
      [
        { lambda: 0.5 },
        (v, t, m) =>
          tf.add(
            multiPositiveInfoNCE(v, t, batch.imageIds, { temperature: m.temperature! }),
            tf.mul(0.5, affiliationLoss(v, t, batch.labels, { temperature: m.affiliationTemperature! })),
          ),
      ],
    ];
    for (const [config, expected] of cases) {
      const model = make(config);
      try {
        const parts = model.loss(batch, false);
        const v = model.embedImages(batch.images);
        const t = model.embedTexts(batch.ids, batch.mask);
        const want = expected(v, t, model);
        await expectAllClose(parts.loss, want, TOL, JSON.stringify(config));
        if ((config.lambda ?? 0) === 0) {
          await expectAllClose(
            parts.affiliation,
            [0],
            { atol: 0, rtol: 0 },
            'λ = 0: affiliation not computed',
          );
          await expectAllClose(parts.contrastive, parts.loss, { atol: 0, rtol: 0 }, 'λ = 0: L = L_c');
        }
        tf.dispose([v, t, want, ...Object.values(parts)]);
      } finally {
        model.dispose();
      }
    }
  });

  it('the state dict holds only what the loss uses: temp with InfoNCE, temp_center with λ > 0', async () => {
    const keys = async (c: VseConfig) => {
      const m = make(c);
      const k = [...(await m.stateDict()).keys()];
      m.dispose();
      return k;
    };
    const proj = ['vision_proj.weight', 'vision_proj.bias', 'text_proj.weight', 'text_proj.bias'];
    expect(await keys({})).toEqual([...proj, 'temp']);
    expect(await keys({ loss: 'triplet' })).toEqual(proj);
    expect(await keys({ loss: 'triplet', lambda: 1 })).toEqual([...proj, 'temp_center']);
    expect(await keys({ lambda: 1 })).toEqual([...proj, 'temp', 'temp_center']);
    const m = make({ loss: 'triplet' });
    expect(m.temperature).toBeNull();
    expect(m.affiliationTemperature).toBeNull();
    const full = make({ lambda: 1 });
    const sd = await full.stateDict();
    try {
      m.loadStateDict(sd);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StateDictError);
      expect((e as StateDictError).where).toBe('VseModel.loadStateDict');
      expect((e as StateDictError).unexpected).toEqual(['temp', 'temp_center']);
    }
    expect(m.loadStateDict(sd, { strict: false }).loaded.length).toBe(4);
    m.dispose();
    full.dispose();
  });

  it('trains its projections, τ1 and both encoders; the gradient reaches every one of them', () => {
    for (const config of [{ lambda: 1 }, { loss: 'triplet' }] as const) {
      const model = make(config);
      try {
        const vars = model.trainableVariables();
        const ids = new Set(vars.map((v) => v.id));
        for (const v of [...vision.trainableVariables(), ...text.trainableVariables()])
          expect(ids.has(v.id)).toBe(true);
        const own = model.namedParameters().map((p) => p.variable);
        expect(vars.slice(0, own.length)).toEqual(own);
        const { grads, value } = tf.variableGrads(() => model.loss(batch, false).loss, vars);
        const zero = Object.entries(grads)
          .filter(([, g]) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) === 0)
          .map(([name]) => name);
        // BERT rows of positions and token types the batch does not use, and its pooler, get no gradient
        for (const name of zero) expect(name).toMatch(/position_embeddings|token_type_embeddings|pooler/);
        for (const v of own) expect(zero, JSON.stringify(config)).not.toContain(v.name);
        tf.dispose([value, ...Object.values(grads)]);
      } finally {
        model.dispose();
      }
    }
  });

  it('a few Adam steps lower the training loss (InfoNCE and the triplet summed over negatives)', async () => {
    // (from random weights all similarities are alike and every hardest-negative hinge sits near the margin:
    // the max-violation loss barely moves in 8 steps here; its gradient is checked above)
    for (const loss of ['contrastive', 'triplet'] as const) {
      const model = make({ loss, maxViolation: false });
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
        expect(losses[losses.length - 1], loss).toBeLessThan((losses[0] as number) * 0.9);
      } finally {
        opt.dispose();
        model.dispose();
      }
    }
  });

  it('rejects bad configuration and input with the argument named', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(ModelInputError);
        return `${(e as ModelInputError).where} ${(e as ModelInputError).argument}: ${(e as Error).message}`;
      }
    };
    expect(code(() => make({ dim: 0 }))).toMatch(/^VseModel dim: /);
    expect(code(() => make({ loss: 'hinge' as never }))).toMatch(
      /^VseModel loss: .*'contrastive' or 'triplet'/,
    );
    expect(code(() => make({ margin: -1 }))).toMatch(/^VseModel margin: /);
    expect(code(() => make({ lambda: -1 }))).toMatch(/^VseModel lambda: /);
    expect(code(() => new VseModel({ vision, text: { ...text, dim: 0 } as never }))).toMatch(
      /^VseModel text: /,
    );
    const model = make({ lambda: 1 });
    try {
      expect(code(() => model.imageHead({ local: tf.zeros([1, 2, 3]) } as never))).toMatch(
        /^VseModel\.imageHead vision: .*global \[B, 64\]/,
      );
      expect(code(() => model.textHead({ global: tf.zeros([1, 3]) } as never))).toMatch(
        /^VseModel\.textHead text: /,
      );
      const { labels: _, ...unlabelled } = batch;
      expect(code(() => model.loss(unlabelled))).toMatch(/^VseModel\.lossFromEmbeddings labels: /);
      expect(code(() => model.loss({ ...batch, imageIds: [0, 1] }))).toMatch(/^VseModel\.loss imageIds: /);
    } finally {
      model.dispose();
    }
    expect(code(() => model.embedImages(batch.images))).toMatch(/^VseModel model: .*disposed/);
  });

  it('createModel builds it from vse-test (no instruction encoder) and frees the encoders it made', async () => {
    await expectNoLeak(async () => {
      const model = createModel('vse-test', { seed: 4, overrides: { loss: 'triplet' } });
      expect(model).toBeInstanceOf(VseModel);
      expect(model.lossKind).toBe('triplet');
      expect('instruction' in model.encoders).toBe(false);
      const enc = model.encodeImages(batch.images);
      expect(enc.instruction).toBeUndefined();
      tf.dispose([enc.vision.global, enc.vision.local]);
      const parts = model.loss(batch, false);
      tf.dispose(Object.values(parts));
      model.dispose();
    }, 'createModel(vse-test)');
  });

  it('leaks no tensors (embed, heads, loss, state dicts, dispose)', async () => {
    await expectNoLeak(async () => {
      const model = make({ lambda: 1 });
      tf.dispose([model.embedImages(batch.images), model.embedTexts(batch.ids, batch.mask)]);
      const enc = model.encodeImages(batch.images);
      tf.dispose([model.imageHead(enc.vision), enc.vision.global, enc.vision.local]);
      const parts = model.loss(batch);
      tf.dispose(Object.values(parts));
      model.loadStateDict(await model.stateDict());
      model.dispose();
    });
  });
});
