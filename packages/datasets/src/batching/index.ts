/** Seeded, resumable batch sampling with positives per image, and bounded prefetching of loads. */
export { type PrefetchOptions, prefetch } from './prefetch.js';
export {
  type Batch,
  type BatchIndex,
  BatchSampler,
  type BatchSamplerOptions,
  type BatchSamplerState,
  type DatasetLike,
} from './sampler.js';
