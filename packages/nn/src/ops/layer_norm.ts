/**
 * `layerNorm`: LayerNorm over the last axis (`nn.LayerNorm`), with a fused hand-written gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NnInputError } from '../errors.js';

/** PyTorch's default LayerNorm epsilon (BERT uses 1e-12, Swin 1e-5). */
export const LN_EPS = 1e-5;

/**
 * `(x − mean) / √(var + eps) · gamma + beta` over the last axis (biased variance, as PyTorch).
 *
 * The gradient is one fused expression (`dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))`, `ĝ = dy·γ`, `r = 1/√(var + eps)`;
 * `dγ = 1ᵀ·(dy·x̂)`, `dβ = 1ᵀ·dy`) instead of tfjs's chain through `moments`.
 *
 * @param x [..., D]
 * @param gamma [D] (PyTorch `weight`)
 * @param beta [D] (PyTorch `bias`)
 * @param eps default 1e-5
 * @returns [..., D]
 * @example
 * ```ts
 * layerNorm(tf.tensor2d([[1, 2, 3]]), tf.ones([3]), tf.zeros([3])).arraySync()[0]; // ≈ [-1.2247, 0, 1.2247]
 * ```
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = LN_EPS): tf.Tensor {
  const d = x.shape[x.rank - 1] as number;
  for (const [name, t] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== d) {
      throw new NnInputError(
        'layerNorm',
        name,
        `${name} must be [${d}] for x of shape [${x.shape.join(', ')}], got [${t.shape.join(', ')}]`,
      );
    }
  }
  return tf.tidy(() => {
    const x2 = tf.reshape(x, [-1, d]) as tf.Tensor2D; // [rows, D]
    return tf.reshape(layerNormOp(eps)(x2, gamma, beta), x.shape);
  });
}

type LayerNormOp = (x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
const layerNormOps = new Map<number, LayerNormOp>();

function layerNormOp(eps: number): LayerNormOp {
  const cached = layerNormOps.get(eps);
  if (cached !== undefined) return cached;
  const op = tf.customGrad((...args: unknown[]) => {
    const [x, g, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.mean(x, -1, true); // [rows, 1]
    const xc = tf.sub(x, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)); // [rows, 1]
    const xhat = tf.mul(xc, rstd); // [rows, D]
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const gy = dy as tf.Tensor2D;
        const [xh, r, gam] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const ones = tf.ones([1, gy.shape[0]]) as tf.Tensor2D;
        const ghat = tf.mul(gy, gam); // [rows, D]
        const centred = tf.sub(ghat, tf.mean(ghat, -1, true));
        const dx = tf.mul(r, tf.sub(centred, tf.mul(xh, tf.mean(tf.mul(ghat, xh), -1, true))));
        const dgamma = tf.reshape(tf.matMul(ones, tf.mul(gy, xh)), [gy.shape[1]]);
        const dbeta = tf.reshape(tf.matMul(ones, gy), [gy.shape[1]]);
        return [dx, dgamma, dbeta];
      },
    };
  }) as unknown as LayerNormOp;
  layerNormOps.set(eps, op);
  return op;
}
