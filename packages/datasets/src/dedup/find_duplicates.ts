/**
 * Near-duplicate images across splits and datasets from perceptual hashes, with a leak report.
 */
import type { Split } from '../annotations/dataset_types.js';
import { DatasetInputError } from '../errors.js';
import { hashWords, type ImageHashes, popcount } from './perceptual_hash.js';

/** One hashed image. */
export interface HashedImage {
  /** A name for reports (e.g. the image file). */
  id: string;
  hashes: ImageHashes;
  /** Its split, for the leak report. */
  split?: Split;
  /** Its dataset (`'rsicd'`, `'rsitmd'`), for reports across datasets. */
  dataset?: string;
}

/** Which hash decides (`'both'`: both distances within `maxDistance`). */
export type HashAlgorithm = 'dhash' | 'phash' | 'both';

/** Options of {@link findDuplicates}. */
export interface FindDuplicatesOptions {
  /** Which hash(es) must match. Default `'both'` (fewest false matches). */
  algorithm?: HashAlgorithm;
  /** Largest Hamming distance (of 64 bits) that still counts as the same image. Default 10. */
  maxDistance?: number;
}

/** How a duplicate pair leaks between splits (evaluation image also seen in training, …). */
export type LeakKind = 'test-in-train' | 'val-in-train' | 'test-in-val';

/** Two images judged the same. `a < b` index the input array. */
export interface DuplicatePair {
  a: number;
  b: number;
  idA: string;
  idB: string;
  splitA?: Split;
  splitB?: Split;
  datasetA?: string;
  datasetB?: string;
  /** Hamming distance of the dHashes and of the pHashes. */
  dhashDistance: number;
  phashDistance: number;
  /** Set when the pair crosses train/val/test. */
  leak?: LeakKind;
}

/** What {@link findDuplicates} found. */
export interface DuplicateReport {
  images: number;
  algorithm: HashAlgorithm;
  maxDistance: number;
  /** Every matching pair, sorted by (a, b). */
  pairs: DuplicatePair[];
  /** Connected groups of duplicates (indices, ascending; groups ordered by their first index). */
  groups: number[][];
  /** The pairs that cross splits — fix these before training on a merged dataset. */
  leaks: DuplicatePair[];
  /** Leak counts per kind. */
  leakCounts: Record<LeakKind, number>;
  /** Images to drop from the training split to remove every leak (the train side of each leaking pair). */
  trainImagesToDrop: number[];
}

/**
 * The options of {@link findDuplicates} with their defaults, checked; `where` (the public function called)
 * names it in the errors.
 */
export function findOptions(
  options: FindDuplicatesOptions,
  where: string,
): { algorithm: HashAlgorithm; maxDistance: number } {
  const algorithm = options.algorithm ?? 'both';
  if (algorithm !== 'dhash' && algorithm !== 'phash' && algorithm !== 'both') {
    throw new DatasetInputError(
      where,
      'algorithm',
      `${where}: algorithm must be 'dhash', 'phash' or 'both', got ${JSON.stringify(algorithm)}`,
    );
  }
  const maxDistance = options.maxDistance ?? 10;
  if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > 64) {
    throw new DatasetInputError(
      where,
      'maxDistance',
      `${where}: maxDistance must be an integer in [0, 64], got ${maxDistance}`,
    );
  }
  return { algorithm, maxDistance };
}

/**
 * Find every pair of images whose hashes are within `maxDistance` bits. All pairs are compared (n²/2
 * popcounts of two 32-bit words; 15,000 images take about a second), so no match is missed.
 *
 * A pair is a leak when one image is in `train` and the other in `val`/`test`, or one in `val` and the
 * other in `test` (RSICD and RSITMD share images: merging them without this check puts test images in
 * training).
 *
 * @example
 * ```ts
 * const report = findDuplicates([
 *   { id: 'rsicd/test/00017.jpg', split: 'test', dataset: 'rsicd', hashes: imageHashes(a) },
 *   { id: 'rsitmd/train/parking_3.tif', split: 'train', dataset: 'rsitmd', hashes: imageHashes(b) },
 * ]);
 * report.leaks; // [{ idA: 'rsicd/test/00017.jpg', idB: 'rsitmd/train/parking_3.tif', leak: 'test-in-train', … }]
 * ```
 */
export function findDuplicates(
  images: readonly HashedImage[],
  options: FindDuplicatesOptions = {},
): DuplicateReport {
  const { algorithm, maxDistance } = findOptions(options, 'findDuplicates');
  if (!Array.isArray(images)) {
    throw new DatasetInputError(
      'findDuplicates',
      'images',
      `findDuplicates: images must be an array of {id, hashes}, got ${images === null ? 'null' : typeof images}`,
    );
  }
  const n = images.length;
  const d = new Int32Array(2 * n);
  const p = new Int32Array(2 * n);
  images.forEach((im, i) => {
    if (!im || typeof im.id !== 'string' || !im.hashes) {
      throw new DatasetInputError(
        'findDuplicates',
        `images[${i}]`,
        `findDuplicates: images[${i}] must be {id: string, hashes: {dhash, phash}}, got ${describeEntry(im)}`,
      );
    }
    const subject = `images[${i}] (${im.id})`;
    [d[2 * i], d[2 * i + 1]] = hashWords(
      im.hashes.dhash,
      'findDuplicates',
      `images[${i}].hashes.dhash`,
      subject,
    );
    [p[2 * i], p[2 * i + 1]] = hashWords(
      im.hashes.phash,
      'findDuplicates',
      `images[${i}].hashes.phash`,
      subject,
    );
  });
  const pairs: DuplicatePair[] = [];
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[x] !== r) {
      const next = parent[x]!;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  for (let a = 0; a < n; a++) {
    const da0 = d[2 * a]!;
    const da1 = d[2 * a + 1]!;
    const pa0 = p[2 * a]!;
    const pa1 = p[2 * a + 1]!;
    for (let b = a + 1; b < n; b++) {
      const dd = popcount(da0 ^ d[2 * b]!) + popcount(da1 ^ d[2 * b + 1]!);
      if (algorithm !== 'phash' && dd > maxDistance) continue;
      const pd = popcount(pa0 ^ p[2 * b]!) + popcount(pa1 ^ p[2 * b + 1]!);
      if (algorithm !== 'dhash' && pd > maxDistance) continue;
      const A = images[a]!;
      const B = images[b]!;
      const pair: DuplicatePair = { a, b, idA: A.id, idB: B.id, dhashDistance: dd, phashDistance: pd };
      if (A.split !== undefined) pair.splitA = A.split;
      if (B.split !== undefined) pair.splitB = B.split;
      if (A.dataset !== undefined) pair.datasetA = A.dataset;
      if (B.dataset !== undefined) pair.datasetB = B.dataset;
      const leak = leakKind(A.split, B.split);
      if (leak) pair.leak = leak;
      pairs.push(pair);
      parent[find(a)] = find(b);
    }
  }
  const byRoot = new Map<number, number[]>();
  for (const pr of pairs) {
    for (const i of [pr.a, pr.b]) {
      const r = find(i);
      const g = byRoot.get(r) ?? [];
      if (!g.includes(i)) g.push(i);
      byRoot.set(r, g);
    }
  }
  const groups = [...byRoot.values()].map((g) => g.sort((x, y) => x - y)).sort((x, y) => x[0]! - y[0]!);
  const leaks = pairs.filter((pr) => pr.leak !== undefined);
  const leakCounts: Record<LeakKind, number> = { 'test-in-train': 0, 'val-in-train': 0, 'test-in-val': 0 };
  const drop = new Set<number>();
  for (const l of leaks) {
    leakCounts[l.leak!]++;
    if (l.splitA === 'train') drop.add(l.a);
    if (l.splitB === 'train') drop.add(l.b);
  }
  return {
    images: n,
    algorithm,
    maxDistance,
    pairs,
    groups,
    leaks,
    leakCounts,
    trainImagesToDrop: [...drop].sort((x, y) => x - y),
  };
}

function leakKind(a: Split | undefined, b: Split | undefined): LeakKind | undefined {
  const s = new Set([a, b]);
  if (s.size < 2) return undefined;
  if (s.has('train') && s.has('test')) return 'test-in-train';
  if (s.has('train') && s.has('val')) return 'val-in-train';
  if (s.has('val') && s.has('test')) return 'test-in-val';
  return undefined;
}

/** A short description of a bad `images[i]`: its type, or its keys and the type of its `id`. */
function describeEntry(x: unknown): string {
  if (x === null || typeof x !== 'object') return x === null ? 'null' : typeof x;
  const keys = Object.keys(x);
  return `{${keys.join(', ')}} with id of type ${typeof (x as { id?: unknown }).id}`;
}
