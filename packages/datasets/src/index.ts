/**
 * `@pir/datasets` — remote-sensing image-text data for PIR:
 *
 * - annotations: PIR JSON, Karpathy JSON and caption-list layouts into one typed {@link ImageTextDataset},
 *   with strict/lenient validation; scene labels from file names; PIR caption cleaning;
 * - images: JPEG/PNG/TIFF/GeoTIFF decoding in Node (sharp, geotiff) and the browser; transforms (bicubic
 *   resize, crops, CLIP normalisation, RandomResizedCrop, flip, RandAugment), all seeded;
 * - batching: a resumable seeded sampler that keeps several captions of an image together, and prefetching;
 * - de-duplication: perceptual hashes and split-leak reports across datasets;
 * - the synthetic remote-sensing benchmark (12+ scene classes, semantic noise, five captions per image).
 */
export * from './annotations/index.js';
export * from './batching/index.js';
export * from './captions/index.js';
// `RawImage` is the images module's type; dedup accepts it (its own structural copy stays internal)
export {
  type DatasetDuplicatesOptions,
  type DedupSource,
  type DuplicatePair,
  type DuplicateReport,
  dHash,
  type FindDuplicatesOptions,
  findDatasetDuplicates,
  findDuplicates,
  greyThumbnail,
  type HashAlgorithm,
  type HashedImage,
  type HashFailure,
  type HashImagesOptions,
  hammingDistance,
  hashImages,
  type ImageHashes,
  imageHashes,
  type LeakKind,
  type PerceptualHash,
  pHash,
} from './dedup/index.js';
export * from './images/index.js';
export * from './labels/index.js';
export * from './synthetic/index.js';
export * from './transforms/index.js';
