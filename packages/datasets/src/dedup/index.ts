/**
 * Perceptual hashing (dHash, pHash) of decoded images and duplicate / split-leak reports. The functions take
 * the `RawImage` of `@pir/datasets/images` (a `Uint8ClampedArray` of a canvas works too).
 */
export {
  type DatasetDuplicatesOptions,
  type DedupSource,
  findDatasetDuplicates,
  type HashFailure,
  type HashImagesOptions,
  hashImages,
} from './dataset_duplicates.js';
export {
  type DuplicatePair,
  type DuplicateReport,
  type FindDuplicatesOptions,
  findDuplicates,
  type HashAlgorithm,
  type HashedImage,
  type LeakKind,
} from './find_duplicates.js';
export { greyThumbnail } from './grey_thumbnail.js';
export {
  dHash,
  hammingDistance,
  type ImageHashes,
  imageHashes,
  type PerceptualHash,
  pHash,
} from './perceptual_hash.js';
