/**
 * The PAE modules as serializable `tf.layers.Layer`s. Each holds its weights under the released PIR names
 * (see {@link loadStateDict}); `call()` runs the functional form of `functional.ts` inside `tidy`.
 */

import { linearSpecs, type ParamSpec } from '@pir/nn';
import * as tf from '@tensorflow/tfjs-core';
import { AttentionLayer, type AttentionLayerArgs, PaeLayer, type PaeLayerArgs, type Shape } from './base.js';
import { PaeInputError } from './errors.js';
import {
  crossAttentionBlock,
  feedForward,
  headFusion,
  mhatt,
  pael,
  selfAttentionBlock,
  spatialPae,
  temporalPae,
} from './functional.js';
import { caSpecs, ffnSpecs, mhaSpecs, paeSpecs, saSpecs } from './specs.js';

/** Keyword arguments of `call` (`{ training }`). */
export type Kwargs = Record<string, unknown>;

function list(fn: string, inputs: tf.Tensor | tf.Tensor[], counts: number[]): tf.Tensor[] {
  const l = Array.isArray(inputs) ? inputs : [inputs];
  if (!counts.includes(l.length)) {
    throw new PaeInputError(
      fn,
      'inputs',
      `expected ${counts.join(' or ')} input tensor(s), got ${l.length}.`,
    );
  }
  return l;
}

function first(inputShape: Shape | Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}

/** Args of layers whose weights sit under a configurable prefix. */
export interface NamedArgs {
  /**
   * Prefix of the parameter names in state dicts (e.g. `'img_sa.0'`); default `''`. (Serialized as
   * `{name: …}`: tfjs camel-cases every string in a saved config except values under a `name` key, which
   * would turn `head_img` into `headImg`.)
   */
  stateName?: string | { name: string };
}

function readStateName(v: string | { name: string } | undefined, fallback: string): string {
  if (v === undefined) return fallback;
  return typeof v === 'string' ? v : v.name;
}

/**
 * Trainable multi-head attention from matMul/softmax: `[q, k, v(, mask)] → [B, Tq, D]`.
 * Weights `linear_{q,k,v,merge}.{weight,bias}` (PyTorch names; the variables hold [in, out]).
 * @example
 * ```ts
 * const mha = new MultiHeadAttention({ dim: 16, heads: 4 });
 * mha.apply([q, k, v, keyMask]) as tf.Tensor; // [B, Tq, 16]
 * ```
 */
export class MultiHeadAttention extends AttentionLayer {
  static className = 'PirMultiHeadAttention';
  readonly stateName: string;
  constructor(args: AttentionLayerArgs & NamedArgs = {}) {
    super(args);
    this.stateName = readStateName(args.stateName, '');
  }
  protected configSpecs(): ParamSpec[] {
    return mhaSpecs(this.stateName, this.dim);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...first(inputShape)];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [q, k, v, mask] = list('MultiHeadAttention', inputs, [3, 4]) as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
        tf.Tensor?,
      ];
      this.checkTokens('q', q);
      this.checkTokens('k', k);
      this.checkTokens('v', v);
      this.checkMask(k, mask);
      const o = this.blockOptions(mask, kwargs);
      return mhatt(this.params(), this.stateName, q, k, v, {
        heads: o.heads,
        dropout: { rate: o.dropout, training: o.training, nextSeed: o.nextSeed },
        ...(o.mask === undefined ? {} : { mask: o.mask }),
      });
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stateName: { name: this.stateName } };
  }
}
tf.serialization.registerClass(MultiHeadAttention, 'pir');

/** FFN: Linear(D→2D) → LayerNorm(2D) → GELU → Linear(2D→D); weights `0.*`, `1.*`, `3.*`. `x → x'`. */
export class FeedForward extends PaeLayer {
  static className = 'PirFeedForward';
  readonly stateName: string;
  constructor(args: PaeLayerArgs & NamedArgs = {}) {
    super(args);
    this.stateName = readStateName(args.stateName, '');
  }
  protected configSpecs(): ParamSpec[] {
    return ffnSpecs(this.stateName, this.dim);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...first(inputShape)];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x] = list('FeedForward', inputs, [1]) as [tf.Tensor];
      if (x.shape[x.rank - 1] !== this.dim) {
        throw new PaeInputError('FeedForward', 'x', `x must end in D = ${this.dim}, got [${x.shape}].`);
      }
      return feedForward(this.params(), this.stateName, x);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stateName: { name: this.stateName } };
  }
}
tf.serialization.registerClass(FeedForward, 'pir');

/** SA block (post-LN): `[x(, mask)] → [B, T, D]`; weights `mhatt.*`, `ffn.*`, `norm1.*`, `norm2.*`. */
export class SelfAttention extends AttentionLayer {
  static className = 'PirSelfAttention';
  readonly stateName: string;
  constructor(args: AttentionLayerArgs & NamedArgs = {}) {
    super(args);
    this.stateName = readStateName(args.stateName, '');
  }
  protected configSpecs(): ParamSpec[] {
    return saSpecs(this.stateName, this.dim);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...first(inputShape)];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [x, mask] = list('SelfAttention', inputs, [1, 2]) as [tf.Tensor, tf.Tensor?];
      this.checkTokens('x', x);
      this.checkMask(x, mask);
      return selfAttentionBlock(this.params(), this.stateName, x, this.blockOptions(mask, kwargs));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stateName: { name: this.stateName } };
  }
}
tf.serialization.registerClass(SelfAttention, 'pir');

/**
 * CA block (post-LN, queries from x, keys/values and residual from y): `[x, y(, mask of y)] → [B, T, D]`
 * (x [B, T, D], or [B, 1, D] for one query broadcast to every row);
 * weights `mhatt_cross.*`, `ffn.*`, `norm1.*`, `norm2.*`.
 */
export class CrossAttention extends AttentionLayer {
  static className = 'PirCrossAttention';
  readonly stateName: string;
  constructor(args: AttentionLayerArgs & NamedArgs = {}) {
    super(args);
    this.stateName = readStateName(args.stateName, '');
  }
  protected configSpecs(): ParamSpec[] {
    return caSpecs(this.stateName, this.dim);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...((inputShape as Shape[])[1] ?? first(inputShape))];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [x, y, mask] = list('CrossAttention', inputs, [2, 3]) as [tf.Tensor, tf.Tensor, tf.Tensor?];
      this.checkTokens('x', x);
      this.checkTokens('y', y);
      if (x.shape[0] !== y.shape[0] || (x.shape[1] !== y.shape[1] && x.shape[1] !== 1)) {
        throw new PaeInputError(
          'CrossAttention',
          'y',
          `x [${x.shape}] and y [${y.shape}] must have the same B, and the same T or x with T = 1 (the residual is on y).`,
        );
      }
      this.checkMask(y, mask);
      return crossAttentionBlock(this.params(), this.stateName, x, y, this.blockOptions(mask, kwargs));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stateName: { name: this.stateName } };
  }
}
tf.serialization.registerClass(CrossAttention, 'pir');

/** PAEL(x, c) = SA then CA: `[x, c(, mask)] → CA(c, SA(x))` [B, T, D]; weights `sa.*`, `ca.*`. */
export class PAEL extends AttentionLayer {
  static className = 'PirPAEL';
  protected configSpecs(): ParamSpec[] {
    return [...saSpecs('sa', this.dim), ...caSpecs('ca', this.dim)];
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...first(inputShape)];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [x, c, mask] = list('PAEL', inputs, [2, 3]) as [tf.Tensor, tf.Tensor, tf.Tensor?];
      this.checkTokens('x', x);
      this.checkTokens('c', c);
      this.checkMask(x, mask);
      return pael(this.params(), { sa: 'sa', ca: 'ca' }, x, c, this.blockOptions(mask, kwargs));
    });
  }
}
tf.serialization.registerClass(PAEL, 'pir');

/** Config of {@link SpatialPAE} / {@link TemporalPAE}. */
export interface PaeStackArgs extends AttentionLayerArgs {
  /** Number of PAE layers (Spatial-PAE: 2, Temporal-PAE: 3). */
  layers?: number;
}

function checkLayers(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new PaeInputError(fn, 'layers', `layers must be a positive integer, got ${n}.`);
}

/**
 * Spatial-PAE (vision): `[tokens [B, K, D], instruction u [B, D] | [B, 1, D](, mask [B, K])] → [B, K, D]`.
 * Per layer: `s = SA_i(h)`, `h = CA_i(M_i(u) broadcast to K rows, s)`. Weights `img_sa.{i}.*`,
 * `img_ca.{i}.*`, `mapping_img.{i}.*` as in the released checkpoints.
 * @example
 * ```ts
 * const pae = new SpatialPAE({ dim: 512, heads: 8, layers: 2 });
 * const h = pae.apply([keptTokens, u]) as tf.Tensor; // [B, 40, 512]
 * ```
 */
export class SpatialPAE extends AttentionLayer {
  static className = 'PirSpatialPAE';
  readonly layers: number;
  static readonly NAMES = { sa: 'img_sa', ca: 'img_ca', mapping: 'mapping_img' } as const;
  constructor(args: PaeStackArgs = {}) {
    super(args);
    this.layers = args.layers ?? 2;
    checkLayers('SpatialPAE', this.layers);
  }
  protected configSpecs(): ParamSpec[] {
    return paeSpecs(SpatialPAE.NAMES, this.layers, this.dim);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...first(inputShape)];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [tokens, u, mask] = list('SpatialPAE', inputs, [2, 3]) as [tf.Tensor3D, tf.Tensor, tf.Tensor?];
      this.checkTokens('tokens', tokens);
      const b = tokens.shape[0];
      if (u.size !== b * this.dim || u.shape[0] !== b) {
        throw new PaeInputError(
          'SpatialPAE',
          'instruction',
          `instruction must be [B, D] = [${b}, ${this.dim}] or [B, 1, D], got [${u.shape}].`,
        );
      }
      this.checkMask(tokens, mask);
      return spatialPae(this.params(), tokens, u, {
        ...this.blockOptions(mask, kwargs),
        layers: this.layers,
        names: SpatialPAE.NAMES,
      });
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), layers: this.layers };
  }
}
tf.serialization.registerClass(SpatialPAE, 'pir');

/**
 * Temporal-PAE (text): `[tokens [B, L, D](, mask [B, L])] → [B, L, D]`. Per layer: `s = SA_i(h)`,
 * `h = CA_i(M_i(h), s)`. Weights `txt_sa.{i}.*`, `txt_ca.{i}.*`, `mapping_txt.{i}.*`. With masks on
 * (default), padding does not change token 0, hence not the caption embedding.
 */
export class TemporalPAE extends AttentionLayer {
  static className = 'PirTemporalPAE';
  readonly layers: number;
  static readonly NAMES = { sa: 'txt_sa', ca: 'txt_ca', mapping: 'mapping_txt' } as const;
  constructor(args: PaeStackArgs = {}) {
    super(args);
    this.layers = args.layers ?? 3;
    checkLayers('TemporalPAE', this.layers);
  }
  protected configSpecs(): ParamSpec[] {
    return paeSpecs(TemporalPAE.NAMES, this.layers, this.dim);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...first(inputShape)];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [tokens, mask] = list('TemporalPAE', inputs, [1, 2]) as [tf.Tensor3D, tf.Tensor?];
      this.checkTokens('tokens', tokens);
      this.checkMask(tokens, mask);
      return temporalPae(this.params(), tokens, {
        ...this.blockOptions(mask, kwargs),
        layers: this.layers,
        names: TemporalPAE.NAMES,
      });
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), layers: this.layers };
  }
}
tf.serialization.registerClass(TemporalPAE, 'pir');

/** Config of {@link PaeHead}. */
export interface PaeHeadArgs extends PaeLayerArgs, NamedArgs {
  /** L2-normalise the fused embedding (default true). */
  normalize?: boolean;
}

/**
 * Head and global fusion: `[global g [B, D], hLast [B, T, D]] → L2norm(g + Linear(hLast[:, 0]))` [B, D].
 * Weights `${stateName}.{weight,bias}` with `stateName` `'head_img'` (default) or `'head_txt'`.
 */
export class PaeHead extends PaeLayer {
  static className = 'PirPaeHead';
  readonly stateName: string;
  readonly normalize: boolean;
  constructor(args: PaeHeadArgs = {}) {
    super(args);
    this.stateName = readStateName(args.stateName, 'head_img');
    this.normalize = args.normalize ?? true;
  }
  protected configSpecs(): ParamSpec[] {
    return linearSpecs(this.stateName, this.dim, this.dim);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...first(inputShape)];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [g, h] = list('PaeHead', inputs, [2]) as [tf.Tensor, tf.Tensor];
      this.checkTokens('hLast', h);
      if (g.rank !== 2 || g.shape[0] !== h.shape[0] || g.shape[1] !== this.dim) {
        throw new PaeInputError(
          'PaeHead',
          'global',
          `global must be [B, D] = [${h.shape[0]}, ${this.dim}], got [${g.shape}].`,
        );
      }
      return headFusion(this.params(), this.stateName, g, h, this.normalize);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stateName: { name: this.stateName }, normalize: this.normalize };
  }
}
tf.serialization.registerClass(PaeHead, 'pir');
