import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';
import { asBatch, checkImageTensor, checkSize, type ImageTensor, likeInput } from './image_tensor.js';
import { resizeWeights } from './resize_weights.js';

/** Options of {@link resize}. */
export interface ResizeOptions {
  /**
   * How to compute: `'auto'` (default) resamples in JS with the few non-zero taps per output pixel on the
   * cpu and wasm backends (~5× faster there) and with two batched matrix products elsewhere (GPU backends);
   * `'matmul'` forces the matrix products.
   */
  path?: 'auto' | 'matmul';
  /**
   * `false` (default): PyTorch `interpolate(mode='bicubic', align_corners=False)`. `true`: PIL-style
   * antialiased bicubic (torchvision `Resize` on PIL images — what CLIP's preprocessing did) — use it when
   * shrinking by more than ~2×, where the plain kernel aliases.
   */
  antialias?: boolean;
}

/** A crop box in pixels: rows `[top, top + height)`, columns `[left, left + width)`. */
export interface Box {
  top: number;
  left: number;
  height: number;
  width: number;
  /** Mirror the crop left–right (folded into the column weights: free). */
  flip?: boolean;
}

/**
 * Output size of torchvision's `Resize(size)`: a number resizes the shorter side to `size` and the other to
 * `int(size · long / short)`; a pair is taken as is.
 */
export function resizedShape(
  height: number,
  width: number,
  size: number | readonly [number, number],
): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  return height <= width
    ? [size, Math.trunc((size * width) / height)]
    : [Math.trunc((size * height) / width), size];
}

/**
 * Crop `box` out of every image and resize it to `[outH, outW]` with bicubic interpolation — one pair of
 * matrix products (rows, then columns), no intermediate crop.
 * @param x [H, W, C] or [B, H, W, C] float32
 * @returns [outH, outW, C] or [B, outH, outW, C]
 */
export function resizedCrop<T extends ImageTensor>(
  x: T,
  box: Box,
  size: readonly [number, number],
  options: ResizeOptions = {},
): T {
  checkSize('resizedCrop', size);
  checkImageTensor('resizedCrop', x);
  const B = x.rank === 4 ? (x.shape[0] as number) : 1;
  return resizedCrops(
    x,
    Array.from({ length: B }, () => box),
    size,
    options,
  );
}

/**
 * Crop a different box out of each image of a batch and resize every crop to `[outH, outW]` (bicubic) — what
 * RandomResizedCrop does. Two batched matrix products: rows `Wy[b] · x[b]` ([oh, H] · [H, W·C]), then columns
 * on the transposed result; the interpolation matrices are built in JS from the boxes. A box that is the whole
 * image at the output size is the identity (bicubic weights at integer positions are 0, 1, 0, 0) and skipped.
 * @param x [H, W, C] or [B, H, W, C] float32
 * @param boxes one box per image (B of them)
 * @returns [outH, outW, C] or [B, outH, outW, C]
 */
export function resizedCrops<T extends ImageTensor>(
  x: T,
  boxes: readonly Box[],
  size: readonly [number, number],
  options: ResizeOptions = {},
): T {
  checkSize('resizedCrops', size);
  return tf.tidy(() => {
    const xb = asBatch('resizedCrops', x);
    const [B, H, W, C] = xb.shape;
    if (boxes.length !== B) {
      throw new TransformInputError(
        'resizedCrops',
        'boxes',
        `must hold one box per image (${B}), got ${boxes.length}`,
      );
    }
    boxes.forEach((box, b) => {
      const { top, left, height, width } = box;
      if (
        ![top, left, height, width].every(Number.isInteger) ||
        top < 0 ||
        left < 0 ||
        height <= 0 ||
        width <= 0 ||
        top + height > H ||
        left + width > W
      ) {
        throw new TransformInputError(
          boxes.length === 1 ? 'resizedCrop' : 'resizedCrops',
          boxes.length === 1 ? 'box' : `boxes[${b}]`,
          `${JSON.stringify(box)} is not inside the ${H}×${W} image`,
        );
      }
    });
    const [oh, ow] = size;
    if (
      oh === H &&
      ow === W &&
      boxes.every((b) => b.top === 0 && b.left === 0 && b.height === H && b.width === W && !b.flip)
    ) {
      return likeInput<T>(x, tf.clone(xb));
    }
    const aa = options.antialias ?? false;
    if (['cpu', 'wasm'].includes(tf.getBackend()) && options.path !== 'matmul') {
      return likeInput<T>(x, resampleInJs(xb, boxes, oh, ow, aa));
    }
    const wy = new Float32Array(B * oh * H);
    const wx = new Float32Array(B * ow * W);
    boxes.forEach((box, b) => {
      wy.set(resizeWeights(box.height, oh, aa, box.top, H), b * oh * H);
      const cols = resizeWeights(box.width, ow, aa, box.left, W);
      if (box.flip) {
        // output column j takes the weights of column ow − 1 − j
        for (let j = 0; j < ow; j++) wx.set(cols.subarray((ow - 1 - j) * W, (ow - j) * W), (b * ow + j) * W);
      } else wx.set(cols, b * ow * W);
    });
    // rows: Wy [B, oh, H] · x [B, H, W*C] -> [B, oh, W*C]
    const y1 = tf.matMul(tf.tensor3d(wy, [B, oh, H]), tf.reshape(xb, [B, H, W * C]));
    // columns: [B, oh, W, C] -> [B, W, oh, C] -> [B, W, oh*C]; Wx [B, ow, W] · -> [B, ow, oh*C]
    const cols = tf.reshape(tf.transpose(tf.reshape(y1, [B, oh, W, C]), [0, 2, 1, 3]), [B, W, oh * C]);
    const y2 = tf.reshape(tf.matMul(tf.tensor3d(wx, [B, ow, W]), cols), [B, ow, oh, C]);
    return likeInput<T>(x, tf.transpose(y2, [0, 2, 1, 3]) as tf.Tensor4D); // [B, oh, ow, C]
  });
}

/**
 * Bicubic resize. `size` a number resizes the shorter side (torchvision `Resize(224)`); `[h, w]` is exact.
 * @param x [H, W, C] or [B, H, W, C] float32
 * @returns [h, w, C] or [B, h, w, C]
 * @example
 * ```ts
 * resize(tf.zeros([300, 400, 3]), 224).shape;           // [224, 298, 3]
 * resize(tf.zeros([2, 256, 256, 3]), [224, 224]).shape; // [2, 224, 224, 3]
 * ```
 */
export function resize<T extends ImageTensor>(
  x: T,
  size: number | readonly [number, number],
  options: ResizeOptions = {},
): T {
  checkImageTensor('resize', x);
  checkSize('resize', size);
  const H = x.shape[x.rank - 3] as number;
  const W = x.shape[x.rank - 2] as number;
  return resizedCrop(x, { top: 0, left: 0, height: H, width: W }, resizedShape(H, W, size), options);
}

/** Non-zero span of each row of a dense [rows, n] weight matrix: start index and the weights. */
function sparseRows(
  w: Float32Array,
  rows: number,
  n: number,
): { start: Int32Array; len: Int32Array; weights: Float32Array[] } {
  const start = new Int32Array(rows);
  const len = new Int32Array(rows);
  const weights: Float32Array[] = [];
  for (let i = 0; i < rows; i++) {
    let a = 0;
    let b = n - 1;
    while (a < n && w[i * n + a] === 0) a++;
    while (b > a && w[i * n + b] === 0) b--;
    start[i] = a;
    len[i] = Math.max(0, b - a + 1);
    weights.push(w.slice(i * n + a, i * n + a + (len[i] as number)));
  }
  return { start, len, weights };
}

/**
 * Separable bicubic resampling in JS with only the non-zero taps (cpu/wasm backends): rows, then columns.
 * @param xb [B, H, W, C] @returns [B, oh, ow, C]
 */
function resampleInJs(
  xb: tf.Tensor4D,
  boxes: readonly Box[],
  oh: number,
  ow: number,
  aa: boolean,
): tf.Tensor4D {
  const [B, H, W, C] = xb.shape;
  const src = xb.dataSync() as Float32Array;
  const out = new Float32Array(B * oh * ow * C);
  const rowLen = W * C;
  const tmp = new Float32Array(oh * rowLen);
  for (let b = 0; b < B; b++) {
    const box = boxes[b] as Box;
    const ry = sparseRows(resizeWeights(box.height, oh, aa, box.top, H), oh, H);
    const rx = sparseRows(resizeWeights(box.width, ow, aa, box.left, W), ow, W);
    const base = b * H * rowLen;
    // rows: tmp[i, :] = Σ_k wy[i, k] · x[b, k, :]
    tmp.fill(0);
    for (let i = 0; i < oh; i++) {
      const wts = ry.weights[i] as Float32Array;
      const o = i * rowLen;
      for (let k = 0; k < wts.length; k++) {
        const w = wts[k] as number;
        const s = base + ((ry.start[i] as number) + k) * rowLen;
        for (let e = 0; e < rowLen; e++) tmp[o + e] += w * (src[s + e] as number);
      }
    }
    // columns: out[b, i, j, :] = Σ_k wx[j, k] · tmp[i, k, :]
    for (let i = 0; i < oh; i++) {
      const ti = i * rowLen;
      for (let j = 0; j < ow; j++) {
        const jj = box.flip ? ow - 1 - j : j;
        const wts = rx.weights[jj] as Float32Array;
        const s0 = ti + (rx.start[jj] as number) * C;
        const o = ((b * oh + i) * ow + j) * C;
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let k = 0; k < wts.length; k++) acc += (wts[k] as number) * (tmp[s0 + k * C + c] as number);
          out[o + c] = acc;
        }
      }
    }
  }
  return tf.tensor4d(out, [B, oh, ow, C]);
}
