/**
 * A synthetic retrieval task in feature space, standing in for encoder outputs until `@pir/datasets` and the
 * encoders exist: scenes of 12 remote-sensing classes, each image a class centre plus its own content, seen
 * through a "vision backbone" (a random nonlinear map) with semantic noise (distractor objects of another
 * class, clutter), and five paraphrased captions per image seen through a "text backbone".
 */
import { Rng } from '@pir/runtime';

/** Scene classes of the demo (names as in RSITMD/RSICD). */
export const SCENE_CLASSES = [
  'airport',
  'harbour',
  'farmland',
  'residential',
  'industrial',
  'forest',
  'river',
  'beach',
  'parking',
  'playground',
  'storagetanks',
  'bridge',
] as const;

export interface SyntheticSplit {
  /** Image features, row-major [numImages, imageDim]. */
  images: Float32Array;
  /** Caption features, row-major [numImages · captionsPerImage, textDim]. */
  texts: Float32Array;
  /** Image index of each caption [numCaptions]. */
  captionToImage: Int32Array;
  /** Scene class of each image [numImages]. */
  labels: Int32Array;
  numImages: number;
  numCaptions: number;
}

export interface SyntheticOptions {
  /** Images in the training split. */
  trainImages: number;
  /** Images in the test split. */
  testImages: number;
  /** Captions per image (RSICD/RSITMD: 5). */
  captionsPerImage: number;
  /** Width of the image features. */
  imageDim: number;
  /** Width of the caption features. */
  textDim: number;
  /** Probability that an image carries a distractor object of another class. */
  distractorRate: number;
  seed: number;
}

export const SYNTHETIC_DEFAULTS: SyntheticOptions = {
  trainImages: 1500,
  testImages: 300,
  captionsPerImage: 5,
  imageDim: 256,
  textDim: 128,
  distractorRate: 0.5,
  seed: 0,
};

const LATENT = 32;
// Noise levels, tuned so that a linear head reaches roughly the published mR range (40–60) on the test split.
const CAPTION_NOISE = 1.2;
const FEATURE_NOISE = 1.0;
const DISTRACTOR_WEIGHT = 1.0;

/** Generate the train and test splits; the same seed gives the same data. */
export function makeSyntheticTask(opts: Partial<SyntheticOptions> = {}): {
  train: SyntheticSplit;
  test: SyntheticSplit;
} {
  const o = { ...SYNTHETIC_DEFAULTS, ...opts };
  const rng = new Rng(o.seed);
  const k = SCENE_CLASSES.length;
  const centres = rng.fillNormal(new Float64Array(k * LATENT));
  const pv = rng.fillNormal(new Float64Array(LATENT * o.imageDim), 0, 1 / Math.sqrt(LATENT));
  const pt = rng.fillNormal(new Float64Array(LATENT * o.textDim), 0, 1 / Math.sqrt(LATENT));
  const split = (n: number, r: Rng) => makeSplit(n, o, r, centres, pv, pt);
  return { train: split(o.trainImages, rng.fork('train')), test: split(o.testImages, rng.fork('test')) };
}

function makeSplit(
  n: number,
  o: SyntheticOptions,
  rng: Rng,
  centres: Float64Array,
  pv: Float64Array,
  pt: Float64Array,
): SyntheticSplit {
  const k = SCENE_CLASSES.length;
  const m = n * o.captionsPerImage;
  const images = new Float32Array(n * o.imageDim);
  const texts = new Float32Array(m * o.textDim);
  const captionToImage = new Int32Array(m);
  const labels = new Int32Array(n);
  const z = new Float64Array(LATENT);
  const u = new Float64Array(LATENT);
  for (let i = 0; i < n; i++) {
    const c = rng.int(k);
    labels[i] = c;
    for (let d = 0; d < LATENT; d++) z[d] = (centres[c * LATENT + d] as number) + 0.9 * rng.normal();
    // what the vision backbone sees: the scene, plus maybe a distractor object of another class
    const distractor = rng.bernoulli(o.distractorRate) ? (c + 1 + rng.int(k - 1)) % k : -1;
    for (let d = 0; d < LATENT; d++) {
      u[d] =
        (z[d] as number) +
        (distractor >= 0 ? DISTRACTOR_WEIGHT * (centres[distractor * LATENT + d] as number) : 0);
    }
    project(u, pv, o.imageDim, images, i * o.imageDim, rng, FEATURE_NOISE);
    for (let j = 0; j < o.captionsPerImage; j++) {
      // a caption mentions most of the content, paraphrased
      for (let d = 0; d < LATENT; d++) u[d] = (z[d] as number) + CAPTION_NOISE * rng.normal();
      const row = i * o.captionsPerImage + j;
      captionToImage[row] = i;
      project(u, pt, o.textDim, texts, row * o.textDim, rng, FEATURE_NOISE);
    }
  }
  return { images, texts, captionToImage, labels, numImages: n, numCaptions: m };
}

/** out[offset + e] = tanh(Σ_d u_d · p[d, e]) + noise·N(0,1) — a random nonlinear "backbone". */
function project(
  u: Float64Array,
  p: Float64Array,
  dim: number,
  out: Float32Array,
  offset: number,
  rng: Rng,
  noise: number,
): void {
  for (let e = 0; e < dim; e++) {
    let s = 0;
    for (let d = 0; d < LATENT; d++) s += (u[d] as number) * (p[d * dim + e] as number);
    out[offset + e] = Math.tanh(s) + noise * rng.normal();
  }
}
