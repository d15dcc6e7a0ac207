/**
 * Options every loss shares.
 */

/** Options shared by every loss function. */
export interface CommonLossOptions {
  /**
   * L2-normalise the rows of `v` and `t` inside the loss (PyTorch's `F.normalize`). Default `false`: PIR's
   * encoders already return unit-norm embeddings.
   */
  normalize?: boolean;
  /**
   * Read the inputs (and a tensor temperature) and throw a `LossInputError` naming the first non-finite value
   * or a non-positive temperature. Default `false`. It uses `dataSync()`, which blocks (and warns on WebGPU):
   * a debugging aid. Without it, shapes are still checked, and a NaN input yields a NaN loss (never hidden) —
   * check it with `assertFinite({ loss })`.
   */
  validate?: boolean;
}
