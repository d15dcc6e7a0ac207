/**
 * Swin Transformer (Liu et al. 2021) in Microsoft's official layout (`microsoft/Swin-Transformer`,
 * `models/swin_transformer.py`): patch embedding + LayerNorm, stages of (shifted-)window attention blocks with a
 * relative position bias, patch merging at the END of each stage but the last, final `norm`, `head`.
 *
 * Names: `patch_embed.proj`, `patch_embed.norm`, `layers.{i}.blocks.{j}.norm1`, `.attn.qkv`, `.attn.proj`,
 * `.attn.relative_position_bias_table`, `.norm2`, `.mlp.fc1`, `.mlp.fc2`, `layers.{i}.downsample.norm`,
 * `layers.{i}.downsample.reduction`, `norm`, `head`. The buffers `relative_position_index` and `attn_mask` are
 * recomputed here (ignored when a state dict has them). timm ≥ 0.9 checkpoints name things differently:
 * map them with the `swinTimm` name map of `src/weights` first.
 *
 * PIR-ITR's vision encoder is Swin-T ({@link SWIN_T}): `encode` returns `global` = average-pooled final
 * tokens [B, 768] and `local` = the final 7×7 stage tokens [B, 49, 768] (PIR's 50 tokens are
 * `[global; local]`, see {@link SwinTransformer.tokens}).
 */

import {
  attendHeads,
  conv2dSpecs,
  countParameters,
  gelu,
  type HasParameters,
  layerNorm,
  layerNormSpecs,
  linear,
  linearSpecs,
  type NamedParameter,
  type ParamSpec,
  ParamStore,
} from '@pir/nn';
import { getGlobalRng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput, VisionEncoder } from '../contract.js';
import { patchEmbed } from '../layers/conv.js';
import { check, checkPositiveInt, checkShape } from '../layers/errors.js';
import { runBlock } from './checkpointing.js';
import { normalLinear } from './init.js';
import type { ModelOptions } from './options.js';

/** Configuration of {@link SwinTransformer}. */
export interface SwinConfig {
  /** Input side in pixels (square). Swin-T: 224. */
  imageSize: number;
  /** Patch side of the stem (kernel = stride). Swin-T: 4. */
  patchSize: number;
  /** Window side (tokens). Swin-T: 7. A stage whose resolution is ≤ window uses one window and no shift. */
  windowSize: number;
  /** Width of stage 1 (doubles per stage). Swin-T: 96 (→ 768 at stage 4). */
  embedDim: number;
  /** Blocks per stage. Swin-T: [2, 2, 6, 2]. */
  depths: number[];
  /** Heads per stage. Swin-T: [3, 6, 12, 24]. */
  numHeads: number[];
  /** MLP ratio. 4. */
  mlpRatio: number;
  /** Classes of `head`; 0 = no head. ImageNet checkpoints: 1000. */
  numClasses: number;
  /** LayerNorm epsilon. 1e-5. */
  eps: number;
}

/** Swin-T (28,288,354 parameters with the 1000-class head, as PyTorch counts them). */
export const SWIN_T: Readonly<SwinConfig> = {
  imageSize: 224,
  patchSize: 4,
  windowSize: 7,
  embedDim: 96,
  depths: [2, 2, 6, 2],
  numHeads: [3, 6, 12, 24],
  mlpRatio: 4,
  numClasses: 1000,
  eps: 1e-5,
};

/**
 * Tiny Swin for tests: 32 px, patch 2 (16×16 tokens), window 4. Stages at 16², 8² (shifted windows and the
 * cyclic-shift mask are exercised), 4² (one window, no shift) and 2² (window shrunk to 2), width 8 → 64,
 * MLP ratio 2.
 */
export const SWIN_TEST: Readonly<SwinConfig> = {
  imageSize: 32,
  patchSize: 2,
  windowSize: 4,
  embedDim: 8,
  depths: [2, 2, 2, 1],
  numHeads: [1, 2, 2, 4],
  mlpRatio: 2,
  numClasses: 5,
  eps: 1e-5,
};

/** Per-stage geometry, as the official `BasicLayer` / `SwinTransformerBlock` compute it. */
interface StagePlan {
  /** Tokens per side at this stage. */
  res: number;
  dim: number;
  heads: number;
  depth: number;
  /** Effective window (= res when res ≤ windowSize). */
  window: number;
  /** Shift of odd blocks (0 when res ≤ windowSize). */
  shift: number;
  /** Patch merging after this stage. */
  merge: boolean;
}

function checkConfig(c: SwinConfig): void {
  const w = 'SwinTransformer';
  for (const f of ['imageSize', 'patchSize', 'windowSize', 'embedDim'] as const) checkPositiveInt(w, f, c[f]);
  check(
    c.depths.length > 0 && c.depths.length === c.numHeads.length,
    w,
    'numHeads',
    () => `depths (${c.depths.length} stages) and numHeads (${c.numHeads.length}) must have the same length`,
  );
  for (const d of c.depths) checkPositiveInt(w, 'depths', d);
  check(
    c.imageSize % c.patchSize === 0,
    w,
    'imageSize',
    () => `imageSize ${c.imageSize} must be a multiple of patchSize ${c.patchSize}`,
  );
  check(
    Number.isInteger(c.numClasses) && c.numClasses >= 0,
    w,
    'numClasses',
    () => `numClasses must be an integer ≥ 0, got ${c.numClasses}`,
  );
}

function stagePlan(c: SwinConfig): StagePlan[] {
  checkConfig(c);
  const stages: StagePlan[] = [];
  let res = c.imageSize / c.patchSize;
  for (let i = 0; i < c.depths.length; i++) {
    const dim = c.embedDim * 2 ** i;
    const heads = c.numHeads[i] as number;
    check(
      Number.isInteger(heads) && heads > 0 && dim % heads === 0,
      'SwinTransformer',
      'numHeads',
      () => `stage ${i} width ${dim} must be divisible by numHeads[${i}] = ${heads}`,
    );
    const small = res <= c.windowSize;
    const window = small ? res : c.windowSize;
    check(
      res % window === 0,
      'SwinTransformer',
      'windowSize',
      () => `stage ${i} resolution ${res} must be a multiple of windowSize ${c.windowSize}`,
    );
    const merge = i < c.depths.length - 1;
    check(
      !merge || res % 2 === 0,
      'SwinTransformer',
      'imageSize',
      () => `stage ${i} resolution ${res} must be even for patch merging`,
    );
    stages.push({
      res,
      dim,
      heads,
      depth: c.depths[i] as number,
      window,
      shift: small ? 0 : Math.floor(c.windowSize / 2),
      merge,
    });
    if (merge) res /= 2;
  }
  return stages;
}

/** Parameter specs with the official Swin names. */
export function swinSpecs(c: SwinConfig): ParamSpec[] {
  const stages = stagePlan(c);
  const specs: ParamSpec[] = [
    ...conv2dSpecs('patch_embed.proj', 3, c.embedDim, c.patchSize, true),
    ...layerNormSpecs('patch_embed.norm', c.embedDim),
  ];
  stages.forEach((s, i) => {
    const hidden = Math.round(s.dim * c.mlpRatio);
    for (let j = 0; j < s.depth; j++) {
      const p = `layers.${i}.blocks.${j}`;
      specs.push(
        ...layerNormSpecs(`${p}.norm1`, s.dim),
        {
          name: `${p}.attn.relative_position_bias_table`,
          shape: [(2 * s.window - 1) ** 2, s.heads],
          init: { kind: 'normal', std: 0.02 },
        },
        ...linearSpecs(`${p}.attn.qkv`, s.dim, 3 * s.dim, normalLinear()),
        ...linearSpecs(`${p}.attn.proj`, s.dim, s.dim, normalLinear()),
        ...layerNormSpecs(`${p}.norm2`, s.dim),
        ...linearSpecs(`${p}.mlp.fc1`, s.dim, hidden, normalLinear()),
        ...linearSpecs(`${p}.mlp.fc2`, hidden, s.dim, normalLinear()),
      );
    }
    if (s.merge) {
      specs.push(
        ...linearSpecs(`layers.${i}.downsample.reduction`, 4 * s.dim, 2 * s.dim, normalLinear(0.02, false)),
        ...layerNormSpecs(`layers.${i}.downsample.norm`, 4 * s.dim),
      );
    }
  });
  const last = stages[stages.length - 1] as StagePlan;
  specs.push(...layerNormSpecs('norm', last.dim));
  if (c.numClasses > 0) specs.push(...linearSpecs('head', last.dim, c.numClasses, normalLinear()));
  return specs;
}

/**
 * The official `relative_position_index` of a `w`×`w` window: for query i and key j (row-major in the
 * window), `(Δrow + w − 1)·(2w − 1) + (Δcol + w − 1)`.
 * @returns [w², w²] indices into the bias table of (2w − 1)² rows, flattened row-major
 */
export function relativePositionIndex(w: number): Int32Array {
  const n = w * w;
  const idx = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dr = Math.floor(i / w) - Math.floor(j / w) + w - 1;
      const dc = (i % w) - (j % w) + w - 1;
      idx[i * n + j] = dr * (2 * w - 1) + dc;
    }
  }
  return idx;
}

/**
 * The official attention mask of shifted windows: after the cyclic shift by `shift`, tokens of one window that
 * came from different image regions must not attend to each other (−100 between regions, 0 within).
 * @param res tokens per side
 * @param w window side
 * @param shift shift size (> 0)
 * @returns [nW, w², w²] flattened (nW = (res/w)², windows row-major)
 */
export function shiftedWindowMask(res: number, w: number, shift: number): Float32Array {
  // region label of each (row, col): the slices (0, −w), (−w, −shift), (−shift, ∞) in each direction
  const band = (r: number) => (r < res - w ? 0 : r < res - shift ? 1 : 2);
  const nw = res / w;
  const n = w * w;
  const out = new Float32Array(nw * nw * n * n);
  for (let wr = 0; wr < nw; wr++) {
    for (let wc = 0; wc < nw; wc++) {
      const labels: number[] = [];
      for (let r = 0; r < w; r++)
        for (let cc = 0; cc < w; cc++) labels.push(band(wr * w + r) * 3 + band(wc * w + cc));
      const base = (wr * nw + wc) * n * n;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) out[base + i * n + j] = labels[i] === labels[j] ? 0 : -100;
    }
  }
  return out;
}

/**
 * Cyclic shift of a [B, H, W, C] map by `s` along H and W (`torch.roll(x, (s, s), (1, 2))`; `s` may be
 * negative).
 */
export function roll2d(x: tf.Tensor4D, s: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const k = ((s % h) + h) % h;
  if (k === 0) return tf.clone(x);
  return tf.tidy(() => {
    // rows: the last k rows come first
    const rows = tf.concat(
      [tf.slice(x, [0, h - k, 0, 0], [b, k, w, c]), tf.slice(x, [0, 0, 0, 0], [b, h - k, w, c])],
      1,
    );
    const kw = ((s % w) + w) % w;
    return tf.concat(
      [tf.slice(rows, [0, 0, w - kw, 0], [b, h, kw, c]), tf.slice(rows, [0, 0, 0, 0], [b, h, w - kw, c])],
      2,
    ) as tf.Tensor4D;
  });
}

/** [B, H, W, C] → [B·nW, w², C] (windows row-major, tokens row-major within a window). */
export function windowPartition(x: tf.Tensor4D, w: number): tf.Tensor3D {
  const [b, h, wd, c] = x.shape;
  return tf.tidy(() => {
    const t = tf.reshape(x, [b, h / w, w, wd / w, w, c]); // [B, nH, w, nW, w, C]
    const p = tf.transpose(t, [0, 1, 3, 2, 4, 5]); // [B, nH, nW, w, w, C]
    return tf.reshape(p, [b * (h / w) * (wd / w), w * w, c]) as tf.Tensor3D; // [B·nW, w², C]
  });
}

/** Inverse of {@link windowPartition}: [B·nW, w², C] → [B, H, W, C]. */
export function windowReverse(x: tf.Tensor3D, w: number, h: number, wd: number): tf.Tensor4D {
  const c = x.shape[2];
  const b = x.shape[0] / ((h / w) * (wd / w));
  return tf.tidy(() => {
    const t = tf.reshape(x, [b, h / w, wd / w, w, w, c]); // [B, nH, nW, w, w, C]
    const p = tf.transpose(t, [0, 1, 3, 2, 4, 5]); // [B, nH, w, nW, w, C]
    return tf.reshape(p, [b, h, wd, c]) as tf.Tensor4D;
  });
}

/**
 * Official `PatchMerging` on a [B, H, W, C] map: concatenate the 2×2 neighbours in the order
 * x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2], then LayerNorm(4C) and a bias-free Linear 4C → 2C.
 * @returns [B, H/2, W/2, 2C]
 */
export function patchMerging(
  x: tf.Tensor4D,
  normWeight: tf.Tensor,
  normBias: tf.Tensor,
  reduction: tf.Tensor,
  eps = 1e-5,
): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => {
    const t = tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]); // [B, H/2, hi, W/2, wi, C]
    const p = tf.transpose(t, [0, 1, 3, 4, 2, 5]); // [B, H/2, W/2, wi, hi, C]: (0,0), (0,1)=x1, (1,0)=x2, (1,1)
    const cat = tf.reshape(p, [b, h / 2, w / 2, 4 * c]); // [B, H/2, W/2, 4C]
    return linear(layerNorm(cat, normWeight, normBias, eps), reduction) as tf.Tensor4D; // [B, H/2, W/2, 2C]
  });
}

/**
 * Swin Transformer implementing {@link VisionEncoder}, with the official parameter names.
 *
 * `encode(images [B, S, S, 3])` → `global` [B, D] = mean of the final normalised tokens (the official
 * `avgpool`), `local` [B, r², D] = the final stage's tokens after `norm` (Swin-T at 224 px: D = 768, r = 7).
 * `logits(images)` → [B, numClasses] through `head`. Dropout and stochastic depth are not applied
 * (inference semantics; `training` is accepted for the contract).
 * @example
 * ```ts
 * const swin = new SwinTransformer(SWIN_TEST);
 * const { global, local } = swin.encode(tf.zeros([2, 32, 32, 3]));
 * global.shape; // [2, 64]
 * local.shape; // [2, 4, 64]
 * ```
 */
export class SwinTransformer implements VisionEncoder, HasParameters {
  readonly config: Readonly<SwinConfig>;
  readonly params: ParamStore;
  readonly dim: number;
  /** N of `encode(...).local`: the last stage's grid, (imageSize / patchSize / 2^(stages−1))². */
  readonly localTokens: number;
  /** Buffers of official checkpoints that are recomputed here. */
  readonly ignoredKeys = [/(^|\.)relative_position_index$/, /(^|\.)attn_mask$/];
  /**
   * Recompute each block's activations in the backward pass instead of keeping them (`checkpoint` of
   * `@pir/nn`): same gradients, memory of one block's activations plus each block's input. Default false.
   */
  gradientCheckpointing = false;
  private readonly stages: StagePlan[];
  /** Per stage: relative position index [w²·w²] (int32) and, when shifted, the mask [1, nW, 1, w², w²]. */
  private readonly consts: { index: tf.Tensor1D; mask: tf.Tensor | null }[];

  /**
   * @param config fields that differ from Swin-T ({@link SWIN_T}), the default — e.g. a named test size:
   *   `new SwinTransformer(SWIN_TEST)`; `listEncoders()` lists every named size
   */
  constructor(config: Partial<SwinConfig> = {}, options: ModelOptions = {}) {
    this.config = { ...SWIN_T, ...config };
    this.stages = stagePlan(this.config);
    this.params = new ParamStore(swinSpecs(this.config), options.rng ?? getGlobalRng(), 'SwinTransformer');
    const last = this.stages[this.stages.length - 1] as StagePlan;
    this.dim = last.dim;
    this.localTokens = last.res * last.res;
    this.consts = this.stages.map((s) => {
      const n = s.window * s.window;
      const nw = (s.res / s.window) ** 2;
      return {
        index: tf.tensor1d(relativePositionIndex(s.window), 'int32'),
        mask:
          s.shift > 0 && s.depth > 1
            ? tf.tensor(shiftedWindowMask(s.res, s.window, s.shift), [1, nw, 1, n, n])
            : null,
      };
    });
  }

  /** Parameter count of a configuration without allocating it (PyTorch's `parameters()`). */
  static countParameters(config: SwinConfig): number {
    return countParameters(swinSpecs(config));
  }

  /** One (shifted-)window attention block on [B, H, W, C]. */
  private block(x: tf.Tensor4D, stage: number, j: number): tf.Tensor4D {
    const s = this.stages[stage] as StagePlan;
    const k = this.consts[stage] as { index: tf.Tensor1D; mask: tf.Tensor | null };
    const p = `layers.${stage}.blocks.${j}`;
    const g = (n: string) => this.params.get(`${p}.${n}`);
    const eps = this.config.eps;
    const shift = j % 2 === 1 ? s.shift : 0;
    return tf.tidy(() => {
      const [b, h, w, c] = x.shape;
      const ws = s.window;
      const n = ws * ws;
      const nw = (h / ws) * (w / ws);
      const hd = c / s.heads;
      let y = layerNorm(x, g('norm1.weight'), g('norm1.bias'), eps) as tf.Tensor4D; // [B, H, W, C]
      if (shift > 0) y = roll2d(y, -shift);
      const win = windowPartition(y, ws); // [B·nW, n, C]
      const qkv = linear(win, g('attn.qkv.weight'), g('attn.qkv.bias')); // [B·nW, n, 3C]
      const heads = tf.transpose(tf.reshape(qkv, [b * nw, n, 3, s.heads, hd]), [2, 0, 3, 1, 4]); // [3, B·nW, H, n, hd]
      const [q, kk, v] = tf.unstack(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]; // [B·nW, H, n, hd]
      const table = g('attn.relative_position_bias_table'); // [(2w−1)², H]
      const rel = tf.transpose(tf.reshape(tf.gather(table, k.index), [n, n, s.heads]), [2, 0, 1]); // [H, n, n]
      // softmax(q kᵀ / √hd + relative bias (+ shift mask)) · v — @pir/nn's attention on split heads
      let ctx: tf.Tensor4D;
      if (shift > 0 && k.mask !== null) {
        // the mask differs per window: the nW windows of an image and the H heads side by side, [B, nW·H, …]
        const perImage = (t: tf.Tensor4D) => tf.reshape(t, [b, nw * s.heads, n, hd]) as tf.Tensor4D;
        const bias = tf.reshape(tf.add(tf.reshape(k.mask, [nw, 1, n, n]), rel), [1, nw * s.heads, n, n]);
        const att = attendHeads(perImage(q), perImage(kk), perImage(v), { bias }); // [B, nW·H, n, hd]
        ctx = tf.reshape(att, [b * nw, s.heads, n, hd]); // [B·nW, H, n, hd]
      } else {
        ctx = attendHeads(q, kk, v, { bias: rel }); // [B·nW, H, n, hd]
      }
      const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * nw, n, c]); // [B·nW, n, C]
      const attn = linear(merged, g('attn.proj.weight'), g('attn.proj.bias')) as tf.Tensor3D;
      let back = windowReverse(attn, ws, h, w); // [B, H, W, C]
      if (shift > 0) back = roll2d(back, shift);
      const x1 = tf.add(x, back) as tf.Tensor4D;
      const m = linear(
        gelu(
          linear(
            layerNorm(x1, g('norm2.weight'), g('norm2.bias'), eps),
            g('mlp.fc1.weight'),
            g('mlp.fc1.bias'),
          ),
        ),
        g('mlp.fc2.weight'),
        g('mlp.fc2.bias'),
      );
      return tf.add(x1, m) as tf.Tensor4D;
    });
  }

  /**
   * The final stage's map after `norm`.
   * @param images [B, S, S, 3] normalised (ImageNet mean/std), channels last
   * @returns [B, r, r, D]
   */
  features(images: tf.Tensor4D): tf.Tensor4D {
    const c = this.config;
    checkShape('SwinTransformer.encode', 'images', images.shape, [-1, c.imageSize, c.imageSize, 3]);
    const g = (n: string) => this.params.get(n);
    return tf.tidy(() => {
      let x = patchEmbed(images, g('patch_embed.proj.weight') as unknown as tf.Tensor4D, c.patchSize); // [B, r, r, C]
      x = tf.add(x, g('patch_embed.proj.bias'));
      x = layerNorm(x, g('patch_embed.norm.weight'), g('patch_embed.norm.bias'), c.eps) as tf.Tensor4D;
      this.stages.forEach((s, i) => {
        for (let j = 0; j < s.depth; j++)
          x = runBlock(
            this.gradientCheckpointing,
            this.params,
            `layers.${i}.blocks.${j}.`,
            (a) => this.block(a as tf.Tensor4D, i, j),
            [x],
          );
        if (s.merge) {
          const d = `layers.${i}.downsample`;
          x = patchMerging(x, g(`${d}.norm.weight`), g(`${d}.norm.bias`), g(`${d}.reduction.weight`), c.eps);
        }
      });
      return layerNorm(x, g('norm.weight'), g('norm.bias'), c.eps) as tf.Tensor4D;
    });
  }

  /** @param images [B, S, S, 3] normalised, channels last */
  encode(images: tf.Tensor4D, _training = false): EncoderOutput {
    return tf.tidy(() => {
      const f = this.features(images); // [B, r, r, D]
      const [b, h, w, d] = f.shape;
      const local = tf.reshape(f, [b, h * w, d]) as tf.Tensor3D; // [B, r², D]
      return { global: tf.mean(local, 1) as tf.Tensor2D, local };
    });
  }

  /**
   * PIR-ITR's token sequence: `[global; local]`.
   * @returns [B, 1 + r², D] (Swin-T at 224 px: [B, 50, 768])
   */
  tokens(images: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const { global, local } = this.encode(images);
      return tf.concat([tf.expandDims(global, 1), local], 1) as tf.Tensor3D;
    });
  }

  /** Class logits [B, numClasses] through `head`. */
  logits(images: tf.Tensor4D): tf.Tensor2D {
    check(
      this.config.numClasses > 0,
      'SwinTransformer.logits',
      'numClasses',
      () => 'this Swin has no head (numClasses = 0)',
    );
    return tf.tidy(() => {
      const { global } = this.encode(images);
      return linear(global, this.params.get('head.weight'), this.params.get('head.bias')) as tf.Tensor2D;
    });
  }

  /** Every parameter and buffer by PyTorch name, with its variable (`@pir/nn`'s `HasParameters`). */
  namedParameters(): NamedParameter[] {
    return this.params.namedParameters();
  }

  /** Trainable variables. */
  trainableVariables(): tf.Variable[] {
    return this.params.trainableVariables();
  }

  /** Free the weights and the index/mask constants. */
  dispose(): void {
    this.params.dispose();
    for (const k of this.consts) tf.dispose([k.index, ...(k.mask === null ? [] : [k.mask])]);
    this.consts.length = 0;
  }
}
