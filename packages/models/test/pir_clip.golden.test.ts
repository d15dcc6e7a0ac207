/**
 * PirClip's composition against PyTorch (`tools/golden/pir_clip.py`, built from PIR_SPEC with the ViT of
 * `encoders_models.py` and the soft belief of `belief_pae.py`, not from this package): a tiny CLIP ViT loaded
 * by OpenAI names, the model's own state dict (`instruction_proj.*`, `logit_scale`) loaded strictly, then the
 * image side (ViT stem, instruction_proj, soft belief over all 1+N tokens, instruction token prepended,
 * ViT blocks, ln_post(token 0)·proj, L2), the text side (L2 of the text global) and the PIR-CLIP loss
 * (CLIP loss + λ·affiliation with ½(CE(A) + CE(Bm)), both at the shared logit scale) — for `variant: 'paper'`
 * and `'released'`.
 *
 * Sizes: B = 6 (imageIds [0,0,1,2,3,3]: the second caption of an image comes with a mirrored view of it and a
 * slightly different instruction vector, so the CLIP loss, where duplicates are negatives, differs from a
 * multi-positive one; labels [0,0,1,0,2,2]), ViT 16 px / patch 4 (N = 16), width 32, 2 layers, 4 heads, outputDim 24, QuickGELU;
 * Di = 10; logit_scale = log(1/0.07); λ = 1.
 */
import '@pir/runtime';
import {
  ClipVisionTransformer,
  type EncoderOutput,
  type InstructionEncoder,
  loadStateDict,
  type StateDictLike,
  type TextEncoder,
} from '@pir/encoders';
import { describeBackends, expectAllClose, expectNoLeak, float32FromBase64 } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { PirClip } from '../src/index.js';
import golden from './fixtures/pir-clip-golden.json';
import { decodeState, type F32Entry, stub, vitStem } from './golden.js';

type Variant = 'paper' | 'released';
interface Outputs {
  v: number[][];
  t: number[][];
  scores: number[][];
  weights: number[][];
  loss: number;
  contrastive: number;
  affiliation: number;
  /** PIR-ITR's multi-positive InfoNCE at the same scale: what `contrastive` must not be. */
  notContrastiveMultiPositive: number;
}
const G = golden as unknown as {
  config: {
    b: number;
    di: number;
    lambda: number;
    logitScaleInit: number;
    maxScale: number;
    logScale: number;
    vit: {
      imageSize: number;
      patchSize: number;
      width: number;
      layers: number;
      heads: number;
      outputDim: number;
      mlpRatio: number;
      activation: 'quick_gelu';
    };
  };
  vitStateDict: Record<string, F32Entry>;
  stateDict: Record<string, F32Entry>;
  inputs: {
    images: F32Entry;
    instruction: number[][];
    textGlobal: number[][];
    imageIds: number[];
    labels: number[];
  };
  outputs: Record<Variant, Outputs>;
};
const C = G.config;

/**
 * Observed worst |error| against PyTorch, Node and Chromium alike: v ≤ 1.6e-7, t ≤ 3.1e-8 (unit vectors), loss
 * parts ≤ 9.5e-7 (values 1.8–5.4; cpu ≤ 2.4e-7, wasm ≤ 9.5e-7). 1e-5 abs + 1e-5 rel keeps a 10–60× margin and
 * still catches composition errors: belief over the patches only (class token left out) moves v by 1.2e-2 /
 * 3.7e-2, pooling the class token instead of the instruction slot by 0.5, paper vs released by 5e-2 to 0.1;
 * the PIR-ITR affiliation direction (CE(Bmᵀ)) moves L_a by 1.3, a multi-positive contrastive part by 2e-2.
 */
const TOL = { atol: 1e-5, rtol: 1e-5 };

const VIT_STATE = decodeState(G.vitStateDict);
const OWN_STATE = decodeState(G.stateDict);

function makeVit(): ClipVisionTransformer {
  const vit = new ClipVisionTransformer({ ...C.vit, globalOutput: 'projected' });
  const report = loadStateDict(vit, VIT_STATE as StateDictLike);
  expect(report.loaded.length).toBe(vit.params.specs().length);
  expect(report.loaded.length).toBe(Object.keys(VIT_STATE).length);
  return vit;
}

function make(variant: Variant, vit: ClipVisionTransformer): PirClip {
  const model = new PirClip(
    {
      vision: vit,
      text: { ...stub(C.vit.outputDim, 'text'), tokenizer: undefined } as unknown as TextEncoder,
      instruction: stub(C.di, 'instruction') as InstructionEncoder,
    },
    { variant, lambda: C.lambda, logitScale: { init: C.logitScaleInit, maxScale: C.maxScale }, seed: 1 },
  );
  const r = model.loadStateDict(OWN_STATE);
  expect(r.missing).toEqual([]);
  expect(r.unexpected).toEqual([]);
  expect(r.loaded.length).toBe(Object.keys(OWN_STATE).length);
  return model;
}

interface Inputs {
  images: tf.Tensor4D;
  instruction: tf.Tensor2D;
  textGlobal: tf.Tensor2D;
}

function inputs(): Inputs {
  const x = G.inputs;
  return {
    images: tf.tensor4d(float32FromBase64(x.images.f32), x.images.shape as [number, number, number, number]),
    instruction: tf.tensor2d(x.instruction),
    textGlobal: tf.tensor2d(x.textGlobal),
  };
}

/** A text-encoder output with the fixture's globals (`local` / `mask` are not read by textHead). */
function textOutput(x: Inputs): EncoderOutput {
  return { global: x.textGlobal, local: tf.expandDims(x.textGlobal, 1) as tf.Tensor3D };
}

describeBackends('PirClip vs PyTorch (tools/golden/pir_clip.py)', () => {
  it('loads its own state dict strictly and exports it back unchanged (PyTorch layout)', async () => {
    const vit = makeVit();
    const model = make('paper', vit);
    const sd = await model.stateDict();
    expect([...sd.keys()].sort()).toEqual(Object.keys(OWN_STATE).sort());
    for (const [k, e] of Object.entries(OWN_STATE)) {
      const t = sd.get(k);
      expect(t?.shape, k).toEqual(e.shape);
      expect(Array.from((t?.data ?? []) as Float32Array), k).toEqual(Array.from(e.data));
    }
    const scale = model.logitScale.value();
    await expectAllClose(scale, [Math.exp(C.logScale)], { atol: 0, rtol: 1e-6 }, 'exp(logit_scale)');
    scale.dispose();
    model.dispose();
    vit.dispose();
  });

  for (const variant of ['paper', 'released'] as const) {
    const out = G.outputs[variant];

    it(`${variant}: imageHead, textHead and lossFromEmbeddings match PyTorch`, async () => {
      const vit = makeVit();
      const model = make(variant, vit);
      const x = inputs();
      const text = textOutput(x);
      const stem = vitStem(vit, x.images);
      const v = model.imageHead(stem, x.instruction);
      const t = model.textHead(text);
      expect(v.shape).toEqual([C.b, C.vit.outputDim]);
      await expectAllClose(v, out.v.flat(), TOL, `${variant}: v`);
      await expectAllClose(t, out.t.flat(), TOL, `${variant}: t`);
      const parts = model.lossFromEmbeddings(v, t, G.inputs.labels);
      await expectAllClose(parts.loss, [out.loss], TOL, `${variant}: loss`);
      await expectAllClose(parts.contrastive, [out.contrastive], TOL, `${variant}: contrastive`);
      await expectAllClose(parts.affiliation, [out.affiliation], TOL, `${variant}: affiliation`);
      tf.dispose([
        v,
        t,
        parts.loss,
        parts.contrastive,
        parts.affiliation,
        text.local,
        stem.global,
        stem.local,
        ...Object.values(x),
      ]);
      model.dispose();
      vit.dispose();
    });

    it(`${variant}: lossFromEmbeddings on PyTorch's own embeddings gives its loss parts`, async () => {
      const vit = makeVit();
      const model = make(variant, vit);
      const v = tf.tensor2d(out.v);
      const t = tf.tensor2d(out.t);
      const parts = model.lossFromEmbeddings(v, t, G.inputs.labels);
      await expectAllClose(parts.loss, [out.loss], TOL, `${variant}: loss`);
      await expectAllClose(parts.contrastive, [out.contrastive], TOL, `${variant}: contrastive`);
      await expectAllClose(parts.affiliation, [out.affiliation], TOL, `${variant}: affiliation`);
      tf.dispose([v, t, parts.loss, parts.contrastive, parts.affiliation]);
      model.dispose();
      vit.dispose();
    });

    it(`${variant}: imageHead, textHead and lossFromEmbeddings leak nothing`, async () => {
      const vit = makeVit();
      const model = make(variant, vit);
      const x = inputs();
      const text = textOutput(x);
      const stem = vitStem(vit, x.images);
      await expectNoLeak(() => {
        tf.dispose(model.imageHead(stem, x.instruction));
      }, 'imageHead');
      await expectNoLeak(() => {
        tf.dispose(model.textHead(text));
      }, 'textHead');
      await expectNoLeak(() => {
        const v = model.imageHead(stem, x.instruction);
        const t = model.textHead(text);
        const p = model.lossFromEmbeddings(v, t, G.inputs.labels);
        tf.dispose([v, t, p.loss, p.contrastive, p.affiliation]);
      }, 'lossFromEmbeddings');
      tf.dispose([text.local, stem.global, stem.local, ...Object.values(x)]);
      model.dispose();
      vit.dispose();
    });
  }

  it('the fixture exercises what it should: variants differ, duplicated images are negatives, ranks vary', () => {
    const [p, r] = [G.outputs.paper, G.outputs.released];
    const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((y, j) => Math.abs(y - b[j]!)));
    for (let i = 0; i < C.b; i++) expect(maxDiff(p.v[i]!, r.v[i]!)).toBeGreaterThan(1e-2);
    expect(p.t).toEqual(r.t);
    // rows 0/1 and 4/5 are two views of one image: different v, and the CLIP loss (duplicates are negatives)
    // differs from a multi-positive InfoNCE far beyond the tolerance
    expect(maxDiff(p.v[1]!, p.v[0]!)).toBeGreaterThan(1e-2);
    expect(maxDiff(p.v[5]!, p.v[4]!)).toBeGreaterThan(1e-2);
    for (const o of [p, r])
      expect(Math.abs(o.contrastive - o.notContrastiveMultiPositive)).toBeGreaterThan(1e-2);
    // the belief covers all 1 + N tokens; the class token (index 0) is not always ranked first
    expect(p.scores[0]!.length).toBe(1 + (C.vit.imageSize / C.vit.patchSize) ** 2);
    expect(p.weights.some((w) => w[0] !== 1)).toBe(true);
    expect(new Set(G.inputs.labels).size).toBeLessThan(C.b); // classes with several members
  });
});
