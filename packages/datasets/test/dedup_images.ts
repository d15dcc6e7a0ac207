/**
 * Synthetic test images for the de-duplication tests: seeded smooth textures and the edits a copy of an
 * image goes through between datasets (resize, brightness, re-encoding noise), written independently of
 * the hashing code (bilinear resampling here, area averaging there).
 */
import { Rng } from '@pir/runtime';
import type { RawImage } from '../src/images/index.js';

/** A `w × h` RGB texture: coloured Gaussian blobs and a low-frequency wave on a random background. */
export function texture(seed: number | string, w = 64, h = 64): RawImage {
  const rng = new Rng(seed);
  const blobs = Array.from({ length: 8 }, () => ({
    x: rng.uniform(0, w),
    y: rng.uniform(0, h),
    r: rng.uniform(w / 12, w / 4),
    c: [rng.uniform(-90, 90), rng.uniform(-90, 90), rng.uniform(-90, 90)],
  }));
  const base = [rng.uniform(60, 190), rng.uniform(60, 190), rng.uniform(60, 190)];
  const fx = rng.uniform(1, 4);
  const fy = rng.uniform(1, 4);
  const phase = rng.uniform(0, 6.28);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const wave = 25 * Math.sin((2 * Math.PI * fx * x) / w + (2 * Math.PI * fy * y) / h + phase);
      for (let c = 0; c < 3; c++) {
        let v = base[c]! + wave;
        for (const b of blobs) v += b.c[c]! * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
        data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data, width: w, height: h, channels: 3 };
}

/** Bilinear resize (pixel centres aligned, as most image libraries do). */
export function resizeBilinear(img: RawImage, w: number, h: number): RawImage {
  const { width: W, height: H, channels: C, data: src } = img;
  const data = new Uint8Array(w * h * C);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max(((y + 0.5) * H) / h - 0.5, 0), H - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, H - 1);
    const ty = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(Math.max(((x + 0.5) * W) / w - 0.5, 0), W - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, W - 1);
      const tx = sx - x0;
      for (let c = 0; c < C; c++) {
        const v =
          (1 - ty) * ((1 - tx) * src[(y0 * W + x0) * C + c]! + tx * src[(y0 * W + x1) * C + c]!) +
          ty * ((1 - tx) * src[(y1 * W + x0) * C + c]! + tx * src[(y1 * W + x1) * C + c]!);
        data[(y * w + x) * C + c] = Math.round(v);
      }
    }
  }
  return { data, width: w, height: h, channels: C };
}

/** Add `delta` to every sample (clamped to 0–255). */
export function brighten(img: RawImage, delta: number): RawImage {
  return { ...img, data: Uint8Array.from(img.data, (v) => Math.max(0, Math.min(255, v + delta))) };
}

/** Uniform noise in ±amplitude on every sample (what lossy re-encoding does, roughly). */
export function noisy(img: RawImage, amplitude: number, seed: number): RawImage {
  const rng = new Rng(seed);
  return {
    ...img,
    data: Uint8Array.from(img.data, (v) =>
      Math.max(0, Math.min(255, Math.round(v + rng.uniform(-amplitude, amplitude)))),
    ),
  };
}

/** RGB → RGBA (opaque) or grey, for channel-layout checks. */
export function withChannels(img: RawImage, channels: 1 | 4): RawImage {
  const n = img.width * img.height;
  const data = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    const [r, g, b] = [img.data[p * 3]!, img.data[p * 3 + 1]!, img.data[p * 3 + 2]!];
    if (channels === 1) data[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else data.set([r, g, b, 255], p * 4);
  }
  return { data, width: img.width, height: img.height, channels };
}

/** The edited copies every test expects to match their original. */
export function variants(img: RawImage, seed: number): [string, RawImage][] {
  return [
    ['identical', { ...img, data: img.data.slice() }],
    ['downscaled 0.75', resizeBilinear(img, Math.round(img.width * 0.75), Math.round(img.height * 0.75))],
    ['upscaled 1.5', resizeBilinear(img, Math.round(img.width * 1.5), Math.round(img.height * 1.5))],
    ['brightened +15', brighten(img, 15)],
    ['darkened -10', brighten(img, -10)],
    ['noise ±6', noisy(img, 6, seed)],
    ['downscaled + brightened + noise', noisy(brighten(resizeBilinear(img, 48, 48), 10), 4, seed + 1)],
  ];
}
