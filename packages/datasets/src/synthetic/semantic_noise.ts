/**
 * Semantic noise, on purpose — the conditions PIR exists for: distractor objects that belong to other scene
 * classes, small clutter, cloud cover, a global illumination/colour cast, sensor grain, and (optionally) the
 * texture of a real Landsat-7 scene.
 */
import type { RawImage } from '../images/image_types.js';
import { countWord, pick, placeWords, plural } from './caption_words.js';
import { makeNoise, type Rgb } from './raster.js';
import type { SceneContext } from './scene_context.js';

/** How much of each kind of noise to add; every field in [0, 1] (0 = none). */
export interface NoiseOptions {
  /** Probability of distractor objects from other classes (default 0.5). */
  distractors?: number;
  /** Amount of small clutter (default 0.5). */
  clutter?: number;
  /** Probability of cloud cover (default 0.2). */
  clouds?: number;
  /** Strength of the illumination/colour cast (default 0.5). */
  illumination?: number;
  /** Strength of per-pixel sensor grain (default 0.5). */
  grain?: number;
}

/** Defaults of {@link NoiseOptions}. */
export const DEFAULT_NOISE: Required<NoiseOptions> = {
  distractors: 0.5,
  clutter: 0.5,
  clouds: 0.2,
  illumination: 0.5,
  grain: 0.5,
};

/** Distractors and clutter, drawn before clouds; returns captions that mention them. */
export function addDistractors(ctx: SceneContext, label: string, noise: Required<NoiseOptions>): string[] {
  const { rng, S } = ctx;
  const out: string[] = [];
  // clutter: tiny rocks, bushes, debris — unnamed, unrecorded in captions
  const nClutter = Math.round(noise.clutter * rng.int(30));
  for (let i = 0; i < nClutter; i++) {
    const c: Rgb = pick(rng, [
      [0.2, 0.25, 0.15],
      [0.7, 0.68, 0.62],
      [0.35, 0.3, 0.25],
    ] as Rgb[]);
    ctx.r.ellipse(
      rng.float() * S,
      rng.float() * S,
      ctx.px(rng.uniform(0.003, 0.01)),
      ctx.px(rng.uniform(0.003, 0.01)),
      0,
      c,
      0.7,
    );
  }
  if (!rng.bernoulli(noise.distractors)) return out;
  const kinds = ['car', 'house', 'tree', 'storage tank'].filter(
    (k) =>
      !(k === 'storage tank' && (label === 'storagetanks' || label === 'industrial')) &&
      !(k === 'house' && label === 'residential') &&
      !(k === 'car' && (label === 'parking' || label === 'residential')),
  );
  const kind = pick(rng, kinds);
  const n = rng.int(3) + 1;
  const cx = rng.uniform(0.1, 0.9);
  const cy = rng.uniform(0.1, 0.9);
  for (let i = 0; i < n; i++) {
    const x = (cx + rng.uniform(-0.08, 0.08)) * S;
    const y = (cy + rng.uniform(-0.08, 0.08)) * S;
    if (kind === 'car')
      ctx.car(x, y, rng.float() * Math.PI, pick(rng, ['white', 'red', 'black'] as const), 'distractor');
    else if (kind === 'house')
      ctx.building(
        x,
        y,
        ctx.px(0.06),
        ctx.px(0.045),
        rng.float(),
        pick(rng, ['red', 'grey', 'blue'] as const),
        'distractor',
        'house',
      );
    else if (kind === 'tree') ctx.tree(x, y, ctx.px(rng.uniform(0.02, 0.035)), 'distractor');
    else ctx.tank(x, y, ctx.px(0.03), 'white', 'distractor');
  }
  const where = placeWords(cx, cy);
  const noun = plural(kind, n);
  out.push(
    n === 1 ? `a ${kind} is ${where}` : `${countWord(n, rng)} ${noun} are ${where}`,
    `there ${n === 1 ? 'is' : 'are'} ${countWord(n, rng).replace(/^one$/, 'a')} ${noun} ${where} of the ${displayName(label)}`,
  );
  return out;
}

/** Cloud cover (semi-transparent white patches); returns captions that mention it. */
export function addClouds(ctx: SceneContext, label: string, noise: Required<NoiseOptions>): string[] {
  const { rng, S, r } = ctx;
  if (!rng.bernoulli(noise.clouds)) return [];
  const n = makeNoise(rng, ctx.px(rng.uniform(0.25, 0.5)), 4);
  const threshold = rng.uniform(0.5, 0.62);
  let covered = 0;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const v = n(x + 0.5, y + 0.5);
      if (v > threshold) {
        const a = Math.min(0.9, (v - threshold) * 5);
        r.blendPixel(x, y, [0.95, 0.95, 0.96], a);
        if (a > 0.3) covered++;
      }
    }
  }
  if (covered < S * S * 0.02) return [];
  ctx.record('cloud', 'noise', 'white', [0.5 * S, 0.5 * S, S, S]);
  return [
    `part of the ${displayName(label)} is covered by white clouds`,
    `thin clouds float over the ${displayName(label)}`,
  ];
}

/** Illumination cast, optional Landsat texture, sensor grain — applied to the whole image. */
export function addSensorEffects(ctx: SceneContext, noise: Required<NoiseOptions>, texture?: RawImage): void {
  const { rng, S, r } = ctx;
  const gain = 1 + noise.illumination * rng.uniform(-0.15, 0.15);
  const cast: Rgb = [
    1 + noise.illumination * rng.uniform(-0.06, 0.06),
    1 + noise.illumination * rng.uniform(-0.06, 0.06),
    1 + noise.illumination * rng.uniform(-0.06, 0.06),
  ];
  let tex: ((x: number, y: number) => number) | undefined;
  if (texture && texture.width >= 8 && texture.height >= 8) {
    // a random window of the real scene, its luminance normalised to mean 1, stretched over the image
    const win = Math.min(texture.width, texture.height, Math.max(16, Math.round(S / 3)));
    const ox = rng.int(texture.width - win + 1);
    const oy = rng.int(texture.height - win + 1);
    const lum = new Float32Array(win * win);
    let mean = 0;
    const c = texture.channels;
    for (let y = 0; y < win; y++) {
      for (let x = 0; x < win; x++) {
        const i = ((oy + y) * texture.width + ox + x) * c;
        let v = 0;
        for (let k = 0; k < Math.min(3, c); k++) v += texture.data[i + k] as number;
        lum[y * win + x] = v;
        mean += v;
      }
    }
    mean /= lum.length;
    const strength = 0.35;
    tex = (x, y) => {
      const u = Math.min(win - 1, Math.floor((x / S) * win));
      const v = Math.min(win - 1, Math.floor((y / S) * win));
      return 1 + strength * ((lum[v * win + u] as number) / (mean || 1) - 1);
    };
  }
  const sigma = noise.grain * 0.03;
  const d = r.data;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const t = tex ? tex(x, y) : 1;
      const i = (y * S + x) * 3;
      const g = sigma > 0 ? rng.normal(0, sigma) : 0;
      for (let k = 0; k < 3; k++) d[i + k] = (d[i + k] as number) * gain * (cast[k] as number) * t + g;
    }
  }
}

/** The class name as it reads in a caption. */
export function displayName(label: string): string {
  return label === 'storagetanks'
    ? 'storage tank area'
    : label === 'parking'
      ? 'parking lot'
      : label === 'residential'
        ? 'residential area'
        : label === 'industrial'
          ? 'industrial area'
          : label;
}
