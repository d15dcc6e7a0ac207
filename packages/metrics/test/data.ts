/** Seeded synthetic retrieval data for the tests. */
import type { Rng } from '@pir/runtime';

export interface Embeddings {
  images: Float32Array; // [nImages, dim]
  texts: Float32Array; // [nTexts, dim]
  map: Int32Array; // [nTexts]
  nImages: number;
  nTexts: number;
  dim: number;
}

/** Caption → image map with a random number of captions per image in [lo, hi]. */
export function variableMap(rng: Rng, nImages: number, lo: number, hi: number): Int32Array {
  const map: number[] = [];
  for (let i = 0; i < nImages; i++) {
    const n = lo + rng.int(hi - lo + 1);
    for (let k = 0; k < n; k++) map.push(i);
  }
  // shuffle so captions of an image are not consecutive
  const perm = rng.permutation(map.length);
  return Int32Array.from(perm, (p) => map[p] as number);
}

/** Float embeddings: each caption is its image plus Gaussian noise (`noise` ≈ difficulty). */
export function floatEmbeddings(
  rng: Rng,
  nImages: number,
  map: Int32Array,
  dim: number,
  noise: number,
): Embeddings {
  const images = new Float32Array(nImages * dim);
  for (let k = 0; k < images.length; k++) images[k] = rng.normal();
  const nTexts = map.length;
  const texts = new Float32Array(nTexts * dim);
  for (let t = 0; t < nTexts; t++) {
    for (let d = 0; d < dim; d++) texts[t * dim + d] = images[map[t] * dim + d] + noise * rng.normal();
  }
  return { images, texts, map, nImages, nTexts, dim };
}

/**
 * Small-integer embeddings (every dot product exact in float32, in any summation order) with many ties: each
 * caption copies a share `keep` of its image's entries (else random in −2..2), and a share `dup` of the captions
 * are exact duplicates of another caption (RSICD repeats captions a lot).
 */
export function integerEmbeddings(
  rng: Rng,
  nImages: number,
  map: Int32Array,
  dim: number,
  keep: number,
  dup: number,
): Embeddings {
  const images = new Float32Array(nImages * dim);
  for (let k = 0; k < images.length; k++) images[k] = rng.int(5) - 2;
  const nTexts = map.length;
  const texts = new Float32Array(nTexts * dim);
  for (let t = 0; t < nTexts; t++) {
    if (t > 0 && rng.bernoulli(dup)) {
      const src = rng.int(t);
      texts.set(texts.subarray(src * dim, (src + 1) * dim), t * dim);
      continue;
    }
    for (let d = 0; d < dim; d++) {
      texts[t * dim + d] = rng.bernoulli(keep) ? images[map[t] * dim + d] : rng.int(5) - 2;
    }
  }
  return { images, texts, map, nImages, nTexts, dim };
}
