/**
 * VseModel and PirItr's ablation switches against PyTorch (`tools/golden/vse_baseline.py`, built from
 * PIR_SPEC and the PAE / belief modules of `belief_pae.py`, not from this package): released-name state dicts
 * loaded strictly (each model takes exactly the keys it has), the embeddings from fixed encoder outputs, and
 * the losses — multi-positive InfoNCE, the VSE++ triplet (hardest negative and sum, rows of one image not
 * negatives), each with or without λ·affiliation.
 *
 * Sizes: B = 6 (imageIds [0,0,1,2,2,3], labels [0,0,1,0,0,1]), Dv = 12, N = 9, Di = 10, Dt = 14, L = 7
 * (caption lengths 7,3,5,7,2,6), D = 16; PIR-ITR 4 heads, k = 6, 2 + 3 layers; τ1 = 0.07, τ2 = 0.05.
 */
import '@pir/runtime';
import type { InstructionEncoder, TextEncoder, VisionEncoder } from '@pir/encoders';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { PirItr, type PirItrConfig, type VseConfig, VseModel } from '../src/index.js';
import golden from './fixtures/vse-golden.json';
import { decodeState, type F32Entry } from './golden.js';

interface Embeddings {
  v: number[][];
  t: number[][];
}
interface Losses {
  contrastive: number;
  tripletHardest: number;
  tripletSum: number;
  affiliation: number;
}
const G = golden as unknown as {
  sizes: { b: number; dv: number; n: number; di: number; dt: number; l: number };
  imageIds: number[];
  labels: number[];
  inputs: {
    visionGlobal: number[][];
    visionLocal: number[][][];
    instruction: number[][];
    textLocal: number[][][];
    textGlobal: number[][];
    textMask: number[][];
  };
  vse: {
    config: { dim: number; tau1: number; tau2: number; margin: number };
    stateDict: Record<string, F32Entry>;
    outputs: Embeddings & { losses: Losses };
  };
  ablations: {
    config: { dim: number; heads: number; k: number; spatialLayers: number; temporalLayers: number };
    stateDict: Record<string, F32Entry>;
    outputs: Record<
      'full' | 'noBelief' | 'noSpatialPae' | 'noBeliefNoSpatialPae' | 'noTemporalPae',
      Embeddings
    >;
    losses: Losses;
  };
};
const S = G.sizes;

/**
 * Observed worst |error| against PyTorch in Node: embeddings 2.1e-7 (cpu) / 3.5e-7 (wasm) (unit vectors),
 * losses 1.1e-6 / 2.1e-6 (values 2.7–13, i.e. ≤ 1.7e-7 relative). 1e-5 abs + 1e-5 rel keeps a wide margin and still catches a wrong
 * part: the encoders' `global` text output instead of token 0 moves t by O(1), an unmasked triplet moves the
 * hardest-negative loss by more than 1e-2 (the script checks it).
 */
const TOL = { atol: 1e-5, rtol: 1e-5 };

const VSE_STATE = decodeState(G.vse.stateDict);
const ITR_STATE = decodeState(G.ablations.stateDict);

/** Encoders that return the fixture's outputs whatever the images / ids. */
function fixtureEncoders() {
  const x = G.inputs;
  const t = {
    global: tf.tensor2d(x.visionGlobal),
    local: tf.tensor3d(x.visionLocal),
    instruction: tf.tensor2d(x.instruction),
    textLocal: tf.tensor3d(x.textLocal),
    textGlobal: tf.tensor2d(x.textGlobal),
    mask: tf.tensor2d(x.textMask),
  };
  const encoders = {
    vision: {
      dim: S.dv,
      localTokens: S.n,
      encode: () => ({ global: t.global.clone(), local: t.local.clone() }),
      trainableVariables: () => [],
    } as VisionEncoder,
    text: {
      dim: S.dt,
      tokenizer: undefined,
      trainableVariables: () => [],
      encode: (_ids: tf.Tensor2D, mask: tf.Tensor2D) => ({
        global: t.textGlobal.clone(),
        local: t.textLocal.clone(),
        mask: mask.clone(),
      }),
    } as unknown as TextEncoder,
    instruction: { dim: S.di, encode: () => t.instruction.clone() } as InstructionEncoder,
  };
  return { t, encoders, dispose: () => tf.dispose(Object.values(t)) };
}

/** Load the keys the model has from a fixture state dict, strictly (none missing, none unexpected). */
function loadOwn(
  model: PirItr | VseModel,
  state: Record<string, { shape: number[]; data: Float32Array }>,
): void {
  const own = new Set(model.namedParameters().map((p) => p.spec.name));
  const sd = Object.fromEntries(Object.entries(state).filter(([k]) => own.has(k)));
  const report = model.loadStateDict(sd);
  expect(report.loaded.length).toBe(own.size);
}

/** The fixture's expected loss for a configuration, from its parts. */
function expectedLoss(l: Losses, c: { loss?: string; maxViolation?: boolean; lambda?: number }): number {
  const lc =
    c.loss === 'triplet' ? (c.maxViolation === false ? l.tripletSum : l.tripletHardest) : l.contrastive;
  return lc + (c.lambda ?? 0) * l.affiliation;
}

const LOSS_CASES: (VseConfig & PirItrConfig)[] = [
  { lambda: 0 },
  { loss: 'triplet', lambda: 0 },
  { loss: 'triplet', maxViolation: false, lambda: 0 },
  { lambda: 1 },
  { loss: 'triplet', lambda: 0.5 },
];

describeBackends('VseModel vs PyTorch (tools/golden/vse_baseline.py)', () => {
  const C = G.vse.config;
  const make = (f: ReturnType<typeof fixtureEncoders>, c: VseConfig = {}) => {
    const m = new VseModel(f.encoders, { dim: C.dim, margin: C.margin, seed: 1, ...c });
    loadOwn(m, VSE_STATE);
    return m;
  };

  it('imageHead and textHead match PyTorch: the projected token 0 of each side', async () => {
    const f = fixtureEncoders();
    const m = make(f, { lambda: 1 });
    const v = m.imageHead({ global: f.t.global, local: f.t.local });
    const t = m.textHead({ global: f.t.textGlobal, local: f.t.textLocal, mask: f.t.mask });
    await expectAllClose(v, G.vse.outputs.v.flat(), TOL, 'v');
    await expectAllClose(t, G.vse.outputs.t.flat(), TOL, 't');
    tf.dispose([v, t]);
    m.dispose();
    f.dispose();
  });

  it('loss(batch) for InfoNCE, VSE++ hardest and sum, with and without λ·affiliation matches PyTorch', async () => {
    const f = fixtureEncoders();
    const images = tf.zeros([S.b, 1, 1, 3]) as tf.Tensor4D;
    const ids = tf.zeros([S.b, S.l], 'int32') as tf.Tensor2D;
    for (const c of LOSS_CASES) {
      const m = make(f, c);
      const parts = m.loss({ images, ids, mask: f.t.mask, imageIds: G.imageIds, labels: G.labels }, false);
      const what = JSON.stringify(c);
      await expectAllClose(parts.loss, [expectedLoss(G.vse.outputs.losses, c)], TOL, `${what}: loss`);
      if ((c.lambda ?? 0) > 0)
        await expectAllClose(
          parts.affiliation,
          [G.vse.outputs.losses.affiliation],
          TOL,
          `${what}: affiliation`,
        );
      tf.dispose(Object.values(parts));
      m.dispose();
    }
    tf.dispose([images, ids]);
    f.dispose();
  });

  it('leaks nothing', async () => {
    const f = fixtureEncoders();
    const images = tf.zeros([S.b, 1, 1, 3]) as tf.Tensor4D;
    const ids = tf.zeros([S.b, S.l], 'int32') as tf.Tensor2D;
    await expectNoLeak(() => {
      const m = make(f, { loss: 'triplet', lambda: 1 });
      const p = m.loss({ images, ids, mask: f.t.mask, imageIds: G.imageIds, labels: G.labels }, false);
      tf.dispose(Object.values(p));
      m.dispose();
    }, 'VseModel');
    tf.dispose([images, ids]);
    f.dispose();
  });
});

describeBackends('PirItr ablations vs PyTorch (tools/golden/vse_baseline.py)', () => {
  const C = G.ablations.config;
  const make = (f: ReturnType<typeof fixtureEncoders>, c: PirItrConfig = {}) => {
    const m = new PirItr(f.encoders, {
      dim: C.dim,
      k: C.k,
      heads: C.heads,
      spatialLayers: C.spatialLayers,
      temporalLayers: C.temporalLayers,
      seed: 1,
      ...c,
    });
    loadOwn(m, ITR_STATE);
    return m;
  };
  const SWITCHES: [keyof typeof G.ablations.outputs, PirItrConfig][] = [
    ['full', {}],
    ['noBelief', { noBelief: true }],
    ['noSpatialPae', { noSpatialPae: true }],
    ['noBeliefNoSpatialPae', { noBelief: true, noSpatialPae: true }],
    ['noTemporalPae', { noTemporalPae: true }],
  ];

  for (const [name, config] of SWITCHES) {
    it(`${name}: embedImages and embedTexts match PyTorch`, async () => {
      const f = fixtureEncoders();
      const m = make(f, config);
      const images = tf.zeros([S.b, 1, 1, 3]) as tf.Tensor4D;
      const ids = tf.zeros([S.b, S.l], 'int32') as tf.Tensor2D;
      const v = m.embedImages(images);
      const t = m.embedTexts(ids, f.t.mask);
      await expectAllClose(v, G.ablations.outputs[name].v.flat(), TOL, `${name}: v`);
      await expectAllClose(t, G.ablations.outputs[name].t.flat(), TOL, `${name}: t`);
      tf.dispose([v, t, images, ids]);
      m.dispose();
      f.dispose();
    });
  }

  it('λ = 0 and the triplet loss on the published model match PyTorch', async () => {
    const f = fixtureEncoders();
    const images = tf.zeros([S.b, 1, 1, 3]) as tf.Tensor4D;
    const ids = tf.zeros([S.b, S.l], 'int32') as tf.Tensor2D;
    for (const c of LOSS_CASES) {
      const m = make(f, c);
      const parts = m.loss({ images, ids, mask: f.t.mask, imageIds: G.imageIds, labels: G.labels }, false);
      await expectAllClose(parts.loss, [expectedLoss(G.ablations.losses, c)], TOL, JSON.stringify(c));
      tf.dispose(Object.values(parts));
      m.dispose();
    }
    tf.dispose([images, ids]);
    f.dispose();
  });

  it('the fixture exercises what it should: each switch changes its own side only', () => {
    const o = G.ablations.outputs;
    for (const name of ['noBelief', 'noSpatialPae', 'noBeliefNoSpatialPae'] as const) {
      expect(o[name].t).toEqual(o.full.t);
      expect(o[name].v).not.toEqual(o.full.v);
    }
    expect(o.noTemporalPae.v).toEqual(o.full.v);
    expect(o.noTemporalPae.t).not.toEqual(o.full.t);
  });
});
