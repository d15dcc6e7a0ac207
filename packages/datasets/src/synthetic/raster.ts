/**
 * A tiny software rasteriser for the synthetic scenes: an RGB float canvas with anti-aliased (4-sample)
 * polygons, discs and thick polylines, alpha blending and value-noise textures. Coordinates are in pixels
 * with (0, 0) the top-left corner of the top-left pixel. Pure JS: the same pixels in Node and the browser.
 */
import type { Rng } from '@pir/runtime/rng';
import type { RawImage } from '../images/image_types.js';

/** An RGB colour, components in [0, 1]. */
export type Rgb = readonly [number, number, number];
/** A point [x, y] in pixels. */
export type Point = readonly [number, number];

const SAMPLES: readonly Point[] = [
  [0.25, 0.25],
  [0.75, 0.25],
  [0.25, 0.75],
  [0.75, 0.75],
];

/** An RGB float canvas. */
export class Raster {
  /** Pixels [height, width, 3] interleaved, values in [0, 1]. */
  readonly data: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(width * height * 3);
  }

  /** Blend `colour` into pixel (x, y) with opacity `a`. */
  blendPixel(x: number, y: number, colour: Rgb, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = (y * this.width + x) * 3;
    const d = this.data;
    d[i] = (d[i] as number) * (1 - a) + colour[0] * a;
    d[i + 1] = (d[i + 1] as number) * (1 - a) + colour[1] * a;
    d[i + 2] = (d[i + 2] as number) * (1 - a) + colour[2] * a;
  }

  /** Fill the whole canvas with `shade(x, y)`. */
  fill(shade: (x: number, y: number) => Rgb): void {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const c = shade(x + 0.5, y + 0.5);
        const i = (y * this.width + x) * 3;
        this.data[i] = c[0];
        this.data[i + 1] = c[1];
        this.data[i + 2] = c[2];
      }
    }
  }

  /**
   * Paint every pixel whose samples satisfy `inside` within the box [x0, x1) × [y0, y1), coverage-weighted;
   * `colourAt` may vary the colour per pixel (texture).
   */
  paint(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    inside: (x: number, y: number) => boolean,
    colourAt: (x: number, y: number) => Rgb,
    alpha = 1,
  ): void {
    const xa = Math.max(0, Math.floor(x0));
    const ya = Math.max(0, Math.floor(y0));
    const xb = Math.min(this.width, Math.ceil(x1));
    const yb = Math.min(this.height, Math.ceil(y1));
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) {
        let hits = 0;
        for (const [sx, sy] of SAMPLES) if (inside(x + sx, y + sy)) hits++;
        if (hits > 0) this.blendPixel(x, y, colourAt(x + 0.5, y + 0.5), (alpha * hits) / SAMPLES.length);
      }
    }
  }

  /** Fill a polygon (even–odd rule). */
  polygon(points: readonly Point[], colour: Rgb | ((x: number, y: number) => Rgb), alpha = 1): void {
    let x0 = Number.POSITIVE_INFINITY;
    let y0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    for (const [x, y] of points) {
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    const n = points.length;
    const inside = (px: number, py: number): boolean => {
      let c = false;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const [xi, yi] = points[i] as Point;
        const [xj, yj] = points[j] as Point;
        if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) c = !c;
      }
      return c;
    };
    this.paint(x0, y0, x1 + 1, y1 + 1, inside, typeof colour === 'function' ? colour : () => colour, alpha);
  }

  /** Fill a rectangle of size w × h centred at (cx, cy), rotated by `angle` radians. */
  rect(
    cx: number,
    cy: number,
    w: number,
    h: number,
    angle: number,
    colour: Rgb | ((x: number, y: number) => Rgb),
    alpha = 1,
  ): void {
    this.polygon(rotatedRect(cx, cy, w, h, angle), colour, alpha);
  }

  /** Fill an ellipse with radii rx, ry centred at (cx, cy), rotated by `angle`. */
  ellipse(
    cx: number,
    cy: number,
    rx: number,
    ry: number,
    angle: number,
    colour: Rgb | ((x: number, y: number) => Rgb),
    alpha = 1,
  ): void {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const r = Math.max(rx, ry);
    const inside = (x: number, y: number): boolean => {
      const dx = x - cx;
      const dy = y - cy;
      const u = (dx * c + dy * s) / rx;
      const v = (-dx * s + dy * c) / ry;
      return u * u + v * v <= 1;
    };
    this.paint(
      cx - r,
      cy - r,
      cx + r + 1,
      cy + r + 1,
      inside,
      typeof colour === 'function' ? colour : () => colour,
      alpha,
    );
  }

  /** A thick polyline (round joins), e.g. a road or a river. */
  polyline(
    points: readonly Point[],
    width: number,
    colour: Rgb | ((x: number, y: number) => Rgb),
    alpha = 1,
  ): void {
    const half = width / 2;
    let x0 = Number.POSITIVE_INFINITY;
    let y0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    for (const [x, y] of points) {
      x0 = Math.min(x0, x - half);
      y0 = Math.min(y0, y - half);
      x1 = Math.max(x1, x + half);
      y1 = Math.max(y1, y + half);
    }
    const inside = (px: number, py: number): boolean => {
      for (let i = 0; i + 1 < points.length; i++) {
        if (segmentDistance(px, py, points[i] as Point, points[i + 1] as Point) <= half) return true;
      }
      return false;
    };
    this.paint(x0, y0, x1 + 1, y1 + 1, inside, typeof colour === 'function' ? colour : () => colour, alpha);
  }

  /** Quantise to an 8-bit RawImage [height, width, 3]. */
  toRawImage(): RawImage {
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = Math.round((this.data[i] as number) * 255);
      out[i] = Math.max(0, Math.min(255, v));
    }
    return { data: out, width: this.width, height: this.height, channels: 3 };
  }
}

/** Corners of a w × h rectangle centred at (cx, cy) rotated by `angle`. */
export function rotatedRect(cx: number, cy: number, w: number, h: number, angle: number): Point[] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [
    [-w / 2, -h / 2],
    [w / 2, -h / 2],
    [w / 2, h / 2],
    [-w / 2, h / 2],
  ].map(
    ([x, y]) =>
      [cx + (x as number) * c - (y as number) * s, cy + (x as number) * s + (y as number) * c] as Point,
  );
}

/** Distance from (px, py) to the segment a–b. */
export function segmentDistance(px: number, py: number, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / len2));
  const ex = a[0] + t * dx - px;
  const ey = a[1] + t * dy - py;
  return Math.sqrt(ex * ex + ey * ey);
}

/**
 * Seeded 2-D value noise with `octaves` of fractal detail, in [0, 1]. `scale` is the size of the coarsest
 * feature in pixels.
 */
export function makeNoise(rng: Rng, scale: number, octaves = 3): (x: number, y: number) => number {
  // lattice values from an integer hash of (i, j, seed): O(1) to create, so every small object can have its own
  const seed = rng.nextUint32() | 0;
  const at = (i: number, j: number): number => {
    let h = Math.imul(i, 0x27d4eb2d) ^ Math.imul(j, 0x165667b1) ^ seed;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
  };
  const smooth = (t: number) => t * t * (3 - 2 * t);
  const octave = (x: number, y: number): number => {
    const i = Math.floor(x);
    const j = Math.floor(y);
    const u = smooth(x - i);
    const v = smooth(y - j);
    const a = at(i, j) + (at(i + 1, j) - at(i, j)) * u;
    const b = at(i, j + 1) + (at(i + 1, j + 1) - at(i, j + 1)) * u;
    return a + (b - a) * v;
  };
  const inv = 1 / Math.max(scale, 1e-6);
  return (x, y) => {
    let sum = 0;
    let amp = 1;
    let total = 0;
    let f = inv;
    for (let o = 0; o < octaves; o++) {
      sum += amp * octave(x * f + o * 17.3, y * f + o * 5.1);
      total += amp;
      amp *= 0.5;
      f *= 2;
    }
    return sum / total;
  };
}

/** `c` scaled by `k` (brightness), clamped. */
export function shade(c: Rgb, k: number): Rgb {
  return [Math.min(1, c[0] * k), Math.min(1, c[1] * k), Math.min(1, c[2] * k)];
}

/** Linear mix of two colours. */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
