/**
 * The PAE building blocks as pure functions over a parameter record (PIR_SPEC §3). Parameter names are the
 * released PIR modules' PyTorch names (`img_sa.0.mhatt.linear_q.weight`); values are in tfjs layout (a Linear
 * weight is [in, out], `@pir/nn`'s rule). `layer.params()` gives such a record, and {@link fromTorchStateDict}
 * makes one from a released state dict. The primitives (linear, layer norm, GELU, attention) are `@pir/nn`'s.
 */
import {
  type DropoutOptions,
  dropout,
  joinName as join,
  LN_EPS as NN_LN_EPS,
  MASKED_LOGIT as NN_MASKED_LOGIT,
  gelu as nnGelu,
  layerNorm as nnLayerNorm,
  linear as nnLinear,
  multiHeadAttention as nnMultiHeadAttention,
} from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import { PaeInputError } from './errors.js';

export type { DropoutOptions } from '@pir/nn';

/** Parameters by PyTorch name, tfjs layout (e.g. `'img_sa.0.mhatt.linear_q.weight'` [in, out]). */
export type Params = Record<string, tf.Tensor>;

function get(p: Params, key: string): tf.Tensor {
  const t = p[key];
  if (t === undefined) throw new PaeInputError('params', key, `parameter '${key}' is missing.`);
  return t;
}

/** The Linear `name` of the record: `x · p[name.weight] + p[name.bias]`. @param x [..., in] @returns [..., out] */
function lin(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  return nnLinear(x, get(p, join(name, 'weight')), get(p, join(name, 'bias')));
}

/** The LayerNorm `name` of the record (eps 1e-5). */
function norm(p: Params, name: string, x: tf.Tensor, eps = NN_LN_EPS): tf.Tensor {
  return nnLayerNorm(x, get(p, join(name, 'weight')), get(p, join(name, 'bias')), eps);
}

/**
 * The Linear `name` of a parameter record. @deprecated use `linear(x, kernel, bias)` of `@pir/nn`
 * (`linear(x, p['name.weight'], p['name.bias'])`).
 */
export function linear(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  return lin(p, name, x);
}
/**
 * The LayerNorm `name` of a parameter record. @deprecated use `layerNorm(x, gamma, beta, eps)` of `@pir/nn`.
 */
export function layerNorm(p: Params, name: string, x: tf.Tensor, eps = NN_LN_EPS): tf.Tensor {
  return norm(p, name, x, eps);
}
/** Exact GELU. @deprecated import `gelu` from `@pir/nn`. */
export const gelu = nnGelu;
/** LayerNorm epsilon 1e-5. @deprecated import `LN_EPS` from `@pir/nn`. */
export const LN_EPS = NN_LN_EPS;
/** The logit of masked keys (−1e9). @deprecated import `MASKED_LOGIT` from `@pir/nn`. */
export const MASKED_LOGIT = NN_MASKED_LOGIT;

/** Options of {@link mhatt}. */
export interface AttentionOptions {
  /** Number of heads (divides D). */
  heads: number;
  /** [B, Tk] key mask, 1 = attend, 0 = padded (ignored when undefined). */
  mask?: tf.Tensor;
  /** Dropout on the attention probabilities. */
  dropout?: DropoutOptions;
  /**
   * With a one-row query `q` [B, 1, D]: the number of identical query rows it stands for (Spatial-PAE's
   * instruction query broadcast to K rows); see `@pir/nn`'s `multiHeadAttention`.
   */
  queryRepeat?: number;
}

/**
 * The released code's `MHAtt` module: biased Linears `linear_q/k/v`, `@pir/nn`'s multi-head attention
 * `softmax(q kᵀ/√d_head) v`, merge Linear `linear_merge`.
 *
 * @param name parameter prefix, e.g. `'img_sa.0.mhatt'`
 * @param q [B, Tq, D] @param k [B, Tk, D] @param v [B, Tk, D]
 * @returns [B, Tq, D] ([B, queryRepeat, D] for a repeated one-row query under dropout)
 */
export function mhatt(
  p: Params,
  name: string,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  o: AttentionOptions,
): tf.Tensor3D {
  const d = q.shape[2] as number;
  const h = o.heads;
  if (!Number.isInteger(h) || h < 1 || d % h !== 0) {
    throw new PaeInputError(
      'multiHeadAttention',
      'heads',
      `heads (${h}) must be a positive divisor of D = ${d}.`,
    );
  }
  const att = nnMultiHeadAttention(
    lin(p, join(name, 'linear_q'), q),
    lin(p, join(name, 'linear_k'), k),
    lin(p, join(name, 'linear_v'), v),
    {
      heads: h,
      keyMask: o.mask,
      ...(o.dropout === undefined ? {} : { dropout: o.dropout }),
      ...(o.queryRepeat === undefined ? {} : { queryRepeat: o.queryRepeat }),
    },
  ); // [B, Tq, D]
  return lin(p, join(name, 'linear_merge'), att) as tf.Tensor3D;
}

/** The `MHAtt` module. @deprecated renamed {@link mhatt} (`@pir/nn`'s `multiHeadAttention` is the primitive). */
export const multiHeadAttention = mhatt;

/** FFN: Linear(D→2D) `.0` → LayerNorm(2D) `.1` → GELU → Linear(2D→D) `.3`. @param x [B, T, D] */
export function feedForward(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  const hidden = nnGelu(norm(p, join(name, `1`), lin(p, join(name, `0`), x)));
  return lin(p, join(name, `3`), hidden);
}

/** Options of the attention blocks. */
export interface BlockOptions {
  heads: number;
  /** [B, T] key mask (1 = keep); undefined = attend everywhere (the released no-mask behaviour). */
  mask?: tf.Tensor;
  /** Dropout rate on attention probabilities and sub-layer outputs. */
  dropout?: number;
  training?: boolean;
  nextSeed?: () => number;
}

function drops(o: BlockOptions): DropoutOptions {
  return {
    rate: o.dropout ?? 0,
    training: o.training ?? false,
    ...(o.nextSeed === undefined ? {} : { nextSeed: o.nextSeed }),
  };
}

/**
 * SA block (post-LN): `x ← LN1(x + Drop(MHA(x, x, x)))`, `x ← LN2(x + Drop(FFN(x)))`.
 * Parameters `<name>.mhatt.*`, `<name>.ffn.*`, `<name>.norm1.*`, `<name>.norm2.*`.
 * @param x [B, T, D] @returns [B, T, D]
 */
export function selfAttentionBlock(p: Params, name: string, x: tf.Tensor, o: BlockOptions): tf.Tensor3D {
  const d = drops(o);
  const att = mhatt(p, join(name, `mhatt`), x, x, x, {
    heads: o.heads,
    dropout: d,
    ...(o.mask === undefined ? {} : { mask: o.mask }),
  });
  let h = norm(p, join(name, `norm1`), tf.add(x, dropout(att, d)));
  h = norm(p, join(name, `norm2`), tf.add(h, dropout(feedForward(p, join(name, `ffn`), h), d)));
  return h as tf.Tensor3D;
}

/**
 * CA block (post-LN; queries from x, keys/values and residual from y):
 * `y ← LN1(y + Drop(MHA(q=x, k=y, v=y)))`, `y ← LN2(y + Drop(FFN(y)))`.
 * Parameters `<name>.mhatt_cross.*`, `<name>.ffn.*`, `<name>.norm1.*`, `<name>.norm2.*`.
 * @param x queries [B, T, D], or [B, 1, D] for one query broadcast to all T rows (Spatial-PAE)
 * @param y [B, T, D] (the residual is on y) @returns [B, T, D]
 */
export function crossAttentionBlock(
  p: Params,
  name: string,
  x: tf.Tensor,
  y: tf.Tensor,
  o: BlockOptions,
): tf.Tensor3D {
  const d = drops(o);
  const t = y.shape[1] as number;
  let att = mhatt(p, join(name, 'mhatt_cross'), x, y, y, {
    heads: o.heads,
    dropout: d,
    ...(x.shape[1] === 1 && t > 1 ? { queryRepeat: t } : {}),
    ...(o.mask === undefined ? {} : { mask: o.mask }),
  }); // [B, T, D], or [B, 1, D] broadcast over T (one-row query, no dropout)
  if (att.shape[1] !== t && d.training && (d.rate ?? 0) > 0) {
    att = tf.tile(att, [1, t, 1]) as tf.Tensor3D; // independent sub-layer dropout per row
  }
  let h = norm(p, join(name, `norm1`), tf.add(y, dropout(att, d)));
  h = norm(p, join(name, `norm2`), tf.add(h, dropout(feedForward(p, join(name, `ffn`), h), d)));
  return h as tf.Tensor3D;
}

/** PAEL(x, c) = SA then CA: `s = SA(x)`, `h = CA(c, s)`. */
export function pael(
  p: Params,
  names: { sa: string; ca: string },
  x: tf.Tensor,
  c: tf.Tensor,
  o: BlockOptions,
): tf.Tensor3D {
  const s = selfAttentionBlock(p, names.sa, x, o);
  return crossAttentionBlock(p, names.ca, c, s, o);
}

/** Options of {@link spatialPae} / {@link temporalPae}. */
export interface PaeOptions extends BlockOptions {
  /** Number of PAE layers. */
  layers: number;
  /** Parameter prefixes (defaults: `img_sa`, `img_ca`, `mapping_img` / `txt_sa`, `txt_ca`, `mapping_txt`). */
  names?: { sa: string; ca: string; mapping: string };
}

/**
 * Spatial-PAE: `s_i = SA_i(h_{i-1})`, `h_i = CA_i(query = M_i(u) broadcast to K rows, kv = s_i)`.
 * @param tokens h_0 [B, K, D] (belief-filtered) @param instruction u [B, D] or [B, 1, D]
 * @returns h_last [B, K, D]
 */
export function spatialPae(
  p: Params,
  tokens: tf.Tensor3D,
  instruction: tf.Tensor,
  o: PaeOptions,
): tf.Tensor3D {
  const n = o.names ?? { sa: 'img_sa', ca: 'img_ca', mapping: 'mapping_img' };
  const [b, , d] = tokens.shape;
  const u = tf.reshape(instruction, [b, 1, d]);
  let h: tf.Tensor3D = tokens;
  for (let i = 0; i < o.layers; i++) {
    const s = selfAttentionBlock(p, join(n.sa, `${i}`), h, o);
    // M_i(u) broadcast to K rows: passed as one row, the CA block broadcasts it (same values, K× less work)
    const q = lin(p, join(n.mapping, `${i}`), u); // [B, 1, D]
    h = crossAttentionBlock(p, join(n.ca, `${i}`), q, s, o);
  }
  return h;
}

/**
 * Temporal-PAE: `s_i = SA_i(h_{i-1})`, `h_i = CA_i(query = M_i(h_{i-1}), kv = s_i)`.
 * @param tokens h_0 [B, L, D] @returns h_last [B, L, D]
 */
export function temporalPae(p: Params, tokens: tf.Tensor3D, o: PaeOptions): tf.Tensor3D {
  const n = o.names ?? { sa: 'txt_sa', ca: 'txt_ca', mapping: 'mapping_txt' };
  let h: tf.Tensor3D = tokens;
  for (let i = 0; i < o.layers; i++) {
    const s = selfAttentionBlock(p, join(n.sa, `${i}`), h, o);
    const q = lin(p, join(n.mapping, `${i}`), h);
    h = crossAttentionBlock(p, join(n.ca, `${i}`), q, s, o);
  }
  return h;
}

/**
 * Head and global fusion: `L2norm(g + Head(h_last[:, 0]))` (no gate).
 * @param global g [B, D] @param hLast [B, T, D] @returns [B, D]
 */
export function headFusion(
  p: Params,
  name: string,
  global: tf.Tensor,
  hLast: tf.Tensor,
  normalize = true,
): tf.Tensor2D {
  const [b, , d] = hLast.shape as [number, number, number];
  const first = tf.reshape(tf.slice(hLast, [0, 0, 0], [b, 1, d]), [b, d]); // token 0 [B, D]
  const fused = tf.add(global, lin(p, name, first));
  if (!normalize) return fused as tf.Tensor2D;
  const sq = tf.sum(tf.square(fused), 1, true);
  return tf.mul(fused, tf.rsqrt(tf.maximum(sq, 1e-24))) as tf.Tensor2D;
}
