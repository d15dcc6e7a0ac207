/**
 * Hard belief (PIR-ITR, PIR_SPEC §2): keep the K tokens the instruction trusts most.
 */
import * as tf from '@tensorflow/tfjs-core';
import { detach } from './constant.js';
import { beliefScores } from './scores.js';
import { checkFinite, checkK, checkTokens } from './validate.js';

/** Options of {@link hardBelief}. */
export interface HardBeliefOptions {
  /** Tokens kept (PIR-ITR: 40 of N = 50). Must be in [1, N]. */
  k: number;
  /** [B, N], 1 = keep: masked tokens score 0, so they are kept only when fewer than K tokens are valid. */
  mask?: tf.Tensor2D;
  /**
   * Order of the kept tokens: `'belief'` (decreasing score, as the spec and the released code) or
   * `'position'` (the tokens' original order).
   */
  order?: 'belief' | 'position';
  /**
   * How the kept tokens are selected (same values and gradients):
   * - `'matmul'` (default): a constant one-hot `[B, K, N]` matrix times the tokens (batched matMul);
   * - `'gather'`: `tf.gather` on the flattened tokens, gradient by `unsortedSegmentSum`.
   */
  selection?: 'gather' | 'matmul';
  /**
   * Read the inputs and throw a {@link BeliefInputError} naming the first NaN or ±Infinity (argument
   * `'tokens'`, `'instruction'` or `'mask'`, and its position). Default `false`. It uses `dataSync()`, which
   * blocks (and warns on WebGPU): a debugging aid. Without it, a NaN token is ranked arbitrarily and the kept
   * indices are returned as if nothing were wrong.
   */
  validate?: boolean;
}

/** Defaults of {@link HardBeliefOptions}. */
export const HARD_BELIEF_DEFAULTS = {
  /** PIR-ITR keeps 40 of 50 Swin-T tokens. */
  k: 40,
  /** Decreasing belief, as PIR_SPEC §2. */
  order: 'belief',
  /**
   * Measured faster on wasm at PIR sizes (B=32, N=50→K=40, D=512, forward + backward, 1 thread): one-hot
   * matMul 26 ms vs gather 69 ms — wasm's GatherV2 kernel alone takes ~22 ms there (benchmarks/pae.ts).
   */
  selection: 'matmul',
} as const;

/** What {@link hardBelief} returns. */
export interface HardBeliefResult {
  /** [B, K, D] the kept tokens; gradients flow to them (not through the selection). */
  tokens: tf.Tensor3D;
  /** [B, N] belief scores of all tokens (differentiable). */
  scores: tf.Tensor2D;
  /** [B, K] int32 position (in 0..N-1) of each kept token — for plotting which patches were trusted. */
  indices: tf.Tensor2D;
  /** [B, K] mask of the kept tokens (1 = a valid token, 0 = a padded one kept because K > valid count). */
  mask: tf.Tensor2D;
}

/**
 * Hard belief: belief scores, then the top-K tokens per sample. The indices are computed as constants
 * (top-k has no gradient in any backend), so gradients reach the kept tokens and, through `scores`, V and u
 * only where the caller uses the scores.
 *
 * @param tokens V [B, N, D]
 * @param instruction u [B, D] or [B, 1, D]
 * @throws BeliefInputError for a bad shape or `k`, and with `validate: true` for a NaN or ±Infinity input
 * @example
 * ```ts
 * const v = tf.tensor3d([[[1, 0], [0, 1], [2, 0]]]);                  // [1, 3, 2]
 * const { tokens, indices } = hardBelief(v, tf.tensor2d([[1, 0]]), { k: 2 });
 * indices.print(); // [[2, 0]]
 * tokens.print();  // [[[2, 0], [1, 0]]]
 * ```
 */
export function hardBelief(
  tokens: tf.Tensor3D,
  instruction: tf.Tensor,
  options: HardBeliefOptions,
): HardBeliefResult {
  const where = 'hardBelief';
  const { b, n, d } = checkTokens(where, tokens, instruction, options.mask);
  const k = options.k;
  checkK(where, k, n);
  if (options.validate === true) checkFinite(where, { tokens, instruction, mask: options.mask });
  const order = options.order ?? HARD_BELIEF_DEFAULTS.order;
  const selection = options.selection ?? HARD_BELIEF_DEFAULTS.selection;
  return tf.tidy(() => {
    const scores = beliefScores(tokens, instruction, options.mask);
    const indices = topIndices(detach(scores), k, order); // [B, K] int32, off the tape
    const kept = selectTokens(tokens, indices, selection, { b, n, d, k });
    const mask =
      options.mask === undefined
        ? (tf.ones([b, k]) as tf.Tensor2D)
        : (tf.reshape(
            tf.gather(tf.reshape(tf.cast(options.mask, 'float32'), [b * n]), flatIndices(indices, n)),
            [b, k],
          ) as tf.Tensor2D);
    return { tokens: kept, scores, indices, mask };
  });
}

/** [B, K] int32 positions of the top-k scores, in belief or in position order. */
function topIndices(scores: tf.Tensor2D, k: number, order: 'belief' | 'position'): tf.Tensor2D {
  const idx = tf.topk(scores, k, true).indices as tf.Tensor2D; // [B, K], decreasing belief
  if (order === 'belief') return idx;
  return tf.neg(tf.topk(tf.neg(idx), k, true).values) as tf.Tensor2D; // ascending positions
}

/** [B·K] int32 rows of the flattened [B·N, D] tokens. */
function flatIndices(indices: tf.Tensor2D, n: number): tf.Tensor1D {
  const [b] = indices.shape;
  const offsets = tf.reshape(tf.mul(tf.range(0, b as number, 1, 'int32'), tf.scalar(n, 'int32')), [
    b as number,
    1,
  ]); // [B, 1]
  return tf.reshape(tf.add(indices, offsets), [-1]) as tf.Tensor1D;
}

function selectTokens(
  tokens: tf.Tensor3D,
  indices: tf.Tensor2D,
  selection: 'gather' | 'matmul',
  s: { b: number; n: number; d: number; k: number },
): tf.Tensor3D {
  if (selection === 'matmul') {
    // int32 then cast: wasm's OneHot kernel (tfjs 4.22) ignores the dtype argument and writes int32 bits.
    const onehot = tf.cast(tf.oneHot(indices, s.n), 'float32'); // [B, K, N], constant
    return tf.matMul(onehot, tokens) as tf.Tensor3D; // [B, K, D]
  }
  // gather rows of [B·N, D]; its gradient (unsortedSegmentSum) reaches `tokens` only.
  const gathered = tf.gather(tf.reshape(tokens, [s.b * s.n, s.d]), flatIndices(indices, s.n)); // [B·K, D]
  return tf.reshape(gathered, [s.b, s.k, s.d]) as tf.Tensor3D;
}
