/**
 * One epoch's sample order: a seeded shuffle of captions, optionally in groups of k captions of the same
 * image so that a batch holds several positives per image. Internal; used by {@link BatchSampler}.
 */
import type { Rng } from '@pir/runtime/rng';

/**
 * The caption order of one epoch, `[nSamples]` caption indices.
 *
 * * k = 1: every caption once, in a random order (PIR's training: one sample per caption).
 * * k > 1: per image, its captions in a random order cut into groups of k (the last group of an image is
 *   completed by cycling through that image's shuffled captions again, so every group has exactly k
 *   captions of one image); the groups are then shuffled as units. Every caption appears at least once.
 *
 * @param groups captions of each image: `groups[i]` = caption indices of image i (non-empty)
 * @param nCaptions total captions (for k = 1)
 */
export function planEpoch(
  groups: readonly Int32Array[],
  nCaptions: number,
  k: number,
  shuffle: boolean,
  rng: Rng,
): Int32Array {
  if (k === 1) {
    if (!shuffle) {
      const order = new Int32Array(nCaptions);
      for (let t = 0; t < nCaptions; t++) order[t] = t;
      return order;
    }
    return rng.permutation(nCaptions);
  }
  let nGroups = 0;
  for (const g of groups) nGroups += Math.ceil(g.length / k);
  const chunks = new Int32Array(nGroups * k);
  let at = 0;
  for (const g of groups) {
    const own = Int32Array.from(g);
    if (shuffle) {
      for (let i = own.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const tmp = own[i] as number;
        own[i] = own[j] as number;
        own[j] = tmp;
      }
    }
    const n = Math.ceil(own.length / k) * k;
    for (let i = 0; i < n; i++) chunks[at++] = own[i % own.length] as number;
  }
  if (!shuffle) return chunks;
  const perm = rng.permutation(nGroups);
  const order = new Int32Array(nGroups * k);
  for (let g = 0; g < nGroups; g++) order.set(chunks.subarray(perm[g]! * k, perm[g]! * k + k), g * k);
  return order;
}
