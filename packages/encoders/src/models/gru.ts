/**
 * GRU text encoder of the classic VSE baselines (VSE++, SCAN, …): word embedding + (bi)GRU, with
 * PyTorch `nn.GRU` gate order and names (`embed.weight`, `rnn.weight_ih_l0` [3H, In], `rnn.weight_hh_l0`
 * [3H, H], `rnn.bias_ih_l0`, `rnn.bias_hh_l0`, `…_reverse` for the backward direction; gates r, z, n):
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz),
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h.
 *
 * Padding is honoured exactly as PyTorch's `pack_padded_sequence` does it: at a padded step the state is
 * kept (forward) or still zero (backward, which therefore starts at the last real token), and the output is 0.
 * So a padded caption gives the same result as the unpadded one.
 */
import {
  countParameters,
  embeddingSpecs,
  type HasParameters,
  linear,
  type NamedParameter,
  type ParamSpec,
  ParamStore,
} from '@pir/nn';
import { getGlobalRng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput, TextEncoder, Tokenizer } from '../contract.js';
import { check, checkPositiveInt, checkShape } from '../layers/errors.js';
import type { TextModelOptions } from './options.js';
import { MissingTokenizer } from './tokenizer_stub.js';

/** Configuration of {@link GruTextEncoder}. */
export interface GruTextConfig {
  /** Vocabulary size (rows of `embed`). */
  vocabSize: number;
  /** Word-embedding width. VSE++/SCAN: 300. */
  wordDim: number;
  /** GRU hidden width H. VSE++/SCAN: 1024. */
  hiddenSize: number;
  /** Stacked GRU layers. 1. */
  numLayers: number;
  /** Run a backward direction too (SCAN: true; VSE++: false). */
  bidirectional: boolean;
  /**
   * How the two directions are combined in `local` and `global`: `'concat'` ([…, 2H], PyTorch's output) or
   * `'mean'` ([…, H], SCAN's `(fwd + bwd) / 2`). Ignored when unidirectional.
   */
  directionMerge: 'concat' | 'mean';
  /**
   * `global`: `'last'` = the final hidden state of each direction (PyTorch's `h_n` of the last layer: the
   * forward state after the last real token — VSE++'s "last step" — and the backward state after token 0),
   * or `'mean'` = the mean of `local` over real tokens.
   */
  pooling: 'last' | 'mean';
  /** Fixed sequence length of the tokenizer (captions are cut/padded to it). PIR word vocabularies: 32. */
  contextLength: number;
}

/** VSE-style bidirectional GRU: 300-d words, 1024-d hidden, one layer, directions averaged (SCAN). */
export const GRU_VSE: Readonly<GruTextConfig> = {
  vocabSize: 10000,
  wordDim: 300,
  hiddenSize: 1024,
  numLayers: 1,
  bidirectional: true,
  directionMerge: 'mean',
  pooling: 'last',
  contextLength: 32,
};

/** Tiny GRU for tests: vocab 30, words 8, hidden 6, two bidirectional layers, concatenated directions. */
export const GRU_TEST: Readonly<GruTextConfig> = {
  vocabSize: 30,
  wordDim: 8,
  hiddenSize: 6,
  numLayers: 2,
  bidirectional: true,
  directionMerge: 'concat',
  pooling: 'last',
  contextLength: 7,
};

function checkConfig(c: GruTextConfig): void {
  const w = 'GruTextEncoder';
  for (const f of ['vocabSize', 'wordDim', 'hiddenSize', 'numLayers', 'contextLength'] as const)
    checkPositiveInt(w, f, c[f]);
  check(
    c.directionMerge === 'concat' || c.directionMerge === 'mean',
    w,
    'directionMerge',
    () => `directionMerge must be 'concat' or 'mean', got '${String(c.directionMerge)}'`,
  );
  check(
    c.pooling === 'last' || c.pooling === 'mean',
    w,
    'pooling',
    () => `pooling must be 'last' or 'mean', got '${String(c.pooling)}'`,
  );
}

/** Parameter specs with `nn.Embedding` / `nn.GRU` names (`embed.weight`, `rnn.weight_ih_l0`, …). */
export function gruTextSpecs(c: GruTextConfig): ParamSpec[] {
  checkConfig(c);
  const h = c.hiddenSize;
  const dirs = c.bidirectional ? 2 : 1;
  const limit = 1 / Math.sqrt(h); // PyTorch's GRU init: U(−1/√H, 1/√H)
  const specs: ParamSpec[] = [...embeddingSpecs('embed', c.vocabSize, c.wordDim, 0.1)];
  for (let l = 0; l < c.numLayers; l++) {
    const inF = l === 0 ? c.wordDim : h * dirs;
    for (const sfx of c.bidirectional ? ['', '_reverse'] : ['']) {
      const u = { kind: 'uniform', limit } as const;
      specs.push(
        { name: `rnn.weight_ih_l${l}${sfx}`, shape: [3 * h, inF], layout: 'linear', init: u },
        { name: `rnn.weight_hh_l${l}${sfx}`, shape: [3 * h, h], layout: 'linear', init: u },
        { name: `rnn.bias_ih_l${l}${sfx}`, shape: [3 * h], init: u },
        { name: `rnn.bias_hh_l${l}${sfx}`, shape: [3 * h], init: u },
      );
    }
  }
  return specs;
}

/**
 * One GRU direction over a padded batch (PyTorch gate order r, z, n; padded steps keep the state and output 0).
 *
 * @param x [B, L, In]
 * @param mask [B, L] float, 1 = real token (real tokens first)
 * @param wih [In, 3H] (transpose of `weight_ih`), `whh` [H, 3H], `bih`, `bhh` [3H]
 * @param reverse run from the last step to the first
 * @returns `out` [B, L, H] (0 at padding) and `last` [B, H] (the final state)
 */
export function gruDirection(
  x: tf.Tensor3D,
  mask: tf.Tensor2D,
  wih: tf.Tensor,
  whh: tf.Tensor,
  bih: tf.Tensor,
  bhh: tf.Tensor,
  reverse = false,
): { out: tf.Tensor3D; last: tf.Tensor2D } {
  const [b, l] = x.shape;
  const h = whh.shape[0] as number;
  return tf.tidy(() => {
    const xg = linear(x, wih, bih); // [B, L, 3H]: all input projections in one GEMM
    let state: tf.Tensor2D = tf.zeros([b, h]);
    const outs: tf.Tensor2D[] = new Array(l);
    for (let s = 0; s < l; s++) {
      const t = reverse ? l - 1 - s : s;
      const xt = tf.reshape(tf.slice(xg, [0, t, 0], [b, 1, 3 * h]), [b, 3 * h]); // [B, 3H]
      const hg = tf.add(tf.matMul(state, whh as tf.Tensor2D), bhh); // [B, 3H]
      const [xr, xz, xn] = tf.split(xt, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const [hr, hz, hn] = tf.split(hg, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      const next = tf.add(n, tf.mul(z, tf.sub(state, n))); // (1 − z)·n + z·h
      const m = tf.slice(mask, [0, t], [b, 1]); // [B, 1]
      state = tf.add(state, tf.mul(m, tf.sub(next, state))) as tf.Tensor2D; // padded: keep
      outs[t] = tf.mul(next, m) as tf.Tensor2D; // padded: 0
    }
    return { out: tf.stack(outs, 1) as tf.Tensor3D, last: state };
  });
}

/**
 * GRU text encoder implementing {@link TextEncoder}.
 *
 * `encode(ids [B, L], mask [B, L])` → `local` [B, L, D] (0 at padding), `global` [B, D] (see
 * {@link GruTextConfig.pooling}), `mask` [B, L]; D = H, or 2H for bidirectional with `'concat'`. Load a
 * PyTorch model whose modules are named `embed` and `rnn` (VSE++'s `EncoderText`) with `loadStateDict`.
 * @example
 * ```ts
 * const enc = new GruTextEncoder(GRU_TEST);
 * const out = enc.encode(tf.tensor2d([[3, 4, 0]], undefined, 'int32'), tf.tensor2d([[1, 1, 0]]));
 * out.global.shape; // [1, 12]
 * out.local.shape; // [1, 3, 12]
 * ```
 */
export class GruTextEncoder implements TextEncoder, HasParameters {
  readonly config: Readonly<GruTextConfig>;
  readonly params: ParamStore;
  readonly dim: number;
  readonly tokenizer: Tokenizer;

  /**
   * @param config fields that differ from the VSE++ GRU ({@link GRU_VSE}), the default — e.g. a named test size:
   *   `new GruTextEncoder(GRU_TEST)`; `listEncoders()` lists every named size
   */
  constructor(config: Partial<GruTextConfig> = {}, options: TextModelOptions = {}) {
    this.config = { ...GRU_VSE, ...config };
    this.params = new ParamStore(gruTextSpecs(this.config), options.rng ?? getGlobalRng(), 'GruTextEncoder');
    const c = this.config;
    this.dim = c.bidirectional && c.directionMerge === 'concat' ? 2 * c.hiddenSize : c.hiddenSize;
    this.tokenizer =
      options.tokenizer ?? new MissingTokenizer(c.vocabSize, c.contextLength, 'GruTextEncoder');
  }

  /** Parameter count of a configuration without allocating it (PyTorch's `parameters()`). */
  static countParameters(config: GruTextConfig): number {
    return countParameters(gruTextSpecs(config));
  }

  /**
   * @param ids [B, L] int32 token ids
   * @param mask [B, L] 1 = real token, 0 = padding (real tokens first, as tokenizers pad)
   */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D, _training = false): EncoderOutput {
    checkShape('GruTextEncoder.encode', 'ids', ids.shape, [-1, -1]);
    checkShape('GruTextEncoder.encode', 'mask', mask.shape, [ids.shape[0], ids.shape[1]]);
    const c = this.config;
    const g = (n: string) => this.params.get(n);
    return tf.tidy(() => {
      const m = tf.cast(mask, 'float32') as tf.Tensor2D;
      let x = tf.gather(g('embed.weight'), tf.cast(ids, 'int32')) as tf.Tensor3D; // [B, L, wordDim]
      let lasts: tf.Tensor2D[] = [];
      let outs: tf.Tensor3D[] = [];
      for (let l = 0; l < c.numLayers; l++) {
        outs = [];
        lasts = [];
        for (const sfx of c.bidirectional ? ['', '_reverse'] : ['']) {
          const p = `rnn.%s_l${l}${sfx}`;
          const w = (kind: string) => g(p.replace('%s', kind));
          const r = gruDirection(
            x,
            m,
            w('weight_ih'),
            w('weight_hh'),
            w('bias_ih'),
            w('bias_hh'),
            sfx !== '',
          );
          outs.push(r.out);
          lasts.push(r.last);
        }
        x = outs.length === 1 ? (outs[0] as tf.Tensor3D) : (tf.concat(outs, 2) as tf.Tensor3D); // [B, L, dirs·H]
      }
      const mean = c.bidirectional && c.directionMerge === 'mean';
      const local = mean ? (tf.div(tf.add(outs[0] as tf.Tensor, outs[1] as tf.Tensor), 2) as tf.Tensor3D) : x;
      let global: tf.Tensor2D;
      if (c.pooling === 'last') {
        global =
          lasts.length === 1
            ? (lasts[0] as tf.Tensor2D)
            : mean
              ? (tf.div(tf.add(lasts[0] as tf.Tensor, lasts[1] as tf.Tensor), 2) as tf.Tensor2D)
              : (tf.concat(lasts, 1) as tf.Tensor2D);
      } else {
        const n = tf.maximum(tf.sum(m, 1, true), 1); // [B, 1]
        global = tf.div(tf.sum(local, 1), n) as tf.Tensor2D; // padded outputs are 0
      }
      return { global, local, mask: m };
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
