/** Transforms: bicubic resize / crop / CLIP pipeline against PyTorch, seeded augmentation, leaks, errors. */
import { PirError, Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  applyAugmentOp,
  applyAugmentOpJs,
  augmentMagnitude,
  type Box,
  CLIP_MEAN,
  CLIP_STD,
  centerCrop,
  evalTransform,
  horizontalFlip,
  imagesToBatch,
  imageToTensor,
  normalize,
  RAND_AUGMENT_OPS,
  randAugment,
  randomHorizontalFlip,
  randomResizedCrop,
  resize,
  resizedCrop,
  resizedCrops,
  resizedShape,
  roundHalfEven,
  sampleAugmentSteps,
  sampleResizedCropBox,
  TransformInputError,
  trainTransform,
} from '../src/transforms/index.js';
import { equalizeLut, equalizeWithTfOps } from '../src/transforms/rand_augment.js';
import golden from './fixtures/transforms/resize.json';
import { expectInputError } from './input_errors.js';

const TOL = { atol: 2e-5, rtol: 2e-5 };

/** Run `f`, check it leaves nothing behind but its result, and return a copy of the result. */
async function leakFree<T extends tf.Tensor>(f: () => T, what: string): Promise<T> {
  const out = await expectNoLeak(() => {
    const y = f();
    const copy = { shape: y.shape, data: y.dataSync().slice() };
    y.dispose();
    return copy;
  }, what);
  return tf.tensor(out.data, out.shape) as T;
}

describeBackends('bicubic resize vs PyTorch', () => {
  for (const c of golden.cases) {
    for (const path of ['auto', 'matmul'] as const) {
      const label = `[${path}] ${c.kind} ${c.input_shape.join('x')} -> ${c.size.join('x')}${'box' in c ? ` box ${c.box}` : ''} antialias=${c.antialias}`;
      it(label, async () => {
        const x = tf.tensor4d(c.input, c.input_shape as [number, number, number, number]);
        const opts = { antialias: c.antialias, path };
        const y = await leakFree((): tf.Tensor => {
          if (c.kind === 'resize') return resize(x, c.size as [number, number], opts);
          if (c.kind === 'resized_crop') {
            const [top, left, height, width] = (c as { box: number[] }).box as [
              number,
              number,
              number,
              number,
            ];
            return resizedCrop(x, { top, left, height, width }, c.size as [number, number], opts);
          }
          return evalTransform(x, { size: c.size[0] as number, ...opts });
        }, label);
        await expectAllClose(tf.reshape(y, [-1]), c.output, TOL, label);
        tf.dispose([x, y]);
      });
    }
  }
});

describeBackends('transforms', () => {
  it('resize: shorter side to size, [H, W, C] in and out, leak-free', async () => {
    expect(resizedShape(300, 400, 224)).toEqual([224, 298]);
    expect(resizedShape(400, 300, 224)).toEqual([298, 224]);
    const x = tf.randomUniform([30, 40, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const y = await leakFree(() => resize(x, 12), 'resize');
    expect(y.shape).toEqual([12, 16, 3]);
    const same = resize(x, [30, 40]);
    await expectAllClose(same, x, { atol: 1e-5, rtol: 0 }, 'identity resize');
    tf.dispose([x, y, same]);
  });

  it('centerCrop uses Python rounding of the offsets', async () => {
    expect([
      roundHalfEven(0.5),
      roundHalfEven(1.5),
      roundHalfEven(2.5),
      roundHalfEven(-0.5),
      roundHalfEven(2.4),
    ]).toEqual([0, 2, 2, -0, 2]);
    const x = tf.reshape(tf.range(0, 5 * 4, 1, 'float32'), [5, 4, 1]) as tf.Tensor3D;
    const y = await leakFree(() => centerCrop(x, [2, 3]), 'centerCrop');
    // offsets round(1.5) = 2, round(0.5) = 0
    expect(Array.from(await y.data())).toEqual([8, 9, 10, 12, 13, 14]);
    expect(() => centerCrop(x, 6)).toThrow(TransformInputError);
    expect(() => centerCrop(x, 6)).toThrow(/larger than the 5×4 image/);
    const err = (() => {
      try {
        centerCrop(x, 6);
      } catch (e) {
        return e as TransformInputError;
      }
    })();
    expect(err).toBeInstanceOf(PirError);
    expect([err?.name, err?.where, err?.argument, err?.fn]).toEqual([
      'TransformInputError',
      'centerCrop',
      'size',
      'centerCrop',
    ]);
    expect(err?.message).toMatch(/^centerCrop: size /);
    tf.dispose([x, y]);
  });

  it('normalize with CLIP statistics; imageToTensor scales 8-bit to [0, 1]', async () => {
    const x = imageToTensor({
      data: new Uint8Array([255, 0, 51, 128, 128, 128]),
      width: 2,
      height: 1,
      channels: 3,
    });
    expect(x.shape).toEqual([1, 2, 3]);
    await expectAllClose(x, [1, 0, 0.2, 128 / 255, 128 / 255, 128 / 255], { atol: 1e-6, rtol: 0 });
    const y = await leakFree(() => normalize(x), 'normalize');
    const expected = [0, 1, 2, 0, 1, 2].map(
      (c, i) => (await_(x, i) - (CLIP_MEAN[c] as number)) / (CLIP_STD[c] as number),
    );
    await expectAllClose(y, expected, { atol: 1e-5, rtol: 1e-5 });
    expect(() => normalize(x, [0.5], [0.5])).toThrow(/must have 3 values/);
    const batch = imagesToBatch([
      { data: new Uint8Array(3).fill(255), width: 1, height: 1, channels: 3 },
      { data: new Uint8Array([0]), width: 1, height: 1, channels: 1 },
    ]);
    expect(batch.shape).toEqual([2, 1, 1, 3]);
    expect(() =>
      imagesToBatch([
        { data: new Uint8Array(3), width: 1, height: 1, channels: 3 },
        { data: new Uint8Array(6), width: 2, height: 1, channels: 3 },
      ]),
    ).toThrow(/images\[1\] is 1×2, images\[0\] is 1×1/);
    tf.dispose([x, y, batch]);
  });

  it('imageToTensor / imagesToBatch: bad images are TransformInputErrors naming the image and the field', () => {
    const ok = { data: new Uint8Array(3), width: 1, height: 1, channels: 3 };
    const before = tf.memory().numTensors;
    expectInputError(
      () => imageToTensor({ ...ok, width: 0 }),
      'imageToTensor',
      'img.width',
      /^imageToTensor: img\.width must be a positive integer, got 0$/,
      TransformInputError,
    );
    expectInputError(
      () => imageToTensor({ ...ok, data: new Uint8Array(5) }),
      'imageToTensor',
      'img.data',
      /img\.data has 5 values, expected height\*width\*channels = 1\*1\*3/,
      TransformInputError,
    );
    expectInputError(
      () => imageToTensor({ data: new Uint8Array(5), width: 1, height: 1, channels: 5 }),
      'imageToTensor',
      'img',
      /cannot convert a 5-channel Uint8Array image to RGB/,
      TransformInputError,
    );
    expectInputError(
      () => imagesToBatch([ok, { ...ok, data: [0, 0, 0] as never }]),
      'imagesToBatch',
      'images[1].data',
      /images\[1\]\.data must be a Uint8Array or Float32Array, got Array/,
      TransformInputError,
    );
    expectInputError(
      () => imagesToBatch([ok, { ...ok, data: new Float32Array(1), channels: 1 }]),
      'imagesToBatch',
      'images[1]',
      /cannot convert a 1-channel Float32Array image to RGB/,
      TransformInputError,
    );
    expectInputError(
      () => imagesToBatch([ok, null as never]),
      'imagesToBatch',
      'images[1]',
      /images\[1\] must be a RawImage/,
      TransformInputError,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('flips: deterministic per seed, per-image decisions', async () => {
    const x = tf.reshape(tf.range(0, 8 * 2 * 3 * 1, 1, 'float32'), [8, 2, 3, 1]) as tf.Tensor4D;
    const a = await leakFree(() => randomHorizontalFlip(x, new Rng(3)), 'randomHorizontalFlip');
    const b = randomHorizontalFlip(x, new Rng(3));
    await expectAllClose(a, b, { atol: 0, rtol: 0 });
    const flipped = horizontalFlip(x);
    const av = await a.array();
    const xv = await x.array();
    const fv = await flipped.array();
    let nFlipped = 0;
    for (let i = 0; i < 8; i++) {
      const isFlipped = JSON.stringify(av[i]) === JSON.stringify(fv[i]);
      expect(isFlipped || JSON.stringify(av[i]) === JSON.stringify(xv[i])).toBe(true);
      if (isFlipped) nFlipped++;
    }
    expect(nFlipped).toBeGreaterThan(0);
    expect(nFlipped).toBeLessThan(8);
    tf.dispose([x, a, b, flipped]);
  });

  it('RandomResizedCrop: boxes follow torchvision (area, ratio, inside), same seed same output', async () => {
    const rng = new Rng(11);
    for (let i = 0; i < 500; i++) {
      const box = sampleResizedCropBox(256, 320, rng, [0.5, 1], [3 / 4, 4 / 3]);
      expect(box.top + box.height).toBeLessThanOrEqual(256);
      expect(box.left + box.width).toBeLessThanOrEqual(320);
      const area = (box.height * box.width) / (256 * 320);
      expect(area).toBeGreaterThan(0.48);
      expect(area).toBeLessThanOrEqual(1.01);
      const r = box.width / box.height;
      expect(r).toBeGreaterThan(0.74);
      expect(r).toBeLessThan(1.35);
    }
    // fallback: a very wide image cannot host a 3/4–4/3 crop of ≥ 90 % area → centre crop clamped to 4/3
    expect(sampleResizedCropBox(10, 100, new Rng(1), [0.9, 1])).toEqual({
      top: 0,
      left: 43,
      height: 10,
      width: 13,
    });
    const x = tf.randomUniform([2, 40, 48, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const a = await leakFree(
      () => randomResizedCrop(x, 24, new Rng(5), { scale: [0.5, 1] }),
      'randomResizedCrop',
    );
    const b = randomResizedCrop(x, 24, new Rng(5), { scale: [0.5, 1] });
    expect(a.shape).toEqual([2, 24, 24, 3]);
    await expectAllClose(a, b, { atol: 0, rtol: 0 });
    // equals resizedCrop with the same boxes
    const r2 = new Rng(5);
    const box0 = sampleResizedCropBox(40, 48, r2, [0.5, 1]);
    const ref0 = resizedCrop(tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D, box0, [24, 24]);
    await expectAllClose(tf.slice(a, [0, 0, 0, 0], [1, -1, -1, -1]), ref0, { atol: 1e-6, rtol: 0 });
    expect(() => randomResizedCrop(x, 24, new Rng(1), { scale: [0.9, 0.5] })).toThrow(/scale must satisfy/);
    tf.dispose([x, a, b, ref0]);
  });

  it('RandAugment: magnitudes at M = 7, deterministic per seed, range kept, leak-free', async () => {
    expect(augmentMagnitude('rotate', 7, 31, 224, 224)).toBeCloseTo(7, 10);
    expect(augmentMagnitude('shearX', 7, 31, 224, 224)).toBeCloseTo(0.07, 10);
    expect(Math.trunc(augmentMagnitude('translateX', 7, 31, 224, 224))).toBe(23);
    expect(augmentMagnitude('brightness', 7, 31, 224, 224)).toBeCloseTo(0.21, 10);
    const steps = sampleAugmentSteps(new Rng(1), 224, 224);
    expect(steps).toHaveLength(2);
    const x = tf.randomUniform([3, 20, 20, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const a = await leakFree(() => randAugment(x, new Rng(9)), 'randAugment');
    const b = randAugment(x, new Rng(9));
    await expectAllClose(a, b, { atol: 0, rtol: 0 });
    const v = await a.data();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(() => randAugment(x, new Rng(1), { magnitude: 31 })).toThrow(
      /magnitude must be an integer in \[0, 30\]/,
    );
    tf.dispose([x, a, b]);
  });

  it('RandAugment ops do what they say', async () => {
    const img = tf.tensor4d([0.2, 0.4, 0.6, 0.3, 0.5, 0.7, 0.25, 0.45, 0.65, 0.35, 0.55, 0.75], [1, 2, 2, 3]);
    const ac = applyAugmentOp(img, { op: 'autoContrast', magnitude: 0 });
    // per channel: min → 0, max → 1
    await expectAllClose(tf.min(ac, [0, 1, 2]), [0, 0, 0], { atol: 1e-6, rtol: 0 });
    await expectAllClose(tf.max(ac, [0, 1, 2]), [1, 1, 1], { atol: 1e-6, rtol: 0 });
    const br = applyAugmentOp(img, { op: 'brightness', magnitude: 0.5 });
    await expectAllClose(br, tf.clipByValue(tf.mul(img, 1.5), 0, 1), { atol: 1e-6, rtol: 0 });
    const ramp = tf.reshape(tf.range(1, 10, 1, 'float32'), [1, 3, 3, 1]) as tf.Tensor4D;
    const tx = applyAugmentOp(ramp, { op: 'translateX', magnitude: 1.7 });
    expect(Array.from(await tx.data())).toEqual([0, 1, 2, 0, 4, 5, 0, 7, 8]);
    const rot = applyAugmentOp(ramp, { op: 'rotate', magnitude: 90 });
    // 90° counter-clockwise: the top row becomes the left column, read bottom-up
    expect(Array.from(await rot.data())).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    // equalize (torchvision's LUT): two levels of 256 pixels each spread to 0 and 255; 4 pixels are too few
    // (step = (N − count of the top level) // 255 = 0) and come back unchanged
    const two = tf.concat([tf.fill([1, 8, 32, 1], 0.2), tf.fill([1, 8, 32, 1], 0.6)], 1) as tf.Tensor4D;
    const eq = applyAugmentOp(two, { op: 'equalize', magnitude: 0 });
    expect(new Set(Array.from(await eq.data()).map((v) => Math.round(v * 255)))).toEqual(new Set([0, 255]));
    const few = tf.tensor4d([0.2, 0.2, 0.6, 0.6], [1, 2, 2, 1]);
    const same = applyAugmentOp(few, { op: 'equalize', magnitude: 0 });
    expect(Array.from(await same.data()).map((v) => Math.round(v * 255))).toEqual([51, 51, 153, 153]);
    const flat = applyAugmentOp(tf.fill([1, 3, 3, 3], 0.5) as tf.Tensor4D, {
      op: 'sharpness',
      magnitude: 0.3,
    });
    await expectAllClose(flat, tf.fill([1, 3, 3, 3], 0.5), { atol: 1e-6, rtol: 0 });
    tf.dispose([img, ac, br, ramp, tx, rot, two, eq, few, same, flat]);
  });

  it('trainTransform: shape, determinism, leak-free; evalTransform shape', async () => {
    const x = tf.randomUniform([2, 36, 40, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const a = await leakFree(() => trainTransform(x, new Rng(21), { size: 24 }), 'trainTransform');
    const b = trainTransform(x, new Rng(21), { size: 24 });
    expect(a.shape).toEqual([2, 24, 24, 3]);
    await expectAllClose(a, b, { atol: 0, rtol: 0 });
    const e = await leakFree(() => evalTransform(x, { size: 24 }), 'evalTransform');
    expect(e.shape).toEqual([2, 24, 24, 3]);
    tf.dispose([x, a, b, e]);
  });

  it('trainTransform = randomResizedCrop → randomHorizontalFlip → randAugment → normalize (same draws)', async () => {
    const x = tf.randomUniform([3, 30, 34, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const fused = trainTransform(x, new Rng(77), { size: 20 });
    const rng = new Rng(77);
    const composed = tf.tidy(() =>
      normalize(
        randAugment(randomHorizontalFlip(randomResizedCrop(x, 20, rng, { scale: [0.5, 1] }), rng), rng),
      ),
    );
    await expectAllClose(fused, composed, { atol: 1e-4, rtol: 1e-4 }, 'fused vs composed');
    tf.dispose([x, fused, composed]);
  });

  it('resizedCrops: per-image boxes, flip folded into the weights, one box per image', async () => {
    const x = tf.randomUniform([2, 12, 14, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const boxes = [
      { top: 1, left: 2, height: 9, width: 10, flip: true },
      { top: 0, left: 0, height: 12, width: 14 },
    ];
    const y = await leakFree(() => resizedCrops(x, boxes, [8, 8]), 'resizedCrops');
    const ref0 = tf.tidy(() =>
      horizontalFlip(
        resizedCrop(
          tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D,
          { ...(boxes[0] as Box), flip: false },
          [8, 8],
        ),
      ),
    );
    const ref1 = resizedCrop(
      tf.slice(x, [1, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D,
      boxes[1] as Box,
      [8, 8],
    );
    await expectAllClose(
      tf.slice(y, [0, 0, 0, 0], [1, -1, -1, -1]),
      ref0,
      { atol: 1e-5, rtol: 0 },
      'flipped crop',
    );
    await expectAllClose(
      tf.slice(y, [1, 0, 0, 0], [1, -1, -1, -1]),
      ref1,
      { atol: 1e-5, rtol: 0 },
      'plain crop',
    );
    expect(() => resizedCrops(x, [boxes[1] as Box], [8, 8])).toThrow(
      /boxes must hold one box per image \(2\), got 1/,
    );
    tf.dispose([x, y, ref0, ref1]);
  });

  it('equalize: the JS path (cpu/wasm) and the tf-ops path (other backends) agree; LUT as torchvision', async () => {
    expect(
      Array.from(equalizeLut(Object.assign(new Array(256).fill(0), { 51: 256, 153: 256 }))).filter(
        (_, v) => v === 51 || v === 153,
      ),
    ).toEqual([0, 255]);
    const x = tf.randomUniform([1, 16, 16, 3], 0.2, 0.7, 'float32', 10) as tf.Tensor4D;
    const js = applyAugmentOp(x, { op: 'equalize', magnitude: 0 });
    const ops = await leakFree(() => equalizeWithTfOps(x), 'equalize (tf ops)');
    await expectAllClose(js, ops, { atol: 1e-6, rtol: 0 }, 'equalize paths');
    const few = tf.tensor4d([0.2, 0.2, 0.6, 0.6], [1, 2, 2, 1]);
    await expectAllClose(equalizeWithTfOps(few), applyAugmentOp(few, { op: 'equalize', magnitude: 0 }), {
      atol: 1e-6,
      rtol: 0,
    });
    tf.dispose([x, js, ops, few]);
  });

  it('RandAugment in JS (cpu/wasm) matches the tf-ops form, op by op and end to end', async () => {
    const x = tf.randomUniform([2, 15, 17, 3], 0, 1, 'float32', 12) as tf.Tensor4D;
    const one = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    const px = one.dataSync() as Float32Array;
    for (const op of RAND_AUGMENT_OPS) {
      for (const magnitude of [augmentMagnitude(op, 7, 31, 15, 17), -augmentMagnitude(op, 12, 31, 15, 17)]) {
        const ref = await leakFree(() => applyAugmentOp(one, { op, magnitude }), `applyAugmentOp ${op}`);
        const js = applyAugmentOpJs(px, 15, 17, 3, { op, magnitude });
        await expectAllClose(js, ref, { atol: 1e-5, rtol: 0 }, `${op} ${magnitude}`);
        ref.dispose();
      }
    }
    const a = await leakFree(() => randAugment(x, new Rng(5)), 'randAugment (JS)');
    const b = randAugment(x, new Rng(5), { path: 'ops' });
    await expectAllClose(a, b, { atol: 1e-5, rtol: 0 }, 'randAugment paths');
    tf.dispose([x, one, a, b]);
  });

  it('errors name the function and the argument', () => {
    const bad = tf.zeros([4, 4]);
    expect(() => resize(bad as unknown as tf.Tensor3D, 2)).toThrow(
      /resize: x must be a tensor \[H, W, C\] or \[B, H, W, C\], got \[4, 4\]/,
    );
    const int = tf.zeros([2, 2, 3], 'int32') as tf.Tensor3D;
    expect(() => normalize(int)).toThrow(/normalize: x must be float32, got int32/);
    expect(() => resize(tf.zeros([2, 2, 3]) as tf.Tensor3D, 0)).toThrow(
      /resize: size must be positive integers/,
    );
    expect(() =>
      resizedCrop(tf.zeros([4, 4, 3]) as tf.Tensor3D, { top: 2, left: 0, height: 3, width: 2 }, [2, 2]),
    ).toThrow(/box .* is not inside the 4×4 image/);
    tf.dispose([bad, int]);
  });
});

describe('imageToTensor', () => {
  it('makes exactly one tensor', async () => {
    const img = { data: new Uint8Array(12), width: 2, height: 2, channels: 3 };
    const before = tf.memory().numTensors;
    const t = imageToTensor(img);
    const b = imagesToBatch([img, img]);
    expect(tf.memory().numTensors - before).toBe(2);
    tf.dispose([t, b]);
  });

  it('passes float GeoTIFF bands through unscaled', () => {
    const t = imageToTensor({ data: new Float32Array([1000, 2000, 3000]), width: 1, height: 1, channels: 3 });
    expect(Array.from(t.dataSync())).toEqual([1000, 2000, 3000]);
    t.dispose();
  });
});

function await_(x: tf.Tensor, i: number): number {
  return x.dataSync()[i] as number;
}
