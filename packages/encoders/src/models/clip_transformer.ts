/**
 * OpenAI CLIP's `Transformer` of `ResidualAttentionBlock`s (pre-LN), shared by the CLIP image and text towers.
 * Names as in `clip/model.py`: `resblocks.{i}.attn.in_proj_weight`, `.ln_1`, `.mlp.c_fc`, `.mlp.c_proj`, `.ln_2`.
 */

import {
  type ActivationName,
  activation,
  layerNorm,
  layerNormSpecs,
  linear,
  linearSpecs,
  type ParamSpec,
  type ParamStore,
} from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import { selfAttention } from '../layers/attention.js';
import { runBlock } from './checkpointing.js';
import { normalLinear } from './init.js';

/** Shape of a CLIP transformer. */
export interface ClipTransformerShape {
  width: number;
  layers: number;
  heads: number;
  /** MLP hidden width = mlpRatio · width. CLIP: 4. */
  mlpRatio: number;
  /** `'quick_gelu'` for OpenAI CLIP weights, `'gelu'` for OpenCLIP-trained ones. */
  activation: ActivationName;
}

/** Parameter specs of `<prefix>.resblocks.*`. */
export function clipTransformerSpecs(prefix: string, s: ClipTransformerShape): ParamSpec[] {
  const w = s.width;
  const h = Math.round(s.mlpRatio * w);
  const specs: ParamSpec[] = [];
  for (let i = 0; i < s.layers; i++) {
    const p = `${prefix}.resblocks.${i}`;
    specs.push(
      {
        name: `${p}.attn.in_proj_weight`,
        shape: [3 * w, w],
        layout: 'linear',
        init: { kind: 'normal', std: w ** -0.5 },
      },
      { name: `${p}.attn.in_proj_bias`, shape: [3 * w], init: { kind: 'zeros' } },
      ...linearSpecs(`${p}.attn.out_proj`, w, w, normalLinear(w ** -0.5 * (2 * s.layers) ** -0.5)),
      ...layerNormSpecs(`${p}.ln_1`, w),
      ...linearSpecs(`${p}.mlp.c_fc`, w, h, normalLinear((2 * w) ** -0.5)),
      ...linearSpecs(`${p}.mlp.c_proj`, h, w, normalLinear(w ** -0.5 * (2 * s.layers) ** -0.5)),
      ...layerNormSpecs(`${p}.ln_2`, w),
    );
  }
  return specs;
}

/** Residual block `p` (pre-LN): `x + attn(ln_1(x))`, then `+ mlp(ln_2(·))`. */
function residualBlock(
  params: ParamStore,
  p: string,
  s: ClipTransformerShape,
  x: tf.Tensor3D,
  bias: tf.Tensor | null,
): tf.Tensor3D {
  const act = activation(s.activation);
  const g = (n: string) => params.get(n);
  return tf.tidy(() => {
    const a = selfAttention(
      layerNorm(x, g(`${p}.ln_1.weight`), g(`${p}.ln_1.bias`)) as tf.Tensor3D,
      g(`${p}.attn.in_proj_weight`),
      g(`${p}.attn.in_proj_bias`),
      g(`${p}.attn.out_proj.weight`),
      g(`${p}.attn.out_proj.bias`),
      s.heads,
      bias,
    );
    const h = tf.add(x, a);
    const n2 = layerNorm(h, g(`${p}.ln_2.weight`), g(`${p}.ln_2.bias`));
    const m = linear(
      act(linear(n2, g(`${p}.mlp.c_fc.weight`), g(`${p}.mlp.c_fc.bias`))),
      g(`${p}.mlp.c_proj.weight`),
      g(`${p}.mlp.c_proj.bias`),
    );
    return tf.add(h, m) as tf.Tensor3D;
  });
}

/**
 * Run the residual blocks: `x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))`.
 *
 * @param x [B, L, W]
 * @param bias additive attention bias (key padding and/or causal; see `attentionBias`) or null
 * @param checkpointed recompute each block's activations in the backward pass (`checkpoint` of `@pir/nn`)
 * @returns [B, L, W]
 */
export function clipTransformer(
  params: ParamStore,
  prefix: string,
  s: ClipTransformerShape,
  x: tf.Tensor3D,
  bias: tf.Tensor | null,
  checkpointed = false,
): tf.Tensor3D {
  return tf.tidy(() => {
    let h: tf.Tensor3D = x;
    for (let i = 0; i < s.layers; i++) {
      const p = `${prefix}.resblocks.${i}`;
      h = runBlock(
        checkpointed,
        params,
        `${p}.`,
        (a, keyBias) => residualBlock(params, p, s, a as tf.Tensor3D, keyBias ?? null),
        bias === null ? [h] : [h, bias],
      );
    }
    return h;
  });
}
