/**
 * The synthetic remote-sensing benchmark: deterministic aerial-looking scenes of 12 classes with five
 * captions each, in the PIR JSON layout (PIR_SPEC §6), in memory (Node and browser) or written to disk
 * (Node) so the real loader path is exercised.
 *
 * Image `i` depends only on (`seed`, `i`, `size`, `noise`, `texture`): any image can be regenerated alone.
 */
import { Rng } from '@pir/runtime/rng';
import { DatasetInputError } from '../errors.js';
import type { RawImage } from '../images/image_types.js';
import { capitalise } from './caption_words.js';
import { SCENE_CLASSES, SCENES, type SceneClass } from './scene_composers.js';
import { SceneContext, type SceneObject } from './scene_context.js';
import {
  addClouds,
  addDistractors,
  addSensorEffects,
  DEFAULT_NOISE,
  type NoiseOptions,
} from './semantic_noise.js';

/** Options of the generator. */
export interface SyntheticOptions {
  /** Seed of everything (default 0). */
  seed?: number | string;
  /** Image side in pixels, 32–512 (default 224). */
  size?: number;
  /** Number of images over all splits (default 600). */
  count?: number;
  /** Share of each split (default `{ train: 0.72, val: 0.18, test: 0.1 }`, RSITMD-like); normalised. */
  splits?: { train: number; val: number; test: number };
  /** Scene classes to draw from (default all 12, label = index in this list). */
  classes?: readonly SceneClass[];
  /** Semantic-noise levels (see {@link NoiseOptions}). */
  noise?: NoiseOptions;
  /** A real image whose texture modulates every scene (e.g. a Landsat-7 RGB composite). */
  texture?: RawImage | undefined;
  /** Image encoding on disk (default `'png'`); the file names end in `.png` or `.tif`. */
  format?: 'png' | 'tif';
}

/** Dataset split. */
export type Split = 'train' | 'val' | 'test';

/** One generated image and its description. */
export interface SyntheticSample {
  /** Global image index, also the PIR JSON `image_id`. */
  imageId: number;
  split: Split;
  /** Path relative to the images folder, PIR JSON style: `train/airport_12.png`. */
  image: string;
  /** Scene class name and its index in `classes`. */
  labelName: SceneClass;
  label: number;
  /** Five captions that describe what is in the image. */
  captions: [string, string, string, string, string];
  /** What was drawn: key objects, context, distractors and noise, with counts, colours and boxes. */
  objects: SceneObject[];
}

/** PIR JSON train entry: one per caption. */
export interface PirTrainEntry {
  caption: string;
  image: string;
  image_id: number;
  label_name: string;
  label: number;
}
/** PIR JSON val/test entry: one per image (val also carries the label). */
export interface PirEvalEntry {
  image: string;
  caption: string[];
  label_name?: string;
  label?: number;
}

/** Options with defaults filled in. */
export interface ResolvedSyntheticOptions {
  seed: number | string;
  size: number;
  count: number;
  splits: { train: number; val: number; test: number };
  classes: readonly SceneClass[];
  noise: Required<NoiseOptions>;
  texture: RawImage | undefined;
  format: 'png' | 'tif';
}

/**
 * Validate options and fill in defaults.
 * @throws DatasetInputError (`where: 'resolveSyntheticOptions'`) naming the option
 */
export function resolveSyntheticOptions(options: SyntheticOptions = {}): ResolvedSyntheticOptions {
  return resolveOptions(options, 'resolveSyntheticOptions');
}

/**
 * {@link resolveSyntheticOptions} for the generators (internal): `where` is the public function that was
 * called (`'generateSynthetic'`, `'synthesize'`, `'writeSynthetic'`, …), `argument` of its errors the option.
 */
export function resolveOptions(options: SyntheticOptions, where: string): ResolvedSyntheticOptions {
  const fail = (argument: string, message: string): never => {
    throw new DatasetInputError(where, argument, message);
  };
  const size = options.size ?? 224;
  const count = options.count ?? 600;
  if (!Number.isInteger(size) || size < 32 || size > 512) {
    fail('size', `size must be an integer in [32, 512], got ${size}`);
  }
  if (!Number.isInteger(count) || count < 1) fail('count', `count must be a positive integer, got ${count}`);
  const seed = options.seed ?? 0;
  if (typeof seed !== 'string' && !Number.isInteger(seed)) {
    fail('seed', `seed must be a finite integer or a string, got ${String(seed)}`);
  }
  const classes = options.classes ?? SCENE_CLASSES;
  if (classes.length === 0) fail('classes', 'classes must not be empty');
  for (const c of classes) {
    if (!(c in SCENES)) fail('classes', `unknown class '${c}'; known: ${SCENE_CLASSES.join(', ')}`);
  }
  const sp = options.splits ?? { train: 0.72, val: 0.18, test: 0.1 };
  const total = sp.train + sp.val + sp.test;
  if (![sp.train, sp.val, sp.test].every((v) => v >= 0) || !(total > 0)) {
    fail('splits', `splits must be non-negative with a positive sum, got ${JSON.stringify(sp)}`);
  }
  const noise = { ...DEFAULT_NOISE, ...(options.noise ?? {}) };
  for (const [k, v] of Object.entries(noise)) {
    if (!(v >= 0 && v <= 1)) fail(`noise.${k}`, `noise.${k} must be in [0, 1], got ${v}`);
  }
  const format = options.format ?? 'png';
  if (format !== 'png' && format !== 'tif') {
    fail('format', `format must be 'png' or 'tif', got ${String(format)}`);
  }
  return {
    seed,
    size,
    count,
    splits: { train: sp.train / total, val: sp.val / total, test: sp.test / total },
    classes,
    noise,
    texture: options.texture,
    format,
  };
}

/** Class, split and file name of image `i` (stratified: every class is split in the same proportions). */
export function planImage(
  i: number,
  o: ResolvedSyntheticOptions,
): Pick<SyntheticSample, 'imageId' | 'split' | 'image' | 'labelName' | 'label'> {
  const C = o.classes.length;
  const label = i % C;
  const k = Math.floor(i / C); // k-th image of its class
  const nClass = Math.floor(o.count / C) + (label < o.count % C ? 1 : 0);
  const nTrain = Math.round(nClass * o.splits.train);
  const nVal = Math.round(nClass * o.splits.val);
  const split: Split = k < nTrain ? 'train' : k < nTrain + nVal ? 'val' : 'test';
  const labelName = o.classes[label] as SceneClass;
  return { imageId: i, split, image: `${split}/${labelName}_${i}.${o.format}`, labelName, label };
}

/** Pick five distinct captions: mostly about the key objects, sometimes one about the noise. */
function chooseCaptions(
  rng: Rng,
  scene: string[],
  noise: string[],
): [string, string, string, string, string] {
  const pool = [...new Set(scene)];
  rng.shuffle(pool);
  const chosen = pool.slice(0, 5);
  const extras = [...new Set(noise)];
  if (extras.length > 0 && rng.bernoulli(0.7)) chosen[4] = extras[rng.int(extras.length)] as string;
  if (extras.length > 1 && rng.bernoulli(0.3))
    chosen[3] = extras.find((e) => e !== chosen[4]) ?? (chosen[3] as string);
  while (chosen.length < 5)
    chosen.push(`${chosen[chosen.length % Math.max(1, pool.length)] ?? 'an aerial image'} .`);
  return chosen.map((c) => {
    let s = c.replace(/\s+/g, ' ').trim();
    if (rng.bernoulli(0.5)) s = capitalise(s);
    if (!/[.]$/.test(s) && rng.bernoulli(0.4)) s += '.';
    return s;
  }) as [string, string, string, string, string];
}

/**
 * Render image `i` of the benchmark and describe it.
 * @returns the sample (captions, objects, PIR path) and its pixels [size, size, 3]
 * @example
 * ```ts
 * const { sample, pixels } = generateSyntheticImage(0, { seed: 1, size: 128 });
 * sample.labelName; // 'airport'
 * sample.captions[0]; // e.g. 'Three white planes are parked near the terminal building'
 * ```
 */
export function generateSyntheticImage(
  i: number,
  options: SyntheticOptions = {},
): { sample: SyntheticSample; pixels: RawImage } {
  const o = resolveOptions(options, 'generateSyntheticImage');
  if (!Number.isInteger(i) || i < 0 || i >= o.count) {
    throw new DatasetInputError(
      'generateSyntheticImage',
      'i',
      `generateSyntheticImage: image index must be an integer in [0, ${o.count}) (the count option), got ${i}`,
    );
  }
  return renderImage(i, o);
}

/** Image `i` (an integer in [0, o.count), checked by the caller). */
function renderImage(i: number, o: ResolvedSyntheticOptions): { sample: SyntheticSample; pixels: RawImage } {
  const plan = planImage(i, o);
  const rng = new Rng(o.seed).fork(`image:${i}`);
  const ctx = new SceneContext(o.size, rng.fork('scene'));
  const sceneCaptions = SCENES[plan.labelName](ctx);
  ctx.rng = rng.fork('noise'); // noise draws never shift the scene's own stream
  const noiseCaptions = [
    ...addDistractors(ctx, plan.labelName, o.noise),
    ...addClouds(ctx, plan.labelName, o.noise),
  ];
  addSensorEffects(ctx, o.noise, o.texture);
  const captions = chooseCaptions(rng.fork('captions'), sceneCaptions, noiseCaptions);
  return { sample: { ...plan, captions, objects: ctx.objects }, pixels: ctx.r.toRawImage() };
}

/**
 * Generate the benchmark image by image (lazy: memory stays flat for tens of thousands of images).
 * @example for (const { sample, pixels } of synthesize({ count: 100, size: 64 })) { ... }
 */
export function* synthesize(
  options: SyntheticOptions = {},
): Generator<{ sample: SyntheticSample; pixels: RawImage }> {
  const o = resolveOptions(options, 'synthesize');
  for (let i = 0; i < o.count; i++) yield renderImage(i, o);
}

/** PIR JSON annotations for a list of samples: train one entry per caption, val/test one per image. */
export function toPirJson(samples: readonly SyntheticSample[]): {
  train: PirTrainEntry[];
  val: PirEvalEntry[];
  test: PirEvalEntry[];
} {
  const out = { train: [] as PirTrainEntry[], val: [] as PirEvalEntry[], test: [] as PirEvalEntry[] };
  for (const s of samples) {
    if (s.split === 'train') {
      for (const caption of s.captions)
        out.train.push({
          caption,
          image: s.image,
          image_id: s.imageId,
          label_name: s.labelName,
          label: s.label,
        });
    } else if (s.split === 'val') {
      out.val.push({ image: s.image, caption: [...s.captions], label_name: s.labelName, label: s.label });
    } else {
      out.test.push({ image: s.image, caption: [...s.captions] });
    }
  }
  return out;
}

/** The whole benchmark in memory. */
export interface SyntheticDataset {
  classes: readonly SceneClass[];
  samples: SyntheticSample[];
  /** Pixels of sample k at index k. */
  images: RawImage[];
  /** The PIR JSON files' contents. */
  annotations: ReturnType<typeof toPirJson>;
}

/**
 * Generate the benchmark in memory (Node and browser): images, samples and PIR JSON annotations.
 * @example const ds = generateSynthetic({ seed: 7, count: 120, size: 64 }); ds.annotations.train.length // 5 × #train
 */
export function generateSynthetic(options: SyntheticOptions = {}): SyntheticDataset {
  const o = resolveOptions(options, 'generateSynthetic');
  const samples: SyntheticSample[] = [];
  const images: RawImage[] = [];
  for (let i = 0; i < o.count; i++) {
    const { sample, pixels } = renderImage(i, o);
    samples.push(sample);
    images.push(pixels);
  }
  return { classes: o.classes, samples, images, annotations: toPirJson(samples) };
}
