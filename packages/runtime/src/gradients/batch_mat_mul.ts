/**
 * A corrected gradient for `BatchMatMul`.
 *
 * tfjs-core 4.22's gradient returns `dA`/`dB` with the *output's* batch size, so whenever one operand is
 * broadcast over the batch — `matMul(x [B,S,D], w [D,E])`, the most common product in a transformer — `tf.grad`
 * throws "Error in gradient for op BatchMatMul. The gradient of input 'b' has shape '2,4,5', which does not
 * match the shape of the input '4,5'". This one computes the same products and then sums over the broadcast
 * batch axes, as PyTorch does.
 */
import * as tf from '@tensorflow/tfjs-core';

type Attrs = { transposeA: boolean; transposeB: boolean };

/** Sum `g` over the axes along which `input` was broadcast to `g`'s shape, and give it `input`'s shape. */
function unbroadcast(g: tf.Tensor, input: tf.Tensor): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, input.shape)) return g;
  const rank = g.rank;
  // align input's batch dims to the right of g's batch dims (the last two are the matrix dims)
  const inShape = [...new Array(rank - input.rank).fill(1), ...input.shape];
  const axes: number[] = [];
  for (let i = 0; i < rank - 2; i++) if (inShape[i] === 1 && (g.shape[i] as number) !== 1) axes.push(i);
  const summed = axes.length > 0 ? tf.sum(g, axes, true) : g;
  return tf.reshape(summed, input.shape);
}

/**
 * The corrected `BatchMatMul` gradient config: `dA`, `dB` as tfjs-core's, then summed over the batch axes along
 * which that operand was broadcast (shapes: `a [...batchA, M, K]`, `b [...batchB, K, N]` before transposes).
 * Registered, and kept registered, by {@link registerRuntimeGradients} (`gradient_guard.ts`).
 */
export const batchMatMulGradConfig: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB } = attrs as unknown as Attrs;
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      da = () => tf.matMul(g, b, false, true);
      db = () => tf.matMul(a, g, true, false);
    } else if (!transposeA && transposeB) {
      da = () => tf.matMul(g, b, false, false);
      db = () => tf.matMul(g, a, true, false);
    } else if (transposeA && !transposeB) {
      da = () => tf.matMul(b, g, false, true);
      db = () => tf.matMul(a, g, false, false);
    } else {
      da = () => tf.matMul(b, g, true, true);
      db = () => tf.matMul(g, a, true, true);
    }
    return { a: () => unbroadcast(da(), a), b: () => unbroadcast(db(), b) };
  },
};
