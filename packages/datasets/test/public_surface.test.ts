/**
 * The package's public surface, through the package name (the `exports` map, resolved to `src/` by the
 * `@pir/source` condition): the small top level, one subpath per folder, and the deprecated top-level
 * aliases of 0.1.0, which must hand out the very same functions, classes and constants as their subpaths.
 */
import * as top from '@pir/datasets';
import * as annotations from '@pir/datasets/annotations';
import * as batching from '@pir/datasets/batching';
import * as captions from '@pir/datasets/captions';
import * as dedup from '@pir/datasets/dedup';
import * as images from '@pir/datasets/images';
import * as labels from '@pir/datasets/labels';
import * as synthetic from '@pir/datasets/synthetic';
import * as transforms from '@pir/datasets/transforms';
import { PirError } from '@pir/runtime';
import { describe, expect, it } from 'vitest';

const subpaths: Record<string, Record<string, unknown>> = {
  annotations,
  labels,
  captions,
  images,
  transforms,
  batching,
  dedup,
  synthetic,
};

/** The runtime (value) exports of the top level that are not deprecated. */
const TOP_LEVEL = [
  // annotations
  'AnnotationError',
  'JsonSyntaxError',
  'loadCaptionLists',
  'loadKarpathyJson',
  'loadPirJson',
  'mergeDatasets',
  'readAnnotationFile',
  'readCaptionLists',
  'selectSplits',
  'summarizeDataset',
  // batching
  'BatchSampler',
  'prefetch',
  // captions
  'cleanCaption',
  // images
  'decodeImage',
  'ImageDecodeError',
  'loadImage',
  // synthetic
  'generateSynthetic',
  'writeSynthetic',
  // transforms
  'evalTransform',
  'imagesToBatch',
  'TransformInputError',
  'trainTransform',
].sort();

/** 0.1.0's other top-level values: deprecated aliases for one release, by subpath. */
const DEPRECATED: Record<string, string[]> = {
  annotations: ['checkImagesExist', 'formatIssue', 'imageExistsIn', 'lineColumn', 'parseJson'],
  labels: ['baseName', 'fileStem', 'labelIds', 'labelVocabulary', 'sceneLabel'],
  captions: ['cleanCaptions', 'DEFAULT_MAX_WORDS'],
  images: [
    'checkRawImage',
    'decodeGeoTiff',
    'encodeImage',
    'geoTiffInfo',
    'readBytes',
    'sniffFormat',
    'toRgb',
    'writeImage',
  ],
  transforms: [
    'applyAugmentOp',
    'applyAugmentOpJs',
    'asBatch',
    'augmentMagnitude',
    'centerCrop',
    'CLIP_MEAN',
    'CLIP_STD',
    'cubicKernel',
    'equalizeLut',
    'horizontalFlip',
    'IMAGENET_MEAN',
    'IMAGENET_STD',
    'imageToTensor',
    'normalize',
    'RAND_AUGMENT_OPS',
    'randAugment',
    'randomHorizontalFlip',
    'randomResizedCrop',
    'resize',
    'resizeWeights',
    'resizedCrop',
    'resizedCrops',
    'resizedShape',
    'roundHalfEven',
    'sampleAugmentSteps',
    'sampleResizedCropBox',
  ],
  batching: [],
  dedup: [
    'dHash',
    'findDatasetDuplicates',
    'findDuplicates',
    'greyThumbnail',
    'hammingDistance',
    'hashImages',
    'imageHashes',
    'pHash',
  ],
  synthetic: [
    'COLOURS',
    'DEFAULT_NOISE',
    'generateSyntheticImage',
    'planImage',
    'renderContactSheet',
    'resolveSyntheticOptions',
    'SCENE_CLASSES',
    'synthesize',
    'toPirJson',
  ],
};

describe('public surface', () => {
  it('the top level exports the documented names plus the deprecated aliases, nothing else', () => {
    const deprecated = Object.values(DEPRECATED).flat();
    expect(Object.keys(top).sort()).toEqual([...TOP_LEVEL, ...deprecated].sort());
    expect(TOP_LEVEL.length + deprecated.length).toBe(85); // every value name of 0.1.0's top level
  });

  it('every top-level name is the same object as in its subpath', () => {
    const t = top as Record<string, unknown>;
    for (const name of TOP_LEVEL) {
      const homes = Object.entries(subpaths).filter(([, m]) => name in m);
      expect(homes.length, `${name} is in exactly one subpath`).toBe(1);
      expect(t[name], name).toBe(homes[0]![1][name]);
    }
    for (const [part, names] of Object.entries(DEPRECATED)) {
      for (const name of names)
        expect(t[name], `${name} (deprecated alias of @pir/datasets/${part})`).toBe(subpaths[part]![name]);
    }
  });

  it('the error classes extend PirError', () => {
    for (const E of [top.AnnotationError, top.JsonSyntaxError, top.ImageDecodeError, top.TransformInputError])
      expect(E.prototype).toBeInstanceOf(PirError);
  });
});
