/**
 * Multi-head scaled dot-product attention with key-padding and causal masks, and multi-head self-attention
 * in PyTorch `nn.MultiheadAttention` layout (packed `in_proj_weight` [3D, D], `out_proj`).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { check } from './errors.js';
import { linear } from './linear.js';

/** What masked logits are set to (finite, so a fully masked row gives a uniform row instead of NaN). */
export const MASKED_LOGIT = -1e9;

/** Options of {@link attentionBias}. */
export interface AttentionBiasOptions {
  /** [B, Lk] 1 = attend, 0 = padding (key-padding mask; PyTorch's `key_padding_mask` is the inverse). */
  keyMask?: tf.Tensor2D | undefined;
  /** Causal (lower-triangular) mask over a sequence of this length (CLIP text). */
  causalLength?: number | undefined;
}

/**
 * Additive attention bias from a key-padding mask and/or a causal mask: 0 where attention is allowed,
 * {@link MASKED_LOGIT} elsewhere.
 * @returns [B|1, 1, Lq|1, Lk], or null when neither mask is given
 * @example
 * ```ts
 * attentionBias({ causalLength: 2 })?.print(); // [[[[0, -1e9], [0, 0]]]]
 * ```
 */
export function attentionBias(options: AttentionBiasOptions): tf.Tensor4D | null {
  const { keyMask, causalLength } = options;
  if (keyMask === undefined && causalLength === undefined) return null;
  return tf.tidy(() => {
    let bias: tf.Tensor | null = null;
    if (keyMask !== undefined) {
      const [b, lk] = keyMask.shape;
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

/** [B, L, H·hd] → [B, H, L, hd] */
function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [b, l, d] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [b, l, heads, d / heads]), [0, 2, 1, 3]); // [B, H, L, hd]
}

/** [B, H, L, hd] → [B, L, H·hd] */
function mergeHeads(x: tf.Tensor): tf.Tensor3D {
  const [b, h, l, hd] = x.shape as [number, number, number, number];
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, l, h * hd]); // [B, L, D]
}

/**
 * Multi-head attention `softmax(q kᵀ / √hd + bias) v` on already projected queries, keys and values.
 *
 * @param q [B, Lq, D]
 * @param k [B, Lk, D]
 * @param v [B, Lk, D]
 * @param heads number of heads H (D divisible by H)
 * @param bias additive bias broadcastable to [B, H, Lq, Lk] (see {@link attentionBias}), or null
 * @returns [B, Lq, D]
 */
export function multiHeadAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  heads: number,
  bias: tf.Tensor | null = null,
): tf.Tensor3D {
  const d = q.shape[2];
  check(Number.isInteger(heads) && heads > 0 && d % heads === 0, 'multiHeadAttention', 'heads', () => {
    return `width ${d} must be divisible by heads (${heads})`;
  });
  return tf.tidy(() => {
    const scale = 1 / Math.sqrt(d / heads);
    const qh = splitHeads(tf.mul(q, scale), heads); // [B, H, Lq, hd]
    const kh = splitHeads(k, heads); // [B, H, Lk, hd]
    const vh = splitHeads(v, heads); // [B, H, Lk, hd]
    let logits: tf.Tensor = tf.matMul(qh, kh, false, true); // [B, H, Lq, Lk]
    if (bias !== null) logits = tf.add(logits, bias);
    const p = tf.softmax(logits); // [B, H, Lq, Lk]
    return mergeHeads(tf.matMul(p, vh)); // [B, Lq, D]
  });
}

/**
 * Self-attention with PyTorch `nn.MultiheadAttention` weights in tfjs layout.
 *
 * @param x [B, L, D]
 * @param inKernel [D, 3D] (transpose of `in_proj_weight`)
 * @param inBias [3D] (`in_proj_bias`)
 * @param outKernel [D, D] (transpose of `out_proj.weight`)
 * @param outBias [D]
 * @param heads H
 * @param bias additive attention bias (see {@link attentionBias}) or null
 * @returns [B, L, D]
 */
export function selfAttention(
  x: tf.Tensor3D,
  inKernel: tf.Tensor,
  inBias: tf.Tensor | null,
  outKernel: tf.Tensor,
  outBias: tf.Tensor | null,
  heads: number,
  bias: tf.Tensor | null = null,
): tf.Tensor3D {
  return tf.tidy(() => {
    const d = x.shape[2];
    const qkv = linear(x, inKernel, inBias); // [B, L, 3D]
    const [q, k, v] = tf.split(qkv, [d, d, d], 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]; // 3 × [B, L, D]
    return linear(multiHeadAttention(q, k, v, heads, bias), outKernel, outBias) as tf.Tensor3D;
  });
}

/** Config of {@link MultiHeadSelfAttention}. */
export interface MultiHeadSelfAttentionConfig extends LayerArgs {
  /** Number of heads (the width must be divisible by it). */
  heads: number;
  /** Causal mask (each position attends to itself and earlier ones). Default false. */
  causal?: boolean;
}

/**
 * `nn.MultiheadAttention` self-attention (`attn(x, x, x, key_padding_mask, attn_mask)`) as a tfjs Layer.
 *
 * Inputs: `x` [B, L, D], or `[x, keyMask]` with `keyMask` [B, L] (1 = real token, 0 = padding).
 * Weights: `in_kernel` [D, 3D], `in_bias` [3D], `out_kernel` [D, D], `out_bias` [D] (the transposes of
 * PyTorch's `in_proj_weight`, `out_proj.weight`; see {@link MultiHeadSelfAttention.setTorchWeights}).
 * @example
 * ```ts
 * const attn = new MultiHeadSelfAttention({ heads: 2 });
 * (attn.apply([tf.ones([1, 3, 4]), tf.tensor2d([[1, 1, 0]])]) as tf.Tensor).shape; // [1, 3, 4]
 * ```
 */
export class MultiHeadSelfAttention extends tfl.layers.Layer {
  static className = 'PirMultiHeadSelfAttention';
  readonly heads: number;
  readonly causal: boolean;
  private w: tfl.LayerVariable[] = [];

  constructor(config: MultiHeadSelfAttentionConfig) {
    super(config);
    check(Number.isInteger(config.heads) && config.heads > 0, 'MultiHeadSelfAttention', 'heads', () => {
      return `heads must be a positive integer, got ${config.heads}`;
    });
    this.heads = config.heads;
    this.causal = config.causal ?? false;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const d = shape[shape.length - 1] as number;
    check(
      d % this.heads === 0,
      'MultiHeadSelfAttention',
      'heads',
      () => `width ${d} is not divisible by ${this.heads} heads`,
    );
    const xavier = Math.sqrt(6 / (d + 3 * d)); // PyTorch's xavier_uniform_ on in_proj_weight
    const outLimit = 1 / Math.sqrt(d);
    this.w = [
      this.addWeight(
        'in_kernel',
        [d, 3 * d],
        'float32',
        tfl.initializers.randomUniform({ minval: -xavier, maxval: xavier }),
      ),
      this.addWeight('in_bias', [3 * d], 'float32', tfl.initializers.zeros()),
      this.addWeight(
        'out_kernel',
        [d, d],
        'float32',
        tfl.initializers.randomUniform({ minval: -outLimit, maxval: outLimit }),
      ),
      this.addWeight('out_bias', [d], 'float32', tfl.initializers.zeros()),
    ];
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const keyMask = Array.isArray(inputs) ? (inputs[1] as tf.Tensor2D | undefined) : undefined;
      const bias = attentionBias({ keyMask, causalLength: this.causal ? x.shape[1] : undefined });
      const [ik, ib, ok, ob] = this.w.map((w) => w.read());
      return selfAttention(
        x,
        ik as tf.Tensor,
        ib as tf.Tensor,
        ok as tf.Tensor,
        ob as tf.Tensor,
        this.heads,
        bias,
      );
    });
  }

  /** Set the weights from PyTorch tensors: `in_proj_weight` [3D, D], `in_proj_bias`, `out_proj.weight`, `out_proj.bias`. */
  setTorchWeights(
    inProjWeight: tf.Tensor,
    inProjBias: tf.Tensor,
    outWeight: tf.Tensor,
    outBias: tf.Tensor,
  ): void {
    const ik = tf.transpose(inProjWeight);
    const ok = tf.transpose(outWeight);
    this.setWeights([ik, inProjBias, ok, outBias]);
    tf.dispose([ik, ok]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, causal: this.causal };
  }
}
tf.serialization.registerClass(MultiHeadSelfAttention, 'pir');
