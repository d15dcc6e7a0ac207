/**
 * The PAE layers loaded from a released-name state dict against PyTorch (`tools/golden/belief_pae.py`):
 * tiny size (D=16, 4 heads; every output and every parameter gradient) and real size (D=512, 8 heads,
 * K=40 of N=50, L=32, 2 + 3 layers; weights and inputs regenerated from seeds by a counter hash).
 */
import '@pir/runtime';
import { hardBelief } from '@pir/belief';
import { describeBackends, expectAllClose } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  CrossAttention,
  FeedForward,
  loadStateDict,
  MultiHeadAttention,
  PaeHead,
  SelfAttention,
  SpatialPAE,
  TemporalPAE,
} from '../src/index.js';
import real from './fixtures/pae_real.json';
import tiny from './fixtures/pae_tiny.json';
import { hashTensor } from './hash.js';

/** A state dict as JSON holds it (a plain object of `{ data, shape }`, PyTorch layout). */
type StateDict = Record<string, { data: ArrayLike<number>; shape: number[] }>;

const T = tiny as unknown as {
  config: { dim: number; heads: number; k: number };
  stateDict: StateDict;
  inputs: Record<string, number[][] | number[][][]>;
  outputs: Record<string, number[][][] | number[][] | number>;
  grads: Record<string, number[]>;
};
/** The bound: 1e-4 against PyTorch on cpu and wasm. */
const TOL = { atol: 1e-4, rtol: 1e-4 };

function sub(sd: StateDict, prefix: string): StateDict {
  const out: StateDict = {};
  for (const [k, v] of Object.entries(sd)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function build(dim: number, heads: number) {
  const spatial = new SpatialPAE({ dim, heads, layers: 2 });
  const temporal = new TemporalPAE({ dim, heads, layers: 3 });
  const headImg = new PaeHead({ dim, stateName: 'head_img' });
  const headTxt = new PaeHead({ dim, stateName: 'head_txt' });
  return { spatial, temporal, headImg, headTxt, all: [spatial, temporal, headImg, headTxt] };
}

describeBackends('PAE vs PyTorch (tiny, D=16)', () => {
  const { dim, heads, k } = T.config;
  const input = (n: string) => tf.tensor(T.inputs[n] as number[][]);

  it('whole PIR head: kept tokens, Spatial-PAE, Temporal-PAE (masked and not), embeddings', async () => {
    const m = build(dim, heads);
    const r = loadStateDict(m.all, T.stateDict);
    expect(r.loaded.length).toBe(Object.keys(T.stateDict).length);
    const [img, u, gV, txt, mask, gT] = ['img', 'u', 'gV', 'txt', 'txtMask', 'gT'].map(input) as tf.Tensor[];
    const kept = hardBelief(img as tf.Tensor3D, u as tf.Tensor, { k }).tokens;
    await expectAllClose(kept, (T.outputs.kept as number[][][]).flat(2), TOL, 'kept');
    const hv = m.spatial.apply([kept, u as tf.Tensor]) as tf.Tensor;
    await expectAllClose(hv, (T.outputs.hv as number[][][]).flat(2), TOL, 'Spatial-PAE');
    const ht = m.temporal.apply([txt as tf.Tensor, mask as tf.Tensor]) as tf.Tensor;
    await expectAllClose(ht, (T.outputs.ht as number[][][]).flat(2), TOL, 'Temporal-PAE (masked)');
    const htNoMask = m.temporal.apply(txt as tf.Tensor) as tf.Tensor;
    await expectAllClose(
      htNoMask,
      (T.outputs.htNoMask as number[][][]).flat(2),
      TOL,
      'Temporal-PAE (no mask)',
    );
    const v = m.headImg.apply([gV as tf.Tensor, hv]) as tf.Tensor;
    const t = m.headTxt.apply([gT as tf.Tensor, ht]) as tf.Tensor;
    await expectAllClose(v, (T.outputs.v as number[][]).flat(), TOL, 'image embedding');
    await expectAllClose(t, (T.outputs.t as number[][]).flat(), TOL, 'text embedding');
    tf.dispose([img, u, gV, txt, mask, gT, kept, hv, ht, htNoMask, v, t] as tf.Tensor[]);
    for (const l of m.all) l.dispose();
  });

  it('single blocks (MHA with mask, FFN, SA, CA) loaded from sub-dicts', async () => {
    const [u, txt, mask] = ['u', 'txt', 'txtMask'].map(input) as tf.Tensor[];
    const kept = tf.tensor3d(T.outputs.kept as number[][][]);
    const mha = new MultiHeadAttention({ dim, heads });
    loadStateDict(mha, sub(T.stateDict, 'txt_sa.0.mhatt.'));
    await expectAllClose(
      mha.apply([txt, txt, txt, mask] as tf.Tensor[]) as tf.Tensor,
      (T.outputs.mhaMasked as number[][][]).flat(2),
      TOL,
      'MHA',
    );
    const ffn = new FeedForward({ dim });
    loadStateDict(ffn, sub(T.stateDict, 'txt_sa.0.ffn.'));
    await expectAllClose(
      ffn.apply(txt as tf.Tensor) as tf.Tensor,
      (T.outputs.ffn0 as number[][][]).flat(2),
      TOL,
      'FFN',
    );
    const sa = new SelfAttention({ dim, heads, stateName: 'img_sa.0' });
    loadStateDict(sa, sub(T.stateDict, ''), { strict: false });
    const s = sa.apply(kept) as tf.Tensor;
    await expectAllClose(s, (T.outputs.sa0 as number[][][]).flat(2), TOL, 'SA');
    const ca = new CrossAttention({ dim, heads });
    loadStateDict(ca, sub(T.stateDict, 'img_ca.0.'));
    const mapping = sub(T.stateDict, 'mapping_img.0.') as Record<string, { data: number[]; shape: number[] }>;
    const q = tf.tidy(() => {
      const w = tf.tensor2d(mapping.weight?.data as number[], [dim, dim]);
      const b = tf.tensor1d(mapping.bias?.data as number[]);
      const m = tf.add(tf.matMul(u as tf.Tensor2D, w, false, true), b); // [B, D]
      return tf.tile(tf.expandDims(m, 1), [1, k, 1]);
    });
    await expectAllClose(ca.apply([q, s]) as tf.Tensor, (T.outputs.ca0 as number[][][]).flat(2), TOL, 'CA');
    for (const l of [mha, ffn, sa, ca]) l.dispose();
  });

  it('gradient of every parameter matches PyTorch', async () => {
    const m = build(dim, heads);
    loadStateDict(m.all, T.stateDict);
    const [img, u, gV, txt, mask, gT, Rv, Rt] = ['img', 'u', 'gV', 'txt', 'txtMask', 'gT', 'Rv', 'Rt'].map(
      input,
    ) as tf.Tensor[];
    const kept = hardBelief(img as tf.Tensor3D, u as tf.Tensor, { k }).tokens;
    const vars: { key: string; v: tf.Variable; linear: boolean }[] = [];
    for (const layer of m.all) {
      for (const { spec, variable } of layer.namedParameters())
        vars.push({ key: spec.name, v: variable, linear: spec.layout === 'linear' });
    }
    const { value, grads } = tf.variableGrads(
      () => {
        const hv = m.spatial.apply([kept, u as tf.Tensor]) as tf.Tensor;
        const ht = m.temporal.apply([txt as tf.Tensor, mask as tf.Tensor]) as tf.Tensor;
        const v = m.headImg.apply([gV as tf.Tensor, hv]) as tf.Tensor;
        const t = m.headTxt.apply([gT as tf.Tensor, ht]) as tf.Tensor;
        return tf.add(tf.sum(tf.mul(v, Rv as tf.Tensor)), tf.sum(tf.mul(t, Rt as tf.Tensor))) as tf.Scalar;
      },
      vars.map((x) => x.v),
    );
    await expectAllClose(value, [T.outputs.loss as number], TOL, 'loss');
    expect(Object.keys(grads).length).toBe(Object.keys(T.grads).length);
    for (const { key, v, linear } of vars) {
      let g = grads[v.name] as tf.Tensor;
      if (linear) g = tf.transpose(g); // the variable is [in, out], PyTorch's gradient [out, in]
      await expectAllClose(g, T.grads[key] as number[], TOL, `d/d ${key}`);
    }
    tf.dispose([value, ...Object.values(grads), img, u, gV, txt, mask, gT, Rv, Rt, kept] as tf.Tensor[]);
    for (const l of m.all) l.dispose();
  });
});

describeBackends('PAE vs PyTorch (real size: D=512, 8 heads, K=40 of N=50, L=32)', () => {
  const R = real as unknown as {
    config: { dim: number; heads: number; k: number };
    params: { name: string; shape: number[]; seed: number; center: number; scale: number }[];
    inputs: Record<string, { seed: number; shape: number[]; center: number; scale: number }>;
    txtMask: number[][];
    outputs: { indices: number[][]; hv0: number[][]; ht0: number[][]; v: number[][]; t: number[][] };
  };
  it('kept indices, token 0 of both PAE outputs, and the embeddings', async () => {
    const { dim, heads, k } = R.config;
    const m = build(dim, heads);
    const sd: StateDict = {};
    for (const p of R.params)
      sd[p.name] = { data: hashTensor(p.seed, p.shape, p.center, p.scale), shape: p.shape };
    loadStateDict(m.all, sd);
    const x: Record<string, tf.Tensor> = {};
    for (const [n, s] of Object.entries(R.inputs))
      x[n] = tf.tensor(hashTensor(s.seed, s.shape, s.center, s.scale), s.shape);
    const mask = tf.tensor2d(R.txtMask);
    const h = hardBelief(x.img as tf.Tensor3D, x.u as tf.Tensor, { k });
    expect(await h.indices.array()).toEqual(R.outputs.indices);
    const hv = m.spatial.apply([h.tokens, x.u as tf.Tensor]) as tf.Tensor3D;
    const ht = m.temporal.apply([x.txt as tf.Tensor, mask]) as tf.Tensor3D;
    const first = (t: tf.Tensor3D) => tf.slice(t, [0, 0, 0], [t.shape[0], 1, dim]);
    await expectAllClose(first(hv), R.outputs.hv0.flat(), TOL, 'Spatial-PAE token 0');
    await expectAllClose(first(ht), R.outputs.ht0.flat(), TOL, 'Temporal-PAE token 0');
    const v = m.headImg.apply([x.gV as tf.Tensor, hv]) as tf.Tensor;
    const t = m.headTxt.apply([x.gT as tf.Tensor, ht]) as tf.Tensor;
    await expectAllClose(v, R.outputs.v.flat(), TOL, 'image embedding');
    await expectAllClose(t, R.outputs.t.flat(), TOL, 'text embedding');
    tf.dispose([...Object.values(x), mask, h.tokens, h.scores, h.indices, h.mask, hv, ht, v, t]);
    for (const l of m.all) l.dispose();
  });
});
