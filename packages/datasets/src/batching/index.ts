/** Seeded, resumable batch sampling with positives per image, and bounded prefetching of loads. */

export {
  type Batch,
  type BatchIndex,
  BatchSampler,
  type BatchSamplerOptions,
  type BatchSamplerState,
  type DatasetLike,
} from './batch_sampler.js';
export { type PrefetchOptions, prefetch } from './prefetch.js';
