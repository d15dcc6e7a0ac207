/**
 * BERT encoder (HF `BertModel` layout): word + position + token-type embeddings, post-LN transformer layers,
 * optional pooler. Names as Hugging Face: `embeddings.word_embeddings`, `encoder.layer.{i}.attention.self.query`,
 * `attention.output.dense`, `attention.output.LayerNorm`, `intermediate.dense`, `output.dense`,
 * `output.LayerNorm`, `pooler.dense`.
 */

import {
  attentionBias,
  countParameters,
  embeddingSpecs,
  gelu,
  type HasParameters,
  layerNorm,
  layerNormSpecs,
  linear,
  linearSpecs,
  multiHeadAttention,
  type NamedParameter,
  type ParamSpec,
  ParamStore,
} from '@pir/nn';
import { getGlobalRng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput, TextEncoder } from '../contract.js';
import { check, checkPositiveInt, checkShape } from '../layers/errors.js';
import { runBlock } from './checkpointing.js';
import { normalLinear } from './init.js';
import type { TextModelOptions } from './options.js';
import { MissingTokenizer } from './tokenizer_stub.js';

/** Configuration of {@link BertEncoder} (HF `BertConfig` fields). */
export interface BertConfig {
  /** WordPiece vocabulary. bert-base-uncased: 30522. */
  vocabSize: number;
  /** Hidden width. 768. */
  hiddenSize: number;
  /** Layers. 12. */
  numLayers: number;
  /** Heads. 12. */
  numHeads: number;
  /** Feed-forward width. 3072. */
  intermediateSize: number;
  /** Position embeddings. 512. */
  maxPositions: number;
  /** Token types. 2. */
  typeVocabSize: number;
  /** LayerNorm epsilon. 1e-12. */
  layerNormEps: number;
  /** Include `pooler.dense` (BertModel has it; its parameters count). Default true. */
  pooler: boolean;
  /**
   * `global`: `'cls'` = last hidden state of token 0 (PIR-ITR), `'pooler'` = `tanh(pooler.dense(h₀))`.
   * Default `'cls'`.
   */
  globalOutput: 'cls' | 'pooler';
  /**
   * Attention masking: `'mask'` honours the padding mask (default); `'none'` lets padding take part, as the
   * released PIR-ITR code does (PIR_SPEC §1).
   */
  attentionMask: 'mask' | 'none';
}

/** bert-base-uncased (`BertModel`: 109,482,240 parameters with the pooler). */
export const BERT_BASE: Readonly<BertConfig> = {
  vocabSize: 30522,
  hiddenSize: 768,
  numLayers: 12,
  numHeads: 12,
  intermediateSize: 3072,
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  pooler: true,
  globalOutput: 'cls',
  attentionMask: 'mask',
};

/** Tiny BERT for tests: vocabulary 50, width 32, 2 layers, 4 heads, FFN 64, 16 positions. */
export const BERT_TEST: Readonly<BertConfig> = {
  ...BERT_BASE,
  vocabSize: 50,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  intermediateSize: 64,
  maxPositions: 16,
};

/** Parameter specs with Hugging Face names (no `bert.` prefix). */
export function bertSpecs(c: BertConfig): ParamSpec[] {
  const w = 'BertEncoder';
  for (const f of [
    'vocabSize',
    'hiddenSize',
    'numLayers',
    'numHeads',
    'intermediateSize',
    'maxPositions',
    'typeVocabSize',
  ] as const) {
    checkPositiveInt(w, f, c[f]);
  }
  check(
    c.hiddenSize % c.numHeads === 0,
    w,
    'numHeads',
    () => `hiddenSize ${c.hiddenSize} must be divisible by numHeads ${c.numHeads}`,
  );
  const h = c.hiddenSize;
  const specs: ParamSpec[] = [
    ...embeddingSpecs('embeddings.word_embeddings', c.vocabSize, h),
    ...embeddingSpecs('embeddings.position_embeddings', c.maxPositions, h),
    ...embeddingSpecs('embeddings.token_type_embeddings', c.typeVocabSize, h),
    ...layerNormSpecs('embeddings.LayerNorm', h),
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.layer.${i}`;
    specs.push(
      ...linearSpecs(`${p}.attention.self.query`, h, h, normalLinear()),
      ...linearSpecs(`${p}.attention.self.key`, h, h, normalLinear()),
      ...linearSpecs(`${p}.attention.self.value`, h, h, normalLinear()),
      ...linearSpecs(`${p}.attention.output.dense`, h, h, normalLinear()),
      ...layerNormSpecs(`${p}.attention.output.LayerNorm`, h),
      ...linearSpecs(`${p}.intermediate.dense`, h, c.intermediateSize, normalLinear()),
      ...linearSpecs(`${p}.output.dense`, c.intermediateSize, h, normalLinear()),
      ...layerNormSpecs(`${p}.output.LayerNorm`, h),
    );
  }
  if (c.pooler) specs.push(...linearSpecs('pooler.dense', h, h, normalLinear()));
  return specs;
}

/**
 * BERT implementing {@link TextEncoder}.
 *
 * `encode(ids [B, L], mask [B, L])` → `global` [B, H] ([CLS] hidden state, or the pooler output),
 * `local` [B, L, H] (last hidden states), `mask` [B, L] float32. Token types are all 0.
 * Load HF weights with `loadStateDict(bert, sd)` (or `{ prefix: 'bert.' }` for pre-training checkpoints);
 * the `embeddings.position_ids` buffer is ignored.
 * @example
 * ```ts
 * const bert = new BertEncoder(BERT_TEST);
 * const out = bert.encode(tf.tensor2d([[2, 7, 3, 0]], undefined, 'int32'), tf.tensor2d([[1, 1, 1, 0]]));
 * out.local.shape; // [1, 4, 32]
 * ```
 */
export class BertEncoder implements TextEncoder, HasParameters {
  readonly config: Readonly<BertConfig>;
  readonly params: ParamStore;
  readonly dim: number;
  readonly tokenizer;
  readonly ignoredKeys: readonly RegExp[] = [/^embeddings\.position_ids$/];
  /**
   * Recompute each layer's activations in the backward pass instead of keeping them (`checkpoint` of
   * `@pir/nn`): same gradients, memory of one layer's activations plus each layer's input. Default false.
   */
  gradientCheckpointing = false;

  /**
   * @param config fields that differ from bert-base-uncased ({@link BERT_BASE}), the default — e.g. a named test size:
   *   `new BertEncoder(BERT_TEST)`; `listEncoders()` lists every named size
   */
  constructor(config: Partial<BertConfig> = {}, options: TextModelOptions = {}) {
    this.config = { ...BERT_BASE, ...config };
    this.params = new ParamStore(bertSpecs(this.config), options.rng ?? getGlobalRng(), 'BertEncoder');
    this.dim = this.config.hiddenSize;
    this.tokenizer =
      options.tokenizer ??
      new MissingTokenizer(this.config.vocabSize, this.config.maxPositions, 'BertEncoder');
  }

  /** Parameter count of a configuration without allocating it. */
  static countParameters(config: BertConfig): number {
    return countParameters(bertSpecs(config));
  }

  /**
   * @param ids [B, L] int32, L ≤ maxPositions
   * @param mask [B, L] 1 = real token, 0 = padding
   */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D, _training = false): EncoderOutput {
    const c = this.config;
    const where = 'BertEncoder.encode';
    checkShape(where, 'ids', ids.shape, [-1, -1]);
    checkShape(where, 'mask', mask.shape, ids.shape);
    const [b, l] = ids.shape;
    check(
      l <= c.maxPositions,
      where,
      'ids',
      () => `sequence length ${l} exceeds maxPositions ${c.maxPositions}`,
    );
    check(
      c.globalOutput === 'cls' || c.pooler,
      where,
      'globalOutput',
      () => "globalOutput 'pooler' needs pooler: true",
    );
    return tf.tidy(() => {
      const g = (n: string) => this.params.get(n);
      const eps = c.layerNormEps;
      const h = c.hiddenSize;
      const maskF = tf.cast(mask, 'float32') as tf.Tensor2D;
      const word = tf.gather(g('embeddings.word_embeddings.weight'), tf.cast(ids, 'int32')); // [B, L, H]
      const pos = tf.slice(g('embeddings.position_embeddings.weight'), [0, 0], [l, h]); // [L, H]
      const type = tf.slice(g('embeddings.token_type_embeddings.weight'), [0, 0], [1, h]); // [1, H] (type 0)
      let x = layerNorm(
        tf.add(tf.add(word, pos), type),
        g('embeddings.LayerNorm.weight'),
        g('embeddings.LayerNorm.bias'),
        eps,
      ) as tf.Tensor3D;
      const bias = c.attentionMask === 'mask' ? attentionBias({ keyMask: maskF }) : null;
      for (let i = 0; i < c.numLayers; i++) {
        const inputs = bias === null ? [x] : [x, bias];
        x = runBlock(
          this.gradientCheckpointing,
          this.params,
          `encoder.layer.${i}.`,
          (prev, keyBias) => this.layer(i, prev as tf.Tensor3D, keyBias ?? null),
          inputs,
        );
      }
      const cls = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, h]), [b, h]) as tf.Tensor2D; // [B, H]
      const global =
        c.globalOutput === 'pooler'
          ? (tf.tanh(linear(cls, g('pooler.dense.weight'), g('pooler.dense.bias'))) as tf.Tensor2D)
          : cls;
      return { global, local: x, mask: maskF };
    });
  }

  /** Layer `i` (post-LN): self-attention + residual + LayerNorm, then the MLP + residual + LayerNorm. */
  private layer(i: number, prev: tf.Tensor3D, bias: tf.Tensor | null): tf.Tensor3D {
    const c = this.config;
    const eps = c.layerNormEps;
    const p = `encoder.layer.${i}`;
    const g = (n: string) => this.params.get(n);
    const lin = (name: string, t: tf.Tensor) => linear(t, g(`${p}.${name}.weight`), g(`${p}.${name}.bias`));
    return tf.tidy(() => {
      const q = lin('attention.self.query', prev) as tf.Tensor3D;
      const k = lin('attention.self.key', prev) as tf.Tensor3D;
      const v = lin('attention.self.value', prev) as tf.Tensor3D;
      const a = lin('attention.output.dense', multiHeadAttention(q, k, v, c.numHeads, bias));
      const h1 = layerNorm(
        tf.add(a, prev),
        g(`${p}.attention.output.LayerNorm.weight`),
        g(`${p}.attention.output.LayerNorm.bias`),
        eps,
      );
      const f = lin('output.dense', gelu(lin('intermediate.dense', h1)));
      return layerNorm(
        tf.add(f, h1),
        g(`${p}.output.LayerNorm.weight`),
        g(`${p}.output.LayerNorm.bias`),
        eps,
      ) as tf.Tensor3D;
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

  /** Free the weights. */
  dispose(): void {
    this.params.dispose();
  }
}
