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

/** The package-wide error: thrown by the functions of every subpath, exported (once) from the top level. */
const PACKAGE_WIDE = ['DatasetInputError'];

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
    expect(Object.keys(top).sort()).toEqual([...TOP_LEVEL, ...deprecated, ...PACKAGE_WIDE].sort());
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

  it('the package-wide error is in no subpath (one class, from the top level)', () => {
    for (const name of PACKAGE_WIDE) {
      for (const [part, m] of Object.entries(subpaths)) expect(name in m, `${name} in ${part}`).toBe(false);
    }
  });

  it('the error classes extend PirError', () => {
    for (const E of [
      top.AnnotationError,
      top.JsonSyntaxError,
      top.ImageDecodeError,
      top.TransformInputError,
      top.DatasetInputError,
    ])
      expect(E.prototype).toBeInstanceOf(PirError);
    const e = new top.DatasetInputError('f', 'x', 'x must be positive', { cause: 1 });
    expect([e.name, e.where, e.argument, e.message, e.cause]).toEqual([
      'DatasetInputError',
      'f',
      'x',
      'f: x must be positive',
      1,
    ]);
    expect(new top.DatasetInputError('f', '', 'f: already prefixed').message).toBe('f: already prefixed');
  });
});
