/**
 * Interpolation matrices for separable resizing: `out = W · in` along one axis, W [outSize, inSize].
 *
 * - `antialias: false` is PyTorch's `interpolate(mode='bicubic', align_corners=False)`: the source
 *   coordinate of output pixel i is `(i + 0.5) · in/out − 0.5`, a 4-tap cubic convolution (A = −0.75), taps
 *   outside the image clamped to the border.
 * - `antialias: true` is PIL's bicubic (and torchvision's `Resize` on PIL images, PyTorch's
 *   `antialias=True`): the kernel (A = −0.5) is stretched by the scale when shrinking, so every source pixel
 *   contributes, and each row of W is normalised to sum 1.
 */

/** Keys's cubic convolution kernel with parameter `a`. */
export function cubicKernel(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/**
 * W [outSize, fullSize] resizing the window `[offset, offset + inSize)` of an axis of length `fullSize`
 * (default: the whole axis) to `outSize` samples; row-major Float32Array.
 */
export function resizeWeights(
  inSize: number,
  outSize: number,
  antialias: boolean,
  offset = 0,
  fullSize = inSize,
): Float32Array {
  const w = new Float32Array(outSize * fullSize);
  const scale = inSize / outSize;
  if (!antialias) {
    for (let i = 0; i < outSize; i++) {
      const src = (i + 0.5) * scale - 0.5;
      const x0 = Math.floor(src);
      const t = src - x0;
      for (let k = -1; k <= 2; k++) {
        const j = Math.min(Math.max(x0 + k, 0), inSize - 1);
        w[i * fullSize + offset + j] += cubicKernel(k - t, -0.75);
      }
    }
    return w;
  }
  const support = scale >= 1 ? 2 * scale : 2;
  const invScale = scale >= 1 ? 1 / scale : 1;
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    const row = new Float64Array(xmax - xmin);
    for (let j = xmin; j < xmax; j++) {
      const v = cubicKernel((j - center + 0.5) * invScale, -0.5);
      row[j - xmin] = v;
      total += v;
    }
    for (let j = xmin; j < xmax; j++) {
      w[i * fullSize + offset + j] = total === 0 ? 0 : (row[j - xmin] as number) / total;
    }
  }
  return w;
}
