/**
 * `@pir/datasets` — remote-sensing image–text data for PIR, in Node and the browser.
 *
 * The top level holds what a training or evaluation script reaches for first:
 *
 * - **annotations**: the loaders of the three RSICD/RSITMD layouts (PIR JSON, Karpathy JSON, caption lists)
 *   into one typed {@link ImageTextDataset}, the Node file readers, split selection and merging;
 * - **captions**: PIR's caption cleaning;
 * - **images**: decoding (JPEG, PNG, TIFF, multi-band GeoTIFF) into a {@link RawImage};
 * - **the data pipeline**: `RawImage`s to a tensor batch, the CLIP/PIR eval and train transforms, the
 *   seeded, resumable {@link BatchSampler} and bounded {@link prefetch}ing;
 * - **the synthetic benchmark**: aerial-looking scenes of 12 classes with five captions each;
 * - **the errors** the package throws on purpose (all extend `PirError` from `@pir/runtime`):
 *   {@link DatasetInputError} for a bad argument or option of any function, and the more specific
 *   `AnnotationError`, `JsonSyntaxError`, `ImageDecodeError` and `TransformInputError`.
 *
 * Building blocks are in subpaths, one per folder of `src/`: `@pir/datasets/annotations`, `/labels`,
 * `/captions`, `/images`, `/transforms`, `/batching`, `/dedup` (perceptual hashes, split-leak reports) and
 * `/synthetic`. Node-only code (file reading and writing, sharp) loads `node:fs`, `node:path` and `sharp`
 * with a dynamic `import()` inside the functions that need them, so browser bundles never see them.
 *
 * @example
 * ```ts
 * const train = await readAnnotationFile('data/rsitmd_train.json', { imageDir: 'data/images' });
 * const sampler = new BatchSampler(train, { batchSize: 64, captionsPerImage: 2, seed: 42 });
 * ```
 */

// annotations: loaders, the dataset model, split selection and merging
export {
  AnnotationError,
  type CaptionListOptions,
  type CaptionRecord,
  type DatasetSummary,
  type ImageRecord,
  type ImageTextDataset,
  JsonSyntaxError,
  type KarpathyOptions,
  type LoadIssue,
  type LoadOptions,
  type LoadPolicy,
  loadCaptionLists,
  loadKarpathyJson,
  loadPirJson,
  type MergeOptions,
  mergeDatasets,
  type PirJsonOptions,
  type ReadAnnotationOptions,
  readAnnotationFile,
  readCaptionLists,
  type Split,
  selectSplits,
  summarizeDataset,
} from './annotations/index.js';
// batching: the seeded, resumable sampler and prefetching
export {
  type Batch,
  BatchSampler,
  type BatchSamplerOptions,
  type BatchSamplerState,
  type PrefetchOptions,
  prefetch,
} from './batching/index.js';
// captions: PIR's training-time cleaning
export { type CleanCaptionOptions, cleanCaption } from './captions/index.js';
// the package-wide error of bad arguments and options (the more specific ones are with their folders)
export { DatasetInputError } from './errors.js';
// images: decoding into a RawImage
export {
  type DecodeOptions,
  decodeImage,
  ImageDecodeError,
  type ImageDecodeErrorOptions,
  loadImage,
  type RawImage,
} from './images/index.js';
// the synthetic benchmark
export {
  generateSynthetic,
  type SyntheticDataset,
  type SyntheticOptions,
  type SyntheticSample,
  writeSynthetic,
} from './synthetic/index.js';
// transforms: RawImages to a batch tensor, and the standard eval / train preprocessing
export {
  evalTransform,
  imagesToBatch,
  type PipelineOptions,
  type TrainPipelineOptions,
  TransformInputError,
  trainTransform,
} from './transforms/index.js';

// Deprecated top-level names: 0.1.0 exported every building block here. Each stays for one release and is
// now imported from its subpath, e.g. `import { normalize } from '@pir/datasets/transforms'`. They are
// declared (not re-exported) so that the @deprecated tag reaches the published .d.ts files, and the same
// functions and constants are handed out (`normalize === transforms.normalize`).
import * as annotations from './annotations/index.js';
import type * as batching from './batching/index.js';
import * as captions from './captions/index.js';
import * as dedup from './dedup/index.js';
import * as images from './images/index.js';
import * as labels from './labels/index.js';
import * as synthetic from './synthetic/index.js';
import * as transforms from './transforms/index.js';

// annotations
/** @deprecated import from '@pir/datasets/annotations' */
export const checkImagesExist = annotations.checkImagesExist;
/** @deprecated import from '@pir/datasets/annotations' */
export type ExistsOptions = annotations.ExistsOptions;
/** @deprecated import from '@pir/datasets/annotations' */
export const formatIssue = annotations.formatIssue;
/** @deprecated import from '@pir/datasets/annotations' */
export const imageExistsIn = annotations.imageExistsIn;
/** @deprecated import from '@pir/datasets/annotations' */
export const lineColumn = annotations.lineColumn;
/** @deprecated import from '@pir/datasets/annotations' */
export const parseJson = annotations.parseJson;

// labels
/** @deprecated import from '@pir/datasets/labels' */
export const baseName = labels.baseName;
/** @deprecated import from '@pir/datasets/labels' */
export const fileStem = labels.fileStem;
/** @deprecated import from '@pir/datasets/labels' */
export const labelIds = labels.labelIds;
/** @deprecated import from '@pir/datasets/labels' */
export type LabelVocabulary = labels.LabelVocabulary;
/** @deprecated import from '@pir/datasets/labels' */
export const labelVocabulary = labels.labelVocabulary;
/** @deprecated import from '@pir/datasets/labels' */
export type LabelVocabularyOptions = labels.LabelVocabularyOptions;
/** @deprecated import from '@pir/datasets/labels' */
export const sceneLabel = labels.sceneLabel;
/** @deprecated import from '@pir/datasets/labels' */
export type SceneLabelOptions = labels.SceneLabelOptions;
/** @deprecated import from '@pir/datasets/labels' */
export type UnprefixedNames = labels.UnprefixedNames;

// captions
/** @deprecated import from '@pir/datasets/captions' */
export const cleanCaptions = captions.cleanCaptions;
/** @deprecated import from '@pir/datasets/captions' */
export const DEFAULT_MAX_WORDS = captions.DEFAULT_MAX_WORDS;

// images
/** @deprecated import from '@pir/datasets/images' */
export const checkRawImage = images.checkRawImage;
/** @deprecated import from '@pir/datasets/images' */
export const decodeGeoTiff = images.decodeGeoTiff;
/** @deprecated import from '@pir/datasets/images' */
export type EncodeFormat = images.EncodeFormat;
/** @deprecated import from '@pir/datasets/images' */
export const encodeImage = images.encodeImage;
/** @deprecated import from '@pir/datasets/images' */
export type EncodeOptions = images.EncodeOptions;
/** @deprecated import from '@pir/datasets/images' */
export type GeoTiffInfo = images.GeoTiffInfo;
/** @deprecated import from '@pir/datasets/images' */
export const geoTiffInfo = images.geoTiffInfo;
/** @deprecated import from '@pir/datasets/images' */
export type ImageFormat = images.ImageFormat;
/** @deprecated import from '@pir/datasets/images' */
export const readBytes = images.readBytes;
/** @deprecated import from '@pir/datasets/images' */
export const sniffFormat = images.sniffFormat;
/** @deprecated import from '@pir/datasets/images' */
export const toRgb = images.toRgb;
/** @deprecated import from '@pir/datasets/images' */
export const writeImage = images.writeImage;

// transforms
/** @deprecated import from '@pir/datasets/transforms' */
export const applyAugmentOp = transforms.applyAugmentOp;
/** @deprecated import from '@pir/datasets/transforms' */
export const applyAugmentOpJs = transforms.applyAugmentOpJs;
/** @deprecated import from '@pir/datasets/transforms' */
export const asBatch = transforms.asBatch;
/** @deprecated import from '@pir/datasets/transforms' */
export const augmentMagnitude = transforms.augmentMagnitude;
/** @deprecated import from '@pir/datasets/transforms' */
export type AugmentStep = transforms.AugmentStep;
/** @deprecated import from '@pir/datasets/transforms' */
export type Box = transforms.Box;
/** @deprecated import from '@pir/datasets/transforms' */
export const centerCrop = transforms.centerCrop;
/** @deprecated import from '@pir/datasets/transforms' */
export const CLIP_MEAN = transforms.CLIP_MEAN;
/** @deprecated import from '@pir/datasets/transforms' */
export const CLIP_STD = transforms.CLIP_STD;
/** @deprecated import from '@pir/datasets/transforms' */
export const cubicKernel = transforms.cubicKernel;
/** @deprecated import from '@pir/datasets/transforms' */
export const equalizeLut = transforms.equalizeLut;
/** @deprecated import from '@pir/datasets/transforms' */
export const horizontalFlip = transforms.horizontalFlip;
/** @deprecated import from '@pir/datasets/transforms' */
export const IMAGENET_MEAN = transforms.IMAGENET_MEAN;
/** @deprecated import from '@pir/datasets/transforms' */
export const IMAGENET_STD = transforms.IMAGENET_STD;
/** @deprecated import from '@pir/datasets/transforms' */
export type ImageTensor = transforms.ImageTensor;
/** @deprecated import from '@pir/datasets/transforms' */
export const imageToTensor = transforms.imageToTensor;
/** @deprecated import from '@pir/datasets/transforms' */
export const normalize = transforms.normalize;
/** @deprecated import from '@pir/datasets/transforms' */
export const RAND_AUGMENT_OPS = transforms.RAND_AUGMENT_OPS;
/** @deprecated import from '@pir/datasets/transforms' */
export const randAugment = transforms.randAugment;
/** @deprecated import from '@pir/datasets/transforms' */
export type RandAugmentOp = transforms.RandAugmentOp;
/** @deprecated import from '@pir/datasets/transforms' */
export type RandAugmentOptions = transforms.RandAugmentOptions;
/** @deprecated import from '@pir/datasets/transforms' */
export const randomHorizontalFlip = transforms.randomHorizontalFlip;
/** @deprecated import from '@pir/datasets/transforms' */
export const randomResizedCrop = transforms.randomResizedCrop;
/** @deprecated import from '@pir/datasets/transforms' */
export type RandomResizedCropOptions = transforms.RandomResizedCropOptions;
/** @deprecated import from '@pir/datasets/transforms' */
export const resize = transforms.resize;
/** @deprecated import from '@pir/datasets/transforms' */
export const resizedCrop = transforms.resizedCrop;
/** @deprecated import from '@pir/datasets/transforms' */
export const resizedCrops = transforms.resizedCrops;
/** @deprecated import from '@pir/datasets/transforms' */
export const resizedShape = transforms.resizedShape;
/** @deprecated import from '@pir/datasets/transforms' */
export type ResizeOptions = transforms.ResizeOptions;
/** @deprecated import from '@pir/datasets/transforms' */
export const resizeWeights = transforms.resizeWeights;
/** @deprecated import from '@pir/datasets/transforms' */
export const roundHalfEven = transforms.roundHalfEven;
/** @deprecated import from '@pir/datasets/transforms' */
export const sampleAugmentSteps = transforms.sampleAugmentSteps;
/** @deprecated import from '@pir/datasets/transforms' */
export const sampleResizedCropBox = transforms.sampleResizedCropBox;

// batching
/** @deprecated import from '@pir/datasets/batching' */
export type BatchIndex = batching.BatchIndex;
/** @deprecated import from '@pir/datasets/batching' */
export type DatasetLike = batching.DatasetLike;

// dedup
/** @deprecated import from '@pir/datasets/dedup' */
export type DatasetDuplicatesOptions = dedup.DatasetDuplicatesOptions;
/** @deprecated import from '@pir/datasets/dedup' */
export type DedupSource = dedup.DedupSource;
/** @deprecated import from '@pir/datasets/dedup' */
export const dHash = dedup.dHash;
/** @deprecated import from '@pir/datasets/dedup' */
export type DuplicatePair = dedup.DuplicatePair;
/** @deprecated import from '@pir/datasets/dedup' */
export type DuplicateReport = dedup.DuplicateReport;
/** @deprecated import from '@pir/datasets/dedup' */
export const findDatasetDuplicates = dedup.findDatasetDuplicates;
/** @deprecated import from '@pir/datasets/dedup' */
export const findDuplicates = dedup.findDuplicates;
/** @deprecated import from '@pir/datasets/dedup' */
export type FindDuplicatesOptions = dedup.FindDuplicatesOptions;
/** @deprecated import from '@pir/datasets/dedup' */
export const greyThumbnail = dedup.greyThumbnail;
/** @deprecated import from '@pir/datasets/dedup' */
export const hammingDistance = dedup.hammingDistance;
/** @deprecated import from '@pir/datasets/dedup' */
export type HashAlgorithm = dedup.HashAlgorithm;
/** @deprecated import from '@pir/datasets/dedup' */
export type HashedImage = dedup.HashedImage;
/** @deprecated import from '@pir/datasets/dedup' */
export type HashFailure = dedup.HashFailure;
/** @deprecated import from '@pir/datasets/dedup' */
export const hashImages = dedup.hashImages;
/** @deprecated import from '@pir/datasets/dedup' */
export type HashImagesOptions = dedup.HashImagesOptions;
/** @deprecated import from '@pir/datasets/dedup' */
export type ImageHashes = dedup.ImageHashes;
/** @deprecated import from '@pir/datasets/dedup' */
export const imageHashes = dedup.imageHashes;
/** @deprecated import from '@pir/datasets/dedup' */
export type LeakKind = dedup.LeakKind;
/** @deprecated import from '@pir/datasets/dedup' */
export type PerceptualHash = dedup.PerceptualHash;
/** @deprecated import from '@pir/datasets/dedup' */
export const pHash = dedup.pHash;

// synthetic
/** @deprecated import from '@pir/datasets/synthetic' */
export type ColourName = synthetic.ColourName;
/** @deprecated import from '@pir/datasets/synthetic' */
export const COLOURS = synthetic.COLOURS;
/** @deprecated import from '@pir/datasets/synthetic' */
export const DEFAULT_NOISE = synthetic.DEFAULT_NOISE;
/** @deprecated import from '@pir/datasets/synthetic' */
export const generateSyntheticImage = synthetic.generateSyntheticImage;
/** @deprecated import from '@pir/datasets/synthetic' */
export type NoiseOptions = synthetic.NoiseOptions;
/** @deprecated import from '@pir/datasets/synthetic' */
export type ObjectRole = synthetic.ObjectRole;
/** @deprecated import from '@pir/datasets/synthetic' */
export type PirEvalEntry = synthetic.PirEvalEntry;
/** @deprecated import from '@pir/datasets/synthetic' */
export type PirTrainEntry = synthetic.PirTrainEntry;
/** @deprecated import from '@pir/datasets/synthetic' */
export const planImage = synthetic.planImage;
/** @deprecated import from '@pir/datasets/synthetic' */
export const renderContactSheet = synthetic.renderContactSheet;
/** @deprecated import from '@pir/datasets/synthetic' */
export const resolveSyntheticOptions = synthetic.resolveSyntheticOptions;
/** @deprecated import from '@pir/datasets/synthetic' */
// Typed by name: an inferred union's member order follows the checker's visiting order, which made the API
// report differ between runs.
export const SCENE_CLASSES: synthetic.SceneClass[] = synthetic.SCENE_CLASSES;
/** @deprecated import from '@pir/datasets/synthetic' */
export type SceneClass = synthetic.SceneClass;
/** @deprecated import from '@pir/datasets/synthetic' */
export type SceneObject = synthetic.SceneObject;
/** @deprecated import from '@pir/datasets/synthetic' */
export const synthesize = synthetic.synthesize;
/** @deprecated import from '@pir/datasets/synthetic' */
export type SyntheticSplit = synthetic.SyntheticSplit;
/** @deprecated import from '@pir/datasets/synthetic' */
export const toPirJson = synthetic.toPirJson;
/** @deprecated import from '@pir/datasets/synthetic' */
export type WriteSyntheticResult = synthetic.WriteSyntheticResult;
