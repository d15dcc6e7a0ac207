/**
 * Multi-head scaled dot-product attention — the one attention of every `@pir/*` model (PAE blocks, BERT, CLIP
 * towers, Swin windows, CLIP RN50's attention pool), with key-padding and causal masks as an additive bias.
 * tfjs-layers 4.22 has no multi-head attention layer; this is written from `matMul` and `softmax`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NnInputError } from '../errors.js';
import { type DropoutOptions, dropout } from './dropout.js';

/**
 * What masked logits are set to — the released PIR code's `masked_fill(mask, -1e9)`; finite, so a fully
 * masked row gives a uniform row instead of NaN.
 */
export const MASKED_LOGIT = -1e9;

/** Options of {@link attentionBias}. */
export interface AttentionBiasOptions {
  /** [B, Lk] 1 = attend, 0 = padding (a key-padding mask; PyTorch's `key_padding_mask` is the inverse). */
  keyMask?: tf.Tensor | undefined;
  /** Causal (lower-triangular) mask over a sequence of this length (CLIP text). */
  causalLength?: number | undefined;
}

/**
 * Additive attention bias from a key-padding mask and/or a causal mask: 0 where attention is allowed,
 * {@link MASKED_LOGIT} elsewhere.
 * @returns [B|1, 1, Lq|1, Lk], or null when neither mask is given
 * @example
 * ```ts
 * attentionBias({ causalLength: 2 })?.arraySync(); // [[[[0, -1e9], [0, 0]]]]
 * ```
 */
export function attentionBias(options: AttentionBiasOptions): tf.Tensor4D | null {
  const { keyMask, causalLength } = options;
  if (keyMask === undefined && causalLength === undefined) return null;
  return tf.tidy(() => {
    let bias: tf.Tensor | null = null;
    if (keyMask !== undefined) {
      if (keyMask.rank !== 2)
        throw new NnInputError(
          'attentionBias',
          'keyMask',
          `keyMask must be [B, Lk], got [${keyMask.shape.join(', ')}]`,
        );
      const [b, lk] = keyMask.shape as [number, number];
      const keep = tf.cast(keyMask, 'float32');
      bias = tf.reshape(tf.mul(tf.sub(1, keep), MASKED_LOGIT), [b, 1, 1, lk]); // [B, 1, 1, Lk]
    }
    if (causalLength !== undefined) {
      const l = causalLength;
      const lower = tf.linalg.bandPart(tf.ones([l, l]), -1, 0); // 1 on and below the diagonal
      const causal = tf.reshape(tf.mul(tf.sub(1, lower), MASKED_LOGIT), [1, 1, l, l]); // [1, 1, L, L]
      bias = bias === null ? causal : tf.add(bias, causal);
    }
    return bias as tf.Tensor4D;
  });
}

/** Options of {@link attendHeads}. */
export interface AttendOptions {
  /** Additive bias broadcastable to [B, H, Lq, Lk] (see {@link attentionBias}), or null. */
  bias?: tf.Tensor | null;
  /** Dropout on the attention probabilities (PIR: 0.2 in training). */
  dropout?: DropoutOptions;
}

/**
 * The attention of already split heads: `softmax(q kᵀ / √hd + bias) · v`.
 *
 * @param q [B, H, Lq, hd]
 * @param k [B, H, Lk, hd]
 * @param v [B, H, Lk, hd]
 * @returns [B, H, Lq, hd]
 */
export function attendHeads(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  options: AttendOptions = {},
): tf.Tensor4D {
  return tf.tidy(() => {
    const hd = q.shape[3];
    let logits: tf.Tensor = tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true); // [B, H, Lq, Lk]
    if (options.bias !== undefined && options.bias !== null) logits = tf.add(logits, options.bias);
    const p = dropout(tf.softmax(logits), options.dropout); // [B, H, Lq, Lk]
    return tf.matMul(p, v) as tf.Tensor4D; // [B, H, Lq, hd]
  });
}

/** [B, L, H·hd] → [B, H, L, hd] */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [b, l, d] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [b, l, heads, d / heads]), [0, 2, 1, 3]); // [B, H, L, hd]
}

/** [B, H, L, hd] → [B, L, H·hd] */
export function mergeHeads(x: tf.Tensor): tf.Tensor3D {
  const [b, h, l, hd] = x.shape as [number, number, number, number];
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, l, h * hd]); // [B, L, D]
}

/** Options of {@link multiHeadAttention}. */
export interface AttentionOptions extends AttendOptions {
  /** Number of heads H (divides D). */
  heads: number;
  /** [B, Lk] key mask, 1 = attend, 0 = padding; added to `bias`. */
  keyMask?: tf.Tensor | undefined;
  /**
   * With a one-row query `q` [B, 1, D]: the number of identical query rows it stands for (Spatial-PAE's
   * instruction query, broadcast to K rows). The logits are computed once and the result is [B, 1, D] (to be
   * broadcast) unless attention dropout is active, which needs independent rows: then the probabilities are
   * repeated before dropout and the result is [B, queryRepeat, D].
   */
  queryRepeat?: number;
}

/**
 * Multi-head attention on already projected queries, keys and values: split into H heads,
 * `softmax(q kᵀ / √hd + bias) · v` per head, merge.
 *
 * @param q [B, Lq, D]
 * @param k [B, Lk, D]
 * @param v [B, Lk, D]
 * @param options `{ heads, bias?, keyMask?, dropout?, queryRepeat? }`, or the number of heads (with `bias`
 *   as the fifth argument: the signature of `@pir/encoders` ≤ 0.1)
 * @returns [B, Lq, D] ([B, queryRepeat, D] with `queryRepeat` and active dropout)
 * @example
 * ```ts
 * const x = tf.ones([1, 3, 4]);
 * multiHeadAttention(x, x, x, { heads: 2, keyMask: tf.tensor2d([[1, 1, 0]]) }).shape; // [1, 3, 4]
 * ```
 */
export function multiHeadAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: AttentionOptions | number,
  bias: tf.Tensor | null = null,
): tf.Tensor3D {
  const o: AttentionOptions = typeof options === 'number' ? { heads: options, bias } : options;
  const h = o.heads;
  if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3) {
    throw new NnInputError(
      'multiHeadAttention',
      'q',
      `q, k, v must be [B, L, D], got [${q.shape.join(', ')}], [${k.shape.join(', ')}], [${v.shape.join(', ')}]`,
    );
  }
  const [, tq, d] = q.shape as [number, number, number];
  if (!Number.isInteger(h) || h < 1 || d % h !== 0) {
    throw new NnInputError(
      'multiHeadAttention',
      'heads',
      `heads (${h}) must be a positive divisor of D = ${d}`,
    );
  }
  return tf.tidy(() => {
    let fullBias: tf.Tensor | null = o.bias ?? null;
    if (o.keyMask !== undefined) {
      const pad = attentionBias({ keyMask: o.keyMask }) as tf.Tensor4D; // [B, 1, 1, Lk]
      fullBias = fullBias === null ? pad : tf.add(fullBias, pad);
    }
    const repeat = o.queryRepeat ?? 1;
    const drop = o.dropout ?? {};
    const dropping = (drop.training ?? false) && (drop.rate ?? 0) > 0;
    const qh = splitHeads(q, h); // [B, H, Lq, hd]
    const kh = splitHeads(k, h); // [B, H, Lk, hd]
    const vh = splitHeads(v, h); // [B, H, Lk, hd]
    if (tq === 1 && repeat > 1 && dropping) {
      // independent dropout per query row, as the unshared query would have: repeat the probabilities
      const hd = d / h;
      let logits: tf.Tensor = tf.matMul(tf.mul(qh, 1 / Math.sqrt(hd)), kh, false, true); // [B, H, 1, Lk]
      if (fullBias !== null) logits = tf.add(logits, fullBias);
      const p = dropout(tf.tile(tf.softmax(logits), [1, 1, repeat, 1]), drop); // [B, H, repeat, Lk]
      return mergeHeads(tf.matMul(p, vh)); // [B, repeat, D]
    }
    return mergeHeads(attendHeads(qh, kh, vh, { bias: fullBias, dropout: drop })); // [B, Lq, D]
  });
}
