/**
 * PirItr's composition against PyTorch (`tools/golden/pir_itr.py`, built from PIR_SPEC and the PAE modules of
 * `belief_pae.py`, not from this package): released-name state dict loaded strictly, then the image side
 * (projection of [global ; local], hard belief with the pooled token competing, Spatial-PAE, head_img), the
 * text side (text_proj, Temporal-PAE with / without the key mask, head_txt on token 0) and the PIR-ITR loss
 * with τ1 = `temp`, τ2 = `temp_center` from the state dict — for `variant: 'paper'` and `'released'`.
 *
 * Sizes: B = 6 (imageIds [0,0,1,2,2,3], labels [0,0,1,0,0,1]), Dv = 12, N = 9, Di = 10, Dt = 14, L = 7
 * (caption lengths 7,3,5,7,2,6), D = 16, 4 heads, k = 6, 2 + 3 layers, τ1 = 0.07, τ2 = 0.05, λ = 1.
 */
import '@pir/runtime';
import type { InstructionEncoder, TextEncoder, VisionEncoder } from '@pir/encoders';
import { pirItrLoss } from '@pir/losses';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { PirItr, type PirItrBatch, type PirItrEncoders } from '../src/index.js';
import golden from './fixtures/pir-itr-golden.json';
import { decodeState, stub } from './golden.js';

type Variant = 'paper' | 'released';
interface Outputs {
  v: number[][];
  t: number[][];
  indices: number[][];
  loss: number;
  contrastive: number;
  affiliation: number;
}
const G = golden as unknown as {
  config: {
    b: number;
    dv: number;
    n: number;
    di: number;
    dt: number;
    l: number;
    dim: number;
    heads: number;
    k: number;
    spatialLayers: number;
    temporalLayers: number;
    tau1: number;
    tau2: number;
    lambda: number;
  };
  stateDict: Record<string, { shape: number[]; f32: string }>;
  inputs: {
    visionGlobal: number[][];
    visionLocal: number[][][];
    instruction: number[][];
    textLocal: number[][][];
    textGlobal: number[][];
    textMask: number[][];
    imageIds: number[];
    labels: number[];
  };
  outputs: Record<Variant, Outputs>;
};
const C = G.config;

/**
 * Observed worst |error| against PyTorch, Node and Chromium alike: v ≤ 2.4e-7, t ≤ 2.1e-7 (unit vectors),
 * loss parts ≤ 6.3e-7 (values 3–8, i.e. ≤ 1.2e-7 relative), on cpu and wasm. 1e-5 abs + 1e-5 rel keeps a
 * 15–40× margin and still catches composition errors: dropping the text mask alone moves t by 2e-2 to 0.44.
 */
const TOL = { atol: 1e-5, rtol: 1e-5 };

const STATE = decodeState(G.stateDict);

const STUBS: PirItrEncoders = {
  vision: stub(C.dv, 'vision') as VisionEncoder,
  text: { ...stub(C.dt, 'text'), tokenizer: undefined } as unknown as TextEncoder,
  instruction: stub(C.di, 'instruction') as InstructionEncoder,
};

interface Inputs {
  visionGlobal: tf.Tensor2D;
  visionLocal: tf.Tensor3D;
  instruction: tf.Tensor2D;
  textLocal: tf.Tensor3D;
  textGlobal: tf.Tensor2D;
  textMask: tf.Tensor2D;
}

function inputs(): Inputs {
  const x = G.inputs;
  return {
    visionGlobal: tf.tensor2d(x.visionGlobal),
    visionLocal: tf.tensor3d(x.visionLocal),
    instruction: tf.tensor2d(x.instruction),
    textLocal: tf.tensor3d(x.textLocal),
    textGlobal: tf.tensor2d(x.textGlobal),
    textMask: tf.tensor2d(x.textMask),
  };
}

function make(variant: Variant, encoders: PirItrEncoders = STUBS): PirItr {
  const model = new PirItr(encoders, {
    dim: C.dim,
    k: C.k,
    heads: C.heads,
    spatialLayers: C.spatialLayers,
    temporalLayers: C.temporalLayers,
    lambda: C.lambda,
    variant,
    seed: 1,
  });
  const r = model.loadStateDict(STATE);
  expect(r.missing).toEqual([]);
  expect(r.unexpected).toEqual([]);
  expect(r.loaded.length).toBe(Object.keys(STATE).length);
  return model;
}

/**
 * Encoders that return the fixture's encoder outputs whatever the images / ids, so `loss(batch)` runs the
 * whole path (embedImages → imageHead, embedTexts → textHead, pirItrLoss with the model's τ1, τ2, λ).
 */
function fixtureEncoders(x: Inputs): PirItrEncoders {
  return {
    vision: {
      dim: C.dv,
      encode: () => ({ global: x.visionGlobal.clone(), local: x.visionLocal.clone() }),
      trainableVariables: () => [],
    },
    text: {
      dim: C.dt,
      trainableVariables: () => [],
      tokenizer: undefined,
      encode: (_ids: tf.Tensor2D, mask: tf.Tensor2D) => ({
        global: x.textGlobal.clone(),
        local: x.textLocal.clone(),
        mask: mask.clone(),
      }),
    } as unknown as TextEncoder,
    instruction: { dim: C.di, encode: () => x.instruction.clone() },
  };
}

describeBackends('PirItr vs PyTorch (tools/golden/pir_itr.py)', () => {
  it('loads the released-name state dict strictly and exports it back unchanged (PyTorch layout)', async () => {
    const model = make('paper');
    const sd = await model.stateDict();
    expect([...sd.keys()].sort()).toEqual(Object.keys(STATE).sort());
    for (const [k, e] of Object.entries(STATE)) {
      const t = sd.get(k);
      expect(t?.shape, k).toEqual(e.shape);
      expect(Array.from((t?.data ?? []) as Float32Array), k).toEqual(Array.from(e.data));
    }
    const [tau1, tau2] = [model.temperature!.value(), model.affiliationTemperature!.value()];
    await expectAllClose(tau1, [C.tau1], { atol: 1e-7, rtol: 0 }, 'temp → τ1');
    await expectAllClose(tau2, [C.tau2], { atol: 1e-7, rtol: 0 }, 'temp_center → τ2');
    tf.dispose([tau1, tau2]);
    model.dispose();
  });

  for (const variant of ['paper', 'released'] as const) {
    const out = G.outputs[variant];

    it(`${variant}: imageHead, textHead and pirItrLoss on their outputs match PyTorch`, async () => {
      const model = make(variant);
      const x = inputs();
      const v = model.imageHead({ global: x.visionGlobal, local: x.visionLocal }, x.instruction);
      const t = model.textHead({ global: x.textGlobal, local: x.textLocal, mask: x.textMask });
      await expectAllClose(v, out.v.flat(), TOL, `${variant}: v`);
      await expectAllClose(t, out.t.flat(), TOL, `${variant}: t`);
      const parts = pirItrLoss(v, t, {
        imageIds: G.inputs.imageIds,
        labels: G.inputs.labels,
        temperature: model.temperature!,
        affiliationTemperature: model.affiliationTemperature!,
        lambda: model.lambda,
      });
      await expectAllClose(parts.loss, [out.loss], TOL, `${variant}: loss`);
      await expectAllClose(parts.contrastive, [out.contrastive], TOL, `${variant}: contrastive`);
      await expectAllClose(parts.affiliation, [out.affiliation], TOL, `${variant}: affiliation`);
      tf.dispose([v, t, parts.loss, parts.contrastive, parts.affiliation, ...Object.values(x)]);
      model.dispose();
    });

    it(`${variant}: loss(batch) through the encoders gives the same parts`, async () => {
      const x = inputs();
      const model = make(variant, fixtureEncoders(x));
      const batch: PirItrBatch = {
        images: tf.zeros([C.b, 1, 1, 3]) as tf.Tensor4D,
        ids: tf.zeros([C.b, C.l], 'int32') as tf.Tensor2D,
        mask: x.textMask,
        imageIds: G.inputs.imageIds,
        labels: G.inputs.labels,
      };
      const parts = model.loss(batch, false);
      await expectAllClose(parts.loss, [out.loss], TOL, `${variant}: loss(batch).loss`);
      await expectAllClose(parts.contrastive, [out.contrastive], TOL, `${variant}: loss(batch).contrastive`);
      await expectAllClose(parts.affiliation, [out.affiliation], TOL, `${variant}: loss(batch).affiliation`);
      tf.dispose([
        parts.loss,
        parts.contrastive,
        parts.affiliation,
        batch.images,
        batch.ids,
        ...Object.values(x),
      ]);
      model.dispose();
    });

    it(`${variant}: imageHead, textHead and loss(batch) leak nothing`, async () => {
      const x = inputs();
      const model = make(variant, fixtureEncoders(x));
      const images = tf.zeros([C.b, 1, 1, 3]) as tf.Tensor4D;
      const ids = tf.zeros([C.b, C.l], 'int32') as tf.Tensor2D;
      await expectNoLeak(() => {
        tf.dispose(model.imageHead({ global: x.visionGlobal, local: x.visionLocal }, x.instruction));
      }, 'imageHead');
      await expectNoLeak(() => {
        tf.dispose(model.textHead({ global: x.textGlobal, local: x.textLocal, mask: x.textMask }));
      }, 'textHead');
      await expectNoLeak(() => {
        const p = model.loss(
          { images, ids, mask: x.textMask, imageIds: G.inputs.imageIds, labels: G.inputs.labels },
          false,
        );
        tf.dispose([p.loss, p.contrastive, p.affiliation]);
      }, 'loss');
      tf.dispose([images, ids, ...Object.values(x)]);
      model.dispose();
    });
  }

  it('the fixture exercises what it should: pooled token kept first / kept later / dropped, masks matter', () => {
    const idx = G.outputs.paper.indices;
    expect(idx.some((row) => row[0] === 0)).toBe(true);
    expect(idx.some((row) => row.indexOf(0) > 0)).toBe(true);
    expect(idx.some((row) => !row.includes(0))).toBe(true);
    expect(G.outputs.released.indices).toEqual(idx);
    expect(G.outputs.released.v).toEqual(G.outputs.paper.v);
    const lengths = G.inputs.textMask.map((r) => r.reduce((a, b) => a + b, 0));
    const diff = (i: number) =>
      Math.max(...G.outputs.paper.t[i]!.map((y, j) => Math.abs(y - G.outputs.released.t[i]![j]!)));
    for (let i = 0; i < C.b; i++) {
      if (lengths[i] === C.l) expect(diff(i)).toBe(0);
      else expect(diff(i)).toBeGreaterThan(1e-2);
    }
  });
});
