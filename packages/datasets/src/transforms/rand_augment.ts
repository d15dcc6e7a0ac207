/**
 * RandAugment (Cubuk et al. 2020) as torchvision implements it, over the subset PIR-ITR trains with:
 * {identity, autoContrast, equalize, brightness, sharpness, shearX, shearY, translateX, translateY, rotate}.
 * Each image gets `numOps` operations drawn uniformly (with replacement); signed operations flip their sign
 * with probability ½. Magnitude `m` of `bins` (torchvision: 31 bins, default m = 9; PIR uses m = 7):
 *
 * | op | magnitude at m | m = 7, 224 px |
 * |---|---|---|
 * | shearX/Y | 0.3 · m/(bins−1) (shear factor) | 0.07 |
 * | translateX/Y | 150/331 · size · m/(bins−1), truncated to whole pixels | 23 px |
 * | rotate | 30° · m/(bins−1) | 7° |
 * | brightness, sharpness | factor 1 ± 0.9 · m/(bins−1) | 1 ± 0.21 |
 *
 * Geometric ops use nearest-neighbour sampling and fill with 0 (torchvision's defaults). Inputs are float
 * images in [0, 1]; equalize works on the 8-bit quantisation, as on PIL images.
 */
import type { Rng } from '@pir/runtime/rng';
import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';
import { asBatch, type ImageTensor, likeInput } from './image_tensor.js';

/** The operations of PIR's RandAugment subset. */
export const RAND_AUGMENT_OPS = [
  'identity',
  'autoContrast',
  'equalize',
  'brightness',
  'sharpness',
  'shearX',
  'shearY',
  'translateX',
  'translateY',
  'rotate',
] as const;
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

/** Options of {@link randAugment}. */
export interface RandAugmentOptions {
  /** Operations per image (default 2). */
  numOps?: number;
  /** Magnitude index in [0, bins − 1] (default 7, PIR's M = 7). */
  magnitude?: number;
  /** Number of magnitude bins (default 31, torchvision's). */
  bins?: number;
  /** Operations to draw from (default all of {@link RAND_AUGMENT_OPS}). */
  ops?: readonly RandAugmentOp[];
  /**
   * `'auto'` (default): on the cpu and wasm backends the operations run in JS on the pixel values (one read, one
   * tensor out: ~5× faster than per-image tf ops there); elsewhere per-image tf ops. `'ops'` forces tf ops.
   */
  path?: 'auto' | 'ops';
}

/** One drawn operation and its signed magnitude (what {@link applyAugmentOp} takes). */
export interface AugmentStep {
  op: RandAugmentOp;
  magnitude: number;
}

const SIGNED: ReadonlySet<RandAugmentOp> = new Set([
  'brightness',
  'sharpness',
  'shearX',
  'shearY',
  'translateX',
  'translateY',
  'rotate',
]);

/** The unsigned magnitude of `op` at bin `m` of `bins`, for an image of `height × width`. */
export function augmentMagnitude(
  op: RandAugmentOp,
  m: number,
  bins: number,
  height: number,
  width: number,
): number {
  const f = bins > 1 ? m / (bins - 1) : 0;
  switch (op) {
    case 'shearX':
    case 'shearY':
      return 0.3 * f;
    case 'translateX':
      return (150 / 331) * width * f;
    case 'translateY':
      return (150 / 331) * height * f;
    case 'rotate':
      return 30 * f;
    case 'brightness':
    case 'sharpness':
      return 0.9 * f;
    default:
      return 0;
  }
}

/** Draw the `numOps` steps for one image (op uniform, then a sign for signed ops), as torchvision does. */
export function sampleAugmentSteps(
  rng: Rng,
  height: number,
  width: number,
  options: RandAugmentOptions = {},
): AugmentStep[] {
  const ops = options.ops ?? RAND_AUGMENT_OPS;
  const numOps = options.numOps ?? 2;
  const bins = options.bins ?? 31;
  const m = options.magnitude ?? 7;
  if (ops.length === 0) throw new TransformInputError('randAugment', 'ops', 'must not be empty');
  for (const op of ops) {
    if (!RAND_AUGMENT_OPS.includes(op)) {
      throw new TransformInputError(
        'randAugment',
        'ops',
        `contains unknown op '${op}'; known: ${RAND_AUGMENT_OPS.join(', ')}`,
      );
    }
  }
  if (!Number.isInteger(numOps) || numOps < 0)
    throw new TransformInputError('randAugment', 'numOps', `must be a non-negative integer, got ${numOps}`);
  if (!Number.isInteger(bins) || bins < 1)
    throw new TransformInputError('randAugment', 'bins', `must be a positive integer, got ${bins}`);
  if (!Number.isInteger(m) || m < 0 || m >= bins)
    throw new TransformInputError(
      'randAugment',
      'magnitude',
      `must be an integer in [0, ${bins - 1}], got ${m}`,
    );
  const steps: AugmentStep[] = [];
  for (let i = 0; i < numOps; i++) {
    const op = ops[rng.int(ops.length)] as RandAugmentOp;
    let magnitude = augmentMagnitude(op, m, bins, height, width);
    if (SIGNED.has(op) && rng.int(2) === 1) magnitude = -magnitude;
    steps.push({ op, magnitude });
  }
  return steps;
}

/** Inverse affine map (output pixel → input pixel) as tf.image.transform's 8 numbers. */
function affine(
  x: tf.Tensor4D,
  a: number,
  b: number,
  c: number,
  d: number,
  e: number,
  f: number,
): tf.Tensor4D {
  return tf.image.transform(x, tf.tensor2d([[a, b, c, d, e, f, 0, 0]]), 'nearest', 'constant', 0);
}

function blend(img: tf.Tensor4D, other: tf.Tensor4D, factor: number): tf.Tensor4D {
  return tf.clipByValue(tf.add(tf.mul(img, factor), tf.mul(other, 1 - factor)), 0, 1) as tf.Tensor4D;
}

function autoContrast(x: tf.Tensor4D): tf.Tensor4D {
  const lo = tf.min(x, [1, 2], true);
  const hi = tf.max(x, [1, 2], true);
  const flat = tf.lessEqual(hi, lo);
  const scale = tf.where(flat, tf.onesLike(hi), tf.div(1, tf.sub(hi, lo)));
  const min = tf.where(flat, tf.zerosLike(lo), lo);
  return tf.clipByValue(tf.mul(tf.sub(x, min), scale), 0, 1) as tf.Tensor4D;
}

function sharpness(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  const [, H, W, C] = x.shape;
  if (H < 3 || W < 3) return x;
  const k = [1, 1, 1, 1, 5, 1, 1, 1, 1].map((v) => v / 13);
  const kernel = tf.tile(tf.reshape(tf.tensor1d(k), [3, 3, 1, 1]), [1, 1, C, 1]); // [3, 3, C, 1]
  const blurred = tf.depthwiseConv2d(x, kernel as tf.Tensor4D, 1, 'valid'); // [1, H-2, W-2, C]
  const interior = tf.pad(tf.ones([1, H - 2, W - 2, C]), [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const degenerate = tf.add(
    tf.pad(blurred, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]),
    tf.mul(x, tf.sub(1, interior)),
  );
  return blend(x, degenerate as tf.Tensor4D, factor);
}

/**
 * torchvision's equalize LUT for one channel histogram (256 bins): `step = (N − count of the last non-empty
 * bin) // 255`; `lut[v] = (cumsum[v − 1] + step // 2) // step`, clamped to 255; identity when step is 0.
 */
export function equalizeLut(hist: ArrayLike<number>): Uint8Array {
  const lut = new Uint8Array(256);
  let total = 0;
  let last = 0;
  for (let v = 0; v < 256; v++) {
    const h = hist[v] as number;
    total += h;
    if (h > 0) last = h;
  }
  const step = Math.floor((total - last) / 255);
  if (step === 0) {
    for (let v = 0; v < 256; v++) lut[v] = v;
    return lut;
  }
  let cum = Math.floor(step / 2);
  for (let v = 0; v < 256; v++) {
    lut[v] = Math.min(255, Math.floor(cum / step));
    cum += hist[v] as number;
  }
  return lut;
}

/**
 * torchvision's equalize on the 8-bit quantisation of one image [1, H, W, C]. On cpu/wasm the histogram and
 * the table look-up run in JS on the pixel values (6× faster than wasm's gather); other backends use tf ops.
 */
function equalize(x: tf.Tensor4D, inJs = ['cpu', 'wasm'].includes(tf.getBackend())): tf.Tensor4D {
  const [, H, W, C] = x.shape;
  const q = tf.cast(tf.round(tf.mul(tf.clipByValue(x, 0, 1), 255)), 'int32');
  if (inJs) {
    const v = q.dataSync();
    const out = new Float32Array(v.length);
    for (let c = 0; c < C; c++) {
      const hist = new Float64Array(256);
      for (let i = c; i < v.length; i += C) hist[v[i] as number]++;
      const lut = equalizeLut(hist);
      for (let i = c; i < v.length; i += C) out[i] = (lut[v[i] as number] as number) / 255;
    }
    return tf.tensor4d(out, [1, H, W, C]);
  }
  const perChannel = tf.transpose(tf.reshape(q, [H * W, C])) as tf.Tensor2D; // [C, H*W]
  const hist = tf.denseBincount(perChannel, tf.tensor2d([], [0, 0], 'float32'), 256) as tf.Tensor2D; // [C, 256]
  const bins = tf.range(0, 256, 1, 'float32');
  const lastBin = tf.max(
    tf.where(tf.greater(hist, 0), tf.broadcastTo(bins, [C, 256]), tf.fill([C, 256], -1)),
    1,
  ); // [C]
  const lastCount = tf.sum(tf.mul(hist, tf.cast(tf.equal(bins, tf.expandDims(lastBin, 1)), 'float32')), 1); // [C]
  const step = tf.expandDims(tf.floor(tf.div(tf.sub(H * W, lastCount), 255)), 1); // [C, 1]
  const lut = tf.floor(tf.div(tf.add(tf.cumsum(hist, 1), tf.floor(tf.div(step, 2))), tf.maximum(step, 1)));
  const shifted = tf.clipByValue(tf.concat([tf.zeros([C, 1]), tf.slice(lut, [0, 0], [C, 255])], 1), 0, 255); // [C, 256]
  const table = tf.where(
    tf.broadcastTo(tf.equal(step, 0), [C, 256]),
    tf.broadcastTo(bins, [C, 256]),
    shifted,
  ); // identity where step = 0
  const index = tf.add(
    tf.reshape(q, [H * W, C]),
    tf.mul(tf.range(0, C, 1, 'int32'), tf.scalar(256, 'int32')),
  ); // [H*W, C]
  const mapped = tf.gather(tf.reshape(table, [C * 256]), tf.cast(tf.reshape(index, [H * W * C]), 'int32'));
  return tf.reshape(tf.div(mapped, 255), [1, H, W, C]) as tf.Tensor4D;
}

/** @internal equalize through tf ops (what non-cpu/wasm backends run), for tests. */
export function equalizeWithTfOps(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => equalize(x, false));
}

/**
 * Apply one operation with a signed magnitude to one image.
 * @param x [1, H, W, C] float32 in [0, 1]
 * @returns [1, H, W, C]
 */
export function applyAugmentOp(x: tf.Tensor4D, step: AugmentStep): tf.Tensor4D {
  return tf.tidy(() => {
    const [, H, W] = x.shape;
    const m = step.magnitude;
    switch (step.op) {
      case 'identity':
        return tf.clone(x);
      case 'autoContrast':
        return autoContrast(x);
      case 'equalize':
        return equalize(x);
      case 'brightness':
        return blend(x, tf.zerosLike(x), 1 + m);
      case 'sharpness':
        return sharpness(x, 1 + m);
      case 'shearX': // input = (x + m·y, y), shear about the top-left corner (torchvision center=[0, 0])
        return affine(x, 1, m, 0, 0, 1, 0);
      case 'shearY':
        return affine(x, 1, 0, 0, m, 1, 0);
      case 'translateX': // content moves right by trunc(m) pixels
        return affine(x, 1, 0, -Math.trunc(m), 0, 1, 0);
      case 'translateY':
        return affine(x, 1, 0, 0, 0, 1, -Math.trunc(m));
      case 'rotate': {
        // counter-clockwise by m degrees about the image centre; inverse map input = R · (out − c) + c
        const t = (m * Math.PI) / 180;
        const cos = Math.cos(t);
        const sin = Math.sin(t);
        const cx = (W - 1) / 2;
        const cy = (H - 1) / 2;
        return affine(x, cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy);
      }
      default:
        throw new TransformInputError('applyAugmentOp', 'step.op', `unknown op '${String(step.op)}'`);
    }
  });
}

/**
 * RandAugment(N, M) over PIR's subset, each image with its own draws from `rng` (in batch order).
 * @param x [H, W, C] or [B, H, W, C] float32 in [0, 1]
 * @returns same shape, in [0, 1]
 * @example randAugment(images, new Rng(7)) // N = 2, M = 7, as PIR-ITR trains
 */
export function randAugment<T extends ImageTensor>(x: T, rng: Rng, options: RandAugmentOptions = {}): T {
  return tf.tidy(() => {
    const xb = asBatch('randAugment', x);
    const [B, H, W, C] = xb.shape;
    if (['cpu', 'wasm'].includes(tf.getBackend()) && options.path !== 'ops') {
      const src = xb.dataSync() as Float32Array;
      const out = new Float32Array(src.length);
      const plane = H * W * C;
      for (let b = 0; b < B; b++) {
        let img: Float32Array = src.slice(b * plane, (b + 1) * plane);
        for (const step of sampleAugmentSteps(rng, H, W, options)) img = applyAugmentOpJs(img, H, W, C, step);
        out.set(img, b * plane);
      }
      return likeInput<T>(x, tf.tensor4d(out, [B, H, W, C]));
    }
    const out: tf.Tensor4D[] = [];
    for (let b = 0; b < B; b++) {
      let img: tf.Tensor4D = B === 1 ? xb : tf.slice(xb, [b, 0, 0, 0], [1, -1, -1, -1]);
      for (const step of sampleAugmentSteps(rng, H, W, options)) img = applyAugmentOp(img, step);
      out.push(img);
    }
    return likeInput<T>(x, B === 1 ? tf.clone(out[0] as tf.Tensor4D) : tf.concat(out, 0));
  });
}

/** The inverse affine map of a geometric step (output pixel → input pixel), as tf.image.transform's a0..b2. */
function affineOf(
  step: AugmentStep,
  H: number,
  W: number,
): [number, number, number, number, number, number] | null {
  const m = step.magnitude;
  switch (step.op) {
    case 'shearX':
      return [1, m, 0, 0, 1, 0];
    case 'shearY':
      return [1, 0, 0, m, 1, 0];
    case 'translateX':
      return [1, 0, -Math.trunc(m), 0, 1, 0];
    case 'translateY':
      return [1, 0, 0, 0, 1, -Math.trunc(m)];
    case 'rotate': {
      const t = (m * Math.PI) / 180;
      const cos = Math.cos(t);
      const sin = Math.sin(t);
      const cx = (W - 1) / 2;
      const cy = (H - 1) / 2;
      return [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy];
    }
    default:
      return null;
  }
}

/**
 * One RandAugment operation on one image in JS: `img` [H, W, C] float32 in [0, 1] → a new array. Matches
 * {@link applyAugmentOp} (the tf-ops form): nearest sampling with tf's rounding, fill 0.
 */
export function applyAugmentOpJs(
  img: Float32Array,
  H: number,
  W: number,
  C: number,
  step: AugmentStep,
): Float32Array {
  const n = img.length;
  const out = new Float32Array(n);
  const clip = (v: number) => Math.max(0, Math.min(1, v));
  const geo = affineOf(step, H, W);
  if (geo) {
    // coefficients rounded to float32, as tf.image.transform holds them
    const [a0, a1, a2, b0, b1, b2] = geo.map(Math.fround) as [number, number, number, number, number, number];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const xi = Math.round(a0 * x + a1 * y + a2);
        const yi = Math.round(b0 * x + b1 * y + b2);
        if (xi < 0 || yi < 0 || xi >= W || yi >= H) continue;
        const o = (y * W + x) * C;
        const s = (yi * W + xi) * C;
        for (let c = 0; c < C; c++) out[o + c] = img[s + c] as number;
      }
    }
    return out;
  }
  switch (step.op) {
    case 'identity':
      out.set(img);
      return out;
    case 'brightness': {
      const f = 1 + step.magnitude;
      for (let i = 0; i < n; i++) out[i] = clip((img[i] as number) * f);
      return out;
    }
    case 'autoContrast': {
      for (let c = 0; c < C; c++) {
        let lo = Number.POSITIVE_INFINITY;
        let hi = Number.NEGATIVE_INFINITY;
        for (let i = c; i < n; i += C) {
          const v = img[i] as number;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        const flat = hi <= lo;
        const scale = flat ? 1 : 1 / (hi - lo);
        const min = flat ? 0 : lo;
        for (let i = c; i < n; i += C) out[i] = clip(((img[i] as number) - min) * scale);
      }
      return out;
    }
    case 'equalize': {
      const q = new Int32Array(n);
      for (let i = 0; i < n; i++) q[i] = Math.round(clip(img[i] as number) * 255);
      for (let c = 0; c < C; c++) {
        const hist = new Float64Array(256);
        for (let i = c; i < n; i += C) hist[q[i] as number]++;
        const lut = equalizeLut(hist);
        for (let i = c; i < n; i += C) out[i] = (lut[q[i] as number] as number) / 255;
      }
      return out;
    }
    case 'sharpness': {
      const f = 1 + step.magnitude;
      out.set(img);
      if (H < 3 || W < 3) return out;
      for (let y = 1; y < H - 1; y++) {
        for (let x = 1; x < W - 1; x++) {
          for (let c = 0; c < C; c++) {
            let acc = 0;
            for (let dy = -1; dy <= 1; dy++) {
              for (let dx = -1; dx <= 1; dx++)
                acc += (img[((y + dy) * W + x + dx) * C + c] as number) * (dx === 0 && dy === 0 ? 5 : 1);
            }
            const i = (y * W + x) * C + c;
            out[i] = acc / 13;
          }
        }
      }
      for (let i = 0; i < n; i++) out[i] = clip((img[i] as number) * f + (out[i] as number) * (1 - f));
      return out;
    }
    default:
      throw new TransformInputError('applyAugmentOpJs', 'step.op', `unknown op '${String(step.op)}'`);
  }
}
