/**
 * The ablation switches of PIR-ITR (noBelief, noSpatialPae, noTemporalPae, λ = 0, loss 'triplet') and of
 * PIR-CLIP (noBelief, noInstruction, λ = 0): for each, what the model computes instead (against the formula
 * written with the model's own parts), what does not change (the other side's embedding, the shared
 * weights), that the state dict holds only the parameters the ablated model uses and that the gradient
 * reaches each of them. Encoders are stubs returning fixed outputs (PIR-ITR) or the `*-test` CLIP towers.
 */
import { hardBelief, prependInstruction, softBelief } from '@pir/belief';
import type { InstructionEncoder, TextEncoder, VisionEncoder } from '@pir/encoders';
import { affiliationLoss, clipLoss, l2Normalize, multiPositiveInfoNCE, tripletLoss } from '@pir/losses';
import { linear, StateDictError } from '@pir/nn';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createModel,
  ModelInputError,
  PirClip,
  PirItr,
  type PirItrBatch,
  type PirItrConfig,
  type PirItrEncoders,
} from '../src/index.js';

const B = 6;
const DV = 12;
const N = 9;
const DI = 10;
const DT = 14;
const L = 7;
const D = 16;
const K = 6;
const EXACT = { atol: 0, rtol: 0 };
const TOL = { atol: 1e-5, rtol: 1e-5 };
const IMAGE_IDS = [0, 0, 1, 2, 2, 3];
const LABELS = [0, 0, 1, 0, 0, 1];
const LENGTHS = [7, 3, 5, 7, 2, 6];

/** The ablations and the state-dict keys each drops (relative to the published model). */
const SWITCHES: [string, PirItrConfig, RegExp | null][] = [
  ['noBelief', { noBelief: true }, null],
  ['noSpatialPae', { noSpatialPae: true }, /^(img_sa|img_ca|mapping_img)\./],
  [
    'noBelief + noSpatialPae',
    { noBelief: true, noSpatialPae: true },
    /^(img_sa|img_ca|mapping_img|instruction_proj)\./,
  ],
  ['noTemporalPae', { noTemporalPae: true }, /^(txt_sa|txt_ca|mapping_txt)\./],
  ['lambda 0', { lambda: 0 }, /^temp_center$/],
  ["loss 'triplet'", { loss: 'triplet' }, /^temp$/],
];

describeBackends('PIR-ITR ablations', () => {
  let x: {
    global: tf.Tensor2D;
    local: tf.Tensor3D;
    instruction: tf.Tensor2D;
    textLocal: tf.Tensor3D;
    mask: tf.Tensor2D;
  };
  let batch: PirItrBatch;
  let instructionCalls = 0;
  let encoders: PirItrEncoders;

  beforeAll(() => {
    x = {
      global: tf.randomNormal([B, DV], 0, 1, 'float32', 1) as tf.Tensor2D,
      local: tf.randomNormal([B, N, DV], 0, 1, 'float32', 2) as tf.Tensor3D,
      instruction: tf.randomNormal([B, DI], 0, 0.5, 'float32', 3) as tf.Tensor2D,
      textLocal: tf.randomNormal([B, L, DT], 0, 1, 'float32', 4) as tf.Tensor3D,
      mask: tf.tensor2d(LENGTHS.map((n) => Array.from({ length: L }, (_, j) => (j < n ? 1 : 0)))),
    };
    encoders = {
      vision: {
        dim: DV,
        localTokens: N,
        encode: () => ({ global: x.global.clone(), local: x.local.clone() }),
        trainableVariables: () => [],
      } as VisionEncoder,
      text: {
        dim: DT,
        tokenizer: undefined,
        trainableVariables: () => [],
        encode: (_ids: tf.Tensor2D, mask: tf.Tensor2D) => ({
          global: tf.zeros([B, DT]),
          local: x.textLocal.clone(),
          mask: mask.clone(),
        }),
      } as unknown as TextEncoder,
      instruction: {
        dim: DI,
        encode: () => {
          instructionCalls++;
          return x.instruction.clone();
        },
      } as InstructionEncoder,
    };
    batch = {
      images: tf.zeros([B, 1, 1, 3]) as tf.Tensor4D,
      ids: tf.zeros([B, L], 'int32') as tf.Tensor2D,
      mask: x.mask,
      imageIds: IMAGE_IDS,
      labels: LABELS,
    };
  });
  afterAll(() => {
    tf.dispose([...Object.values(x), batch.images, batch.ids]);
  });

  const make = (c: PirItrConfig = {}) =>
    new PirItr(encoders, { dim: D, k: K, heads: 4, dropout: 0, seed: 7, ...c });

  /** V = vision_proj([g; local]), u = instruction_proj(instruction), T = text_proj(text) of a model. */
  const projected = (m: PirItr) =>
    tf.tidy(() => {
      const p = m.projections;
      const tokens = tf.concat([tf.expandDims(x.global, 1), x.local], 1);
      const V = linear(tokens, p.get('vision_proj.weight'), p.get('vision_proj.bias')) as tf.Tensor3D;
      const T = linear(x.textLocal, p.get('text_proj.weight'), p.get('text_proj.bias')) as tf.Tensor3D;
      const u = p.has('instruction_proj.weight')
        ? (linear(
            x.instruction,
            p.get('instruction_proj.weight'),
            p.get('instruction_proj.bias'),
          ) as tf.Tensor2D)
        : tf.zeros([B, D]);
      const first = (s: tf.Tensor3D) => tf.reshape(tf.slice(s, [0, 0, 0], [B, 1, D]), [B, D]) as tf.Tensor2D;
      return { V, T, u: u as tf.Tensor2D, g: first(V), t0: first(T) };
    });

  it('an ablated model has the published weights minus the parts it drops (same seed, same values)', async () => {
    const full = make();
    const sdFull = await full.stateDict();
    for (const [name, config, dropped] of SWITCHES) {
      const m = make(config);
      const sd = await m.stateDict();
      const want = [...sdFull.keys()].filter((k) => dropped === null || !dropped.test(k));
      expect([...sd.keys()], name).toEqual(want);
      for (const [k, t] of sd)
        expect(Array.from(t.data as Float32Array), `${name}: ${k}`).toEqual(
          Array.from(sdFull.get(k)?.data as Float32Array),
        );
      // the full model's file loads with strict: false, its dropped keys reported as unexpected
      const report = m.loadStateDict(sdFull, { strict: false });
      expect(report.unexpected, name).toEqual([...sdFull.keys()].filter((k) => !want.includes(k)));
      if (dropped !== null) expect(() => m.loadStateDict(sdFull), name).toThrow(StateDictError);
      m.dispose();
    }
    full.dispose();
  });

  it('noBelief: all 1 + N tokens go to the Spatial-PAE (k unused); the text side is unchanged', async () => {
    const full = make();
    const m = make({ noBelief: true, k: 100 });
    const { V, u, g } = projected(m);
    const want = tf.tidy(() => m.headImg.apply([g, m.spatial!.apply([V, u]) as tf.Tensor]) as tf.Tensor);
    const v = m.imageHead({ global: x.global, local: x.local }, x.instruction);
    await expectAllClose(v, want, TOL, 'v');
    const [t, tFull] = [m.embedTexts(batch.ids, x.mask), full.embedTexts(batch.ids, x.mask)];
    await expectAllClose(t, tFull, EXACT, 't');
    tf.dispose([V, u, g, want, v, t, tFull]);
    m.dispose();
    full.dispose();
  });

  it('noSpatialPae: v = L2(g + head_img(h₀[:, 0])) on the belief-kept tokens; the text side is unchanged', async () => {
    const full = make();
    const m = make({ noSpatialPae: true });
    expect(m.spatial).toBeNull();
    const { V, u, g } = projected(m);
    const want = tf.tidy(() => {
      const kept = hardBelief(V, u, { k: K }).tokens; // [B, K, D], decreasing belief
      const top = tf.reshape(tf.slice(kept, [0, 0, 0], [B, 1, D]), [B, D]);
      const head = linear(
        top,
        m.headImg.namedParameters()[0]!.variable,
        m.headImg.namedParameters()[1]!.variable,
      );
      return l2Normalize(tf.add(g, head) as tf.Tensor2D);
    });
    const v = m.imageHead({ global: x.global, local: x.local }, x.instruction);
    await expectAllClose(v, want, TOL, 'v');
    const [t, tFull] = [m.embedTexts(batch.ids, x.mask), full.embedTexts(batch.ids, x.mask)];
    await expectAllClose(t, tFull, EXACT, 't');
    tf.dispose([V, u, g, want, v, t, tFull]);
    m.dispose();
    full.dispose();
  });

  it('noBelief + noSpatialPae: v = L2(g + head_img(g)); the instruction is neither needed nor encoded', async () => {
    const m = make({ noBelief: true, noSpatialPae: true });
    expect(m.usesInstruction).toBe(false);
    const { g } = projected(m);
    const want = tf.tidy(() => {
      const [w, b] = m.headImg.namedParameters().map((p) => p.variable);
      return l2Normalize(tf.add(g, linear(g, w!, b!)) as tf.Tensor2D);
    });
    const v = m.imageHead({ global: x.global, local: x.local });
    await expectAllClose(v, want, TOL, 'v');
    const before = instructionCalls;
    const enc = m.encodeImages(batch.images);
    expect(enc.instruction).toBeUndefined();
    const v2 = m.embedImages(batch.images);
    expect(instructionCalls).toBe(before);
    await expectAllClose(v2, want, TOL, 'embedImages');
    tf.dispose([g, want, v, v2, enc.vision.global, enc.vision.local]);
    m.dispose();
  });

  it('noTemporalPae: t = L2(T[:, 0] + head_txt(T[:, 0])), whatever the variant; the image side is unchanged', async () => {
    const full = make();
    const m = make({ noTemporalPae: true });
    const released = make({ noTemporalPae: true, variant: 'released' });
    expect(m.temporal).toBeNull();
    const { t0 } = projected(m);
    const want = tf.tidy(() => {
      const [w, b] = m.headTxt.namedParameters().map((p) => p.variable);
      return l2Normalize(tf.add(t0, linear(t0, w!, b!)) as tf.Tensor2D);
    });
    const t = m.embedTexts(batch.ids, x.mask);
    const tr = released.embedTexts(batch.ids, x.mask);
    await expectAllClose(t, want, TOL, 't');
    await expectAllClose(tr, t, EXACT, "variant 'released'");
    const [v, vFull] = [m.embedImages(batch.images), full.embedImages(batch.images)];
    await expectAllClose(v, vFull, EXACT, 'v');
    tf.dispose([t0, want, t, tr, v, vFull]);
    for (const model of [m, released, full]) model.dispose();
  });

  it('λ = 0: L = InfoNCE alone (affiliation reported as 0); triplet: L = VSE++ hardest + λ·affiliation', async () => {
    const lambda0 = make({ lambda: 0 });
    const triplet = make({ loss: 'triplet', lambda: 0.5 });
    expect(lambda0.affiliationTemperature).toBeNull();
    expect(triplet.temperature).toBeNull();
    for (const [m, expected] of [
      [
        lambda0,
        (v: tf.Tensor2D, t: tf.Tensor2D) =>
          multiPositiveInfoNCE(v, t, IMAGE_IDS, { temperature: lambda0.temperature! }),
      ],
      [
        triplet,
        (v: tf.Tensor2D, t: tf.Tensor2D) =>
          tf.add(
            tripletLoss(v, t, { margin: 0.2, reduction: 'hardest', imageIds: IMAGE_IDS }),
            tf.mul(0.5, affiliationLoss(v, t, LABELS, { temperature: triplet.affiliationTemperature! })),
          ),
      ],
    ] as const) {
      const parts = m.loss(batch, false);
      const v = m.embedImages(batch.images);
      const t = m.embedTexts(batch.ids, x.mask);
      const want = expected(v, t);
      await expectAllClose(parts.loss, want, TOL, `${m.lossKind} λ ${m.lambda}`);
      if (m.lambda === 0) await expectAllClose(parts.affiliation, [0], EXACT, 'affiliation');
      tf.dispose([v, t, want, ...Object.values(parts)]);
    }
    lambda0.dispose();
    triplet.dispose();
  });

  it('the gradient of the loss reaches every parameter an ablated model has (but instruction_proj without the Spatial-PAE)', () => {
    for (const [name, config] of SWITCHES) {
      const m = make(config);
      const named = m.namedParameters();
      const { grads, value } = tf.variableGrads(
        () => m.loss(batch, false).loss,
        named.map((p) => p.variable),
      );
      for (const p of named) {
        const g = grads[p.variable.name];
        // with the belief strategy but no Spatial-PAE, u only ranks tokens: top-k has no gradient
        if (config.noSpatialPae === true && p.spec.name.startsWith('instruction_proj.'))
          expect(g ?? null, `${name}: ${p.spec.name}`).toBeNull();
        else
          expect(
            tf.tidy(() => tf.max(tf.abs(g as tf.Tensor)).dataSync()[0]),
            `${name}: ${p.spec.name}`,
          ).toBeGreaterThan(0);
      }
      tf.dispose([value, ...Object.values(grads).filter((g) => g != null)]);
      m.dispose();
    }
  });

  it('bad switches and a missing instruction are named', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(ModelInputError);
        return `${(e as ModelInputError).where} ${(e as ModelInputError).argument}`;
      }
    };
    expect(code(() => make({ noBelief: 'yes' as never }))).toBe('PirItr noBelief');
    expect(code(() => make({ loss: 'hinge' as never }))).toBe('PirItr loss');
    expect(code(() => make({ lambda: -1 }))).toBe('PirItr lambda');
    const m = make({ noSpatialPae: true });
    expect(code(() => m.imageHead({ global: x.global, local: x.local }))).toBe(
      'PirItr.imageHead instruction',
    );
    m.dispose();
  });

  it('createModel takes the switches as overrides, and nothing leaks', async () => {
    await expectNoLeak(async () => {
      for (const [, config, dropped] of SWITCHES) {
        const m = createModel('pir-itr-test', { seed: 1, overrides: config });
        const keys = [...(await m.stateDict()).keys()];
        if (dropped !== null) expect(keys.some((k) => dropped.test(k))).toBe(false);
        const images = tf.zeros([2, 32, 32, 3]) as tf.Tensor4D;
        tf.dispose([images, m.embedImages(images)]);
        m.dispose();
      }
    });
  });
});

describeBackends('PIR-CLIP switches (plain CLIP for stage 1)', () => {
  let images: tf.Tensor4D;
  let ids: tf.Tensor2D;
  let mask: tf.Tensor2D;
  beforeAll(() => {
    images = tf.randomUniform([3, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    ids = tf.tensor2d(
      [
        [1, 7, 9, 11, 63, 0],
        [1, 5, 63, 0, 0, 0],
        [1, 8, 6, 4, 63, 0],
      ],
      [3, 6],
      'int32',
    );
    mask = tf.tensor2d([
      [1, 1, 1, 1, 1, 0],
      [1, 1, 1, 0, 0, 0],
      [1, 1, 1, 1, 1, 0],
    ]);
  });
  afterAll(() => tf.dispose([images, ids, mask]));

  it('noBelief + noInstruction + λ = 0 is plain CLIP: the image tower as is, the CLIP loss, only logit_scale', async () => {
    await expectNoLeak(async () => {
      const m = createModel('pir-clip-test', {
        seed: 2,
        overrides: { noBelief: true, noInstruction: true, lambda: 0 },
      });
      expect(m.encoders.instruction).toBeUndefined(); // not built
      expect([...(await m.stateDict()).keys()]).toEqual(['logit_scale']);
      const v = m.embedImages(images);
      const tower = m.encoders.vision.encode(images);
      const want = l2Normalize(tower.global);
      await expectAllClose(v, want, TOL, 'v = CLIP image tower');
      const t = m.embedTexts(ids, mask);
      const parts = m.loss({ images, ids, mask, labels: [0, 0, 1] }, false);
      const lc = clipLoss(v, t, { logScale: m.logitScale });
      await expectAllClose(parts.loss, lc, TOL, 'CLIP loss');
      await expectAllClose(parts.affiliation, [0], EXACT, 'no affiliation');
      tf.dispose([v, tower.global, tower.local, want, t, lc, ...Object.values(parts)]);
      m.dispose();
    }, 'plain CLIP');
  });

  it('noBelief alone: [y; stem] unweighted; noInstruction alone: the re-weighted stem without the y slot', async () => {
    for (const overrides of [{ noBelief: true }, { noInstruction: true }]) {
      const m = createModel('pir-clip-test', { seed: 3, overrides });
      expect(m).toBeInstanceOf(PirClip);
      expect([...(await m.stateDict()).keys()]).toEqual([
        'instruction_proj.weight',
        'instruction_proj.bias',
        'logit_scale',
      ]);
      const { vision, instruction } = m.encodeImages(images);
      const vit = m.encoders.vision;
      const want = tf.tidy(() => {
        const stem = tf.concat([tf.expandDims(vision.global, 1), vision.local], 1) as tf.Tensor3D;
        const p = m.projections;
        const y = linear(instruction!, p.get('instruction_proj.weight'), p.get('instruction_proj.bias'));
        const tokens = overrides.noBelief === true ? stem : softBelief(stem, y).tokens;
        const seq = overrides.noInstruction === true ? tokens : prependInstruction(tokens, y).tokens;
        return l2Normalize(vit.pool(vit.transform(seq)).pooled);
      });
      const v = m.imageHead(vision, instruction);
      await expectAllClose(v, want, TOL, JSON.stringify(overrides));
      tf.dispose([v, want, vision.global, vision.local, instruction]);
      m.dispose();
    }
  });

  it('a PIR-CLIP that uses the instruction needs one (config or code)', () => {
    const m = createModel('pir-clip-test', { seed: 1 });
    const { instruction: _, ...withoutInstruction } = m.encoders;
    expect(() => new PirClip(withoutInstruction)).toThrow(/instruction encoder must have a positive 'dim'/);
    const { vision } = m.encodeImages(images);
    expect(() => m.imageHead(vision)).toThrow(ModelInputError);
    tf.dispose([vision.global, vision.local]);
    m.dispose();
  });
});
