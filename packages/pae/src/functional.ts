/**
 * The PAE building blocks as pure functions over a parameter record (PIR_SPEC §3). Parameter names follow
 * the released PIR modules, with one rule: a PyTorch Linear `X.weight` [out, in] is stored here as
 * `X.kernel` [in, out] (so `x·W` needs no transpose); biases and LayerNorm `weight`/`bias` keep their names.
 * {@link fromTorchStateDict} converts a released state dict into this record.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PaeInputError } from './errors.js';

/** Parameters by name (e.g. `'img_sa.0.mhatt.linear_q.kernel'`). */
export type Params = Record<string, tf.Tensor>;

/** Logit given to masked keys (the released code's `masked_fill(mask, -1e9)`). */
export const MASKED_LOGIT = -1e9;
/** LayerNorm epsilon (PyTorch's default). */
export const LN_EPS = 1e-5;

/** Dropout settings of a forward pass. */
export interface DropoutOptions {
  /** Probability of dropping (0 disables). */
  rate?: number;
  /** Apply dropout (training mode). */
  training?: boolean;
  /** Seed source: a function returning a fresh 31-bit seed per dropout call (e.g. `() => rng.nextSeed()`). */
  nextSeed?: () => number;
}

/** `prefix.sub`, or `sub` alone when the prefix is empty. */
export function join(prefix: string, sub: string): string {
  return prefix === '' ? sub : `${prefix}.${sub}`;
}

function get(p: Params, key: string): tf.Tensor {
  const t = p[key];
  if (t === undefined) throw new PaeInputError('params', key, `parameter '${key}' is missing.`);
  return t;
}

function dropout(x: tf.Tensor, o: DropoutOptions): tf.Tensor {
  const rate = o.rate ?? 0;
  if (!(o.training ?? false) || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, o.nextSeed?.());
}

/**
 * `x·W + b` on the last axis. The gradient is written out (`dx = dy·Wᵀ`, `dW = xᵀ·dy`, `db = 1ᵀ·dy`) so that the
 * bias gradient is a GEMM instead of an axis-0 `sum` (on wasm ~10× faster: its Sum transposes first).
 * @param x [..., in] @returns [..., out]
 */
export function linear(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  const w = get(p, join(name, 'kernel')) as tf.Tensor2D; // [in, out]
  const b = get(p, join(name, 'bias')); // [out]
  const inDim = w.shape[0];
  const outDim = w.shape[1];
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inDim]) as tf.Tensor2D; // [rows, in]
  const y = linearOp(x2, w, b); // [rows, out]
  return tf.reshape(y, [...lead, outDim]);
}

const linearOp = tf.customGrad((...args: unknown[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D; // [rows, out]
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const ones = tf.ones([1, g.shape[0]]) as tf.Tensor2D;
      return [
        tf.matMul(g, ws, false, true), // dx [rows, in]
        tf.matMul(xs, g, true, false), // dW [in, out]
        tf.reshape(tf.matMul(ones, g), [g.shape[1]]), // db [out]
      ];
    },
  };
}) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor) => tf.Tensor2D;

/**
 * LayerNorm over the last axis (biased variance, eps 1e-5), with a fused hand-written gradient
 * (`dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))`, `ĝ = dy·γ`, `r = 1/√(var + eps)`; `dγ = 1ᵀ·(dy·x̂)`, `dβ = 1ᵀ·dy`).
 */
export function layerNorm(p: Params, name: string, x: tf.Tensor, eps = LN_EPS): tf.Tensor {
  const gamma = get(p, join(name, 'weight'));
  const beta = get(p, join(name, 'bias'));
  const d = x.shape[x.rank - 1] as number;
  const x2 = tf.reshape(x, [-1, d]) as tf.Tensor2D; // [rows, D]
  return tf.reshape(layerNormOp(eps)(x2, gamma, beta), x.shape);
}

type LayerNormOp = (x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
const layerNormOps = new Map<number, LayerNormOp>();

function layerNormOp(eps: number): LayerNormOp {
  const cached = layerNormOps.get(eps);
  if (cached !== undefined) return cached;
  const op = tf.customGrad((...args: unknown[]) => {
    const [x, g, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.mean(x, -1, true); // [rows, 1]
    const xc = tf.sub(x, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)); // [rows, 1]
    const xhat = tf.mul(xc, rstd); // [rows, D]
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const gy = dy as tf.Tensor2D;
        const [xh, r, gam] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const ones = tf.ones([1, gy.shape[0]]) as tf.Tensor2D;
        const ghat = tf.mul(gy, gam); // [rows, D]
        const centred = tf.sub(ghat, tf.mean(ghat, -1, true));
        const dx = tf.mul(r, tf.sub(centred, tf.mul(xh, tf.mean(tf.mul(ghat, xh), -1, true))));
        const dgamma = tf.reshape(tf.matMul(ones, tf.mul(gy, xh)), [gy.shape[1]]);
        const dbeta = tf.reshape(tf.matMul(ones, gy), [gy.shape[1]]);
        return [dx, dgamma, dbeta];
      },
    };
  }) as unknown as LayerNormOp;
  layerNormOps.set(eps, op);
  return op;
}

/** Exact (erf) GELU, as `nn.GELU()`. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** Options of {@link multiHeadAttention}. */
export interface AttentionOptions {
  /** Number of heads (divides D). */
  heads: number;
  /** [B, Tk] key mask, 1 = attend, 0 = padded (ignored when undefined). */
  mask?: tf.Tensor;
  /** Dropout on the attention probabilities. */
  dropout?: DropoutOptions;
  /**
   * With a one-row query `q` [B, 1, D]: the number of identical query rows it stands for (Spatial-PAE's
   * instruction query, broadcast to K rows). The projection and the logits are computed once; the result
   * is [B, 1, D] (to be broadcast) unless attention dropout is active, which needs independent rows: then
   * the probabilities are repeated before dropout and the result is [B, queryRepeat, D].
   */
  queryRepeat?: number;
}

/**
 * Multi-head attention: separate biased Linear for q, k, v (`linear_q/k/v`), `softmax(q kᵀ/√d_head) v`,
 * merge Linear (`linear_merge`).
 *
 * @param name parameter prefix, e.g. `'img_sa.0.mhatt'`
 * @param q [B, Tq, D] @param k [B, Tk, D] @param v [B, Tk, D]
 * @returns [B, Tq, D]
 */
export function multiHeadAttention(
  p: Params,
  name: string,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  o: AttentionOptions,
): tf.Tensor3D {
  const [b, tq, d] = q.shape as [number, number, number];
  const tk = k.shape[1] as number;
  const h = o.heads;
  if (!Number.isInteger(h) || h < 1 || d % h !== 0) {
    throw new PaeInputError(
      'multiHeadAttention',
      'heads',
      `heads (${h}) must be a positive divisor of D = ${d}.`,
    );
  }
  const dh = d / h;
  const split = (x: tf.Tensor, t: number) => tf.transpose(tf.reshape(x, [b, t, h, dh]), [0, 2, 1, 3]); // [B, H, T, dh]
  const qh = split(linear(p, join(name, 'linear_q'), q), tq);
  const kh = split(linear(p, join(name, 'linear_k'), k), tk);
  const vh = split(linear(p, join(name, 'linear_v'), v), tk);
  let logits = tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(dh)); // [B, H, Tq, Tk]
  if (o.mask !== undefined) {
    const pad = tf.mul(tf.sub(1, tf.cast(o.mask, 'float32')), MASKED_LOGIT); // [B, Tk]
    logits = tf.add(logits, tf.reshape(pad, [b, 1, 1, tk]));
  }
  let att = tf.softmax(logits); // [B, H, Tq, Tk]
  let rows = tq;
  const drop = o.dropout ?? {};
  const repeat = o.queryRepeat ?? 1;
  if (tq === 1 && repeat > 1 && (drop.training ?? false) && (drop.rate ?? 0) > 0) {
    att = tf.tile(att, [1, 1, repeat, 1]); // independent dropout per query row, as the unshared query
    rows = repeat;
  }
  att = dropout(att, drop);
  const out = tf.reshape(tf.transpose(tf.matMul(att, vh), [0, 2, 1, 3]), [b, rows, d]); // [B, rows, D]
  return linear(p, join(name, 'linear_merge'), out) as tf.Tensor3D;
}

/** FFN: Linear(D→2D) `.0` → LayerNorm(2D) `.1` → GELU → Linear(2D→D) `.3`. @param x [B, T, D] */
export function feedForward(p: Params, name: string, x: tf.Tensor): tf.Tensor {
  const hidden = gelu(layerNorm(p, join(name, `1`), linear(p, join(name, `0`), x)));
  return linear(p, join(name, `3`), hidden);
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
  const att = multiHeadAttention(p, join(name, `mhatt`), x, x, x, {
    heads: o.heads,
    dropout: d,
    ...(o.mask === undefined ? {} : { mask: o.mask }),
  });
  let h = layerNorm(p, join(name, `norm1`), tf.add(x, dropout(att, d)));
  h = layerNorm(p, join(name, `norm2`), tf.add(h, dropout(feedForward(p, join(name, `ffn`), h), d)));
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
  let att = multiHeadAttention(p, join(name, 'mhatt_cross'), x, y, y, {
    heads: o.heads,
    dropout: d,
    ...(x.shape[1] === 1 && t > 1 ? { queryRepeat: t } : {}),
    ...(o.mask === undefined ? {} : { mask: o.mask }),
  }); // [B, T, D], or [B, 1, D] broadcast over T (one-row query, no dropout)
  if (att.shape[1] !== t && d.training && (d.rate ?? 0) > 0) {
    att = tf.tile(att, [1, t, 1]) as tf.Tensor3D; // independent sub-layer dropout per row
  }
  let h = layerNorm(p, join(name, `norm1`), tf.add(y, dropout(att, d)));
  h = layerNorm(p, join(name, `norm2`), tf.add(h, dropout(feedForward(p, join(name, `ffn`), h), d)));
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
    const q = linear(p, join(n.mapping, `${i}`), u); // [B, 1, D]
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
    const q = linear(p, join(n.mapping, `${i}`), h);
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
  const fused = tf.add(global, linear(p, name, first));
  if (!normalize) return fused as tf.Tensor2D;
  const sq = tf.sum(tf.square(fused), 1, true);
  return tf.mul(fused, tf.rsqrt(tf.maximum(sq, 1e-24))) as tf.Tensor2D;
}
