/**
 * Multi-head self-attention in PyTorch `nn.MultiheadAttention` layout (packed `in_proj_weight` [3D, D],
 * `out_proj`), as a function and a tfjs Layer. The attention itself is `@pir/nn`'s `multiHeadAttention`.
 */
import { attentionBias, linear, multiHeadAttention } from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { check } from './errors.js';

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
    return linear(multiHeadAttention(q, k, v, { heads, bias }), outKernel, outBias) as tf.Tensor3D;
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
