/**
 * Multi-head self-attention in PyTorch `nn.MultiheadAttention` layout (packed `in_proj_weight` [3D, D],
 * `out_proj`), as a function and a tfjs Layer. The attention itself is `@pir/nn`'s `multiHeadAttention`.
 */
import {
  attentionBias,
  linear,
  linearSpecs,
  loadStateDict,
  multiHeadAttention,
  type ParamSpec,
  uniformInit,
  ZEROS,
} from '@pir/nn';
import { firstShape, type InputShape, SpecLayer, type SpecLayerArgs } from '@pir/nn/layers';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
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
export interface MultiHeadSelfAttentionConfig extends LayerArgs, SpecLayerArgs {
  /** Number of heads (the width must be divisible by it). */
  heads: number;
  /** Causal mask (each position attends to itself and earlier ones). Default false. */
  causal?: boolean;
}

/**
 * `nn.MultiheadAttention` self-attention (`attn(x, x, x, key_padding_mask, attn_mask)`) as a tfjs Layer.
 *
 * Inputs: `x` [B, L, D], or `[x, keyMask]` with `keyMask` [B, L] (1 = real token, 0 = padding).
 * Parameters as PyTorch names them: `in_proj_weight` [3D, D], `in_proj_bias` [3D], `out_proj.weight` [D, D],
 * `out_proj.bias` [D] (PyTorch's initialisation: Xavier-uniform input projection, zero biases), so a PyTorch
 * `nn.MultiheadAttention.state_dict()` loads with `loadStateDict` of `@pir/nn`.
 * @example
 * ```ts
 * const attn = new MultiHeadSelfAttention({ heads: 2 });
 * (attn.apply([tf.ones([1, 3, 4]), tf.tensor2d([[1, 1, 0]])]) as tf.Tensor).shape; // [1, 3, 4]
 * ```
 */
export class MultiHeadSelfAttention extends SpecLayer {
  static className = 'PirMultiHeadSelfAttention';
  readonly heads: number;
  readonly causal: boolean;

  constructor(config: MultiHeadSelfAttentionConfig) {
    super(config);
    check(Number.isInteger(config.heads) && config.heads > 0, 'MultiHeadSelfAttention', 'heads', () => {
      return `heads must be a positive integer, got ${config.heads}`;
    });
    this.heads = config.heads;
    this.causal = config.causal ?? false;
  }

  protected specsFor(inputShape: InputShape | null): ParamSpec[] {
    check(
      inputShape !== null,
      'MultiHeadSelfAttention',
      'inputShape',
      () => 'the parameters depend on the input width: apply or build the layer first',
    );
    const shape = firstShape(inputShape);
    const d = shape[shape.length - 1] as number;
    check(
      d % this.heads === 0,
      'MultiHeadSelfAttention',
      'heads',
      () => `width ${d} is not divisible by ${this.heads} heads`,
    );
    return [
      // PyTorch's xavier_uniform_ on in_proj_weight [3D, D]
      {
        name: 'in_proj_weight',
        shape: [3 * d, d],
        layout: 'linear',
        init: uniformInit(Math.sqrt(6 / (d + 3 * d))),
      },
      { name: 'in_proj_bias', shape: [3 * d], init: ZEROS },
      ...linearSpecs('out_proj', d, d, { biasInit: ZEROS }),
    ];
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return firstShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const keyMask = Array.isArray(inputs) ? (inputs[1] as tf.Tensor2D | undefined) : undefined;
      const bias = attentionBias({ keyMask, causalLength: this.causal ? x.shape[1] : undefined });
      const w = (n: string) => this.weight(n);
      return selfAttention(
        x,
        w('in_proj_weight'),
        w('in_proj_bias'),
        w('out_proj.weight'),
        w('out_proj.bias'),
        this.heads,
        bias,
      );
    });
  }

  /**
   * Set the weights from PyTorch tensors: `in_proj_weight` [3D, D], `in_proj_bias`, `out_proj.weight`, `out_proj.bias`.
   * @deprecated use `loadStateDict(layer, attention.state_dict())` of `@pir/nn` (the same names).
   */
  setTorchWeights(
    inProjWeight: tf.Tensor,
    inProjBias: tf.Tensor,
    outWeight: tf.Tensor,
    outBias: tf.Tensor,
  ): void {
    loadStateDict(
      this,
      {
        in_proj_weight: inProjWeight,
        in_proj_bias: inProjBias,
        'out_proj.weight': outWeight,
        'out_proj.bias': outBias,
      },
      { where: 'MultiHeadSelfAttention.setTorchWeights' },
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, causal: this.causal };
  }
}
tf.serialization.registerClass(MultiHeadSelfAttention, 'pir');
