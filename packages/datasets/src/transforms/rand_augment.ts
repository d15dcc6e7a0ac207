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
import type { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { TransformInputError } from './errors.js';
import { asBatch, type ImageTensor, likeInput } from './shape.js';

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
    const [B, H, W] = xb.shape;
    const out: tf.Tensor4D[] = [];
    for (let b = 0; b < B; b++) {
      let img: tf.Tensor4D = B === 1 ? xb : tf.slice(xb, [b, 0, 0, 0], [1, -1, -1, -1]);
      for (const step of sampleAugmentSteps(rng, H, W, options)) img = applyAugmentOp(img, step);
      out.push(img);
    }
    return likeInput<T>(x, B === 1 ? tf.clone(out[0] as tf.Tensor4D) : tf.concat(out, 0));
  });
}
