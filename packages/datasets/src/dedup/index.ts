/** Perceptual hashing (dHash, pHash) of decoded images and duplicate / split-leak reports. */
export {
  type DatasetDuplicatesOptions,
  type DedupSource,
  findDatasetDuplicates,
  type HashFailure,
  type HashImagesOptions,
  hashImages,
} from './datasets.js';
export {
  type DuplicatePair,
  type DuplicateReport,
  type FindDuplicatesOptions,
  findDuplicates,
  type HashAlgorithm,
  type HashedImage,
  type LeakKind,
} from './find.js';
export { greyThumbnail } from './grey.js';
export { dHash, hammingDistance, type ImageHashes, imageHashes, type PerceptualHash, pHash } from './hash.js';
export { assertRawImage, type RawImage } from './raw-image.js';
