/**
 * {@link TrainingData}: what the trainer reads — image–caption pairs of a training split and the images and
 * captions of the evaluation splits. Two sources satisfy it out of the box: the synthetic benchmark in memory
 * ({@link syntheticTrainingData}) and datasets from `@pir/datasets`' annotation loaders with an image
 * directory or URL ({@link trainingData}); anything else implements {@link DataSplit} (four fields).
 */
import {
  type ImageRecord,
  type ImageTextDataset,
  loadImage,
  type RawImage,
  type SyntheticDataset,
} from '@pir/datasets';
import { hashString } from '@pir/runtime';
import { TrainInputError } from '../errors.js';

/**
 * One split: captions, which image each describes, a scene label per image, and a way to get images. Image
 * indices run over `[0, imageLabels.length)`; caption indices over `[0, captions.length)`.
 */
export interface DataSplit {
  /** `[nCaptions]` the raw captions (the trainer cleans them as PIR does: `cleanCaption` of `@pir/datasets`). */
  readonly captions: readonly string[];
  /** `[nCaptions]` image index of each caption. */
  readonly captionToImage: ArrayLike<number>;
  /** `[nImages]` scene-label id of each image (the affiliation loss' classes). */
  readonly imageLabels: ArrayLike<number>;
  /**
   * The images at these indices, decoded (`RawImage` of `@pir/datasets`: 8-bit or float pixels, `[H, W, C]`
   * interleaved), in the order asked. Called ahead of the training step (prefetch): keep it free of tensors.
   */
  loadImages(indices: readonly number[]): Promise<RawImage[]>;
}

/** The splits of a training run: `train` is trained on, `val` selects the checkpoint, `test` is reported. */
export interface TrainingData {
  readonly train: DataSplit;
  /** Needed when the recipe selects on `'val'` (PIR_SPEC §5: the project's rule). */
  readonly val?: DataSplit;
  /** Reported at the selected checkpoint (and selects it when the recipe says `'test'`, as the released code). */
  readonly test?: DataSplit;
}

/** The split names of {@link TrainingData}. */
export type SplitName = 'train' | 'val' | 'test';

/**
 * The synthetic benchmark of `@pir/datasets` (`generateSynthetic`), in memory: its `train`, `val` and `test`
 * samples (five captions each; labels are the scene classes). A split without images is left out.
 * @example
 * ```ts
 * const data = syntheticTrainingData(generateSynthetic({ seed: 1, count: 24, size: 32 }));
 * data.train.captions.length; // 5 × the training images
 * ```
 */
export function syntheticTrainingData(dataset: SyntheticDataset): TrainingData {
  const where = 'syntheticTrainingData';
  if (!Array.isArray(dataset?.samples) || !Array.isArray(dataset?.images))
    throw new TrainInputError(
      where,
      'dataset',
      'expected what generateSynthetic returns ({ samples, images, … })',
    );
  const split = (name: SplitName): DataSplit | undefined => {
    const picked = dataset.samples.flatMap((s, k) => (s.split === name ? [k] : []));
    if (picked.length === 0) return undefined;
    const captions: string[] = [];
    const captionToImage: number[] = [];
    picked.forEach((k, i) => {
      for (const c of (dataset.samples[k] as SyntheticDataset['samples'][number]).captions) {
        captions.push(c);
        captionToImage.push(i);
      }
    });
    const images = picked.map((k) => dataset.images[k] as RawImage);
    return {
      captions,
      captionToImage: Int32Array.from(captionToImage),
      imageLabels: Int32Array.from(picked, (k) => (dataset.samples[k] as { label: number }).label),
      loadImages: async (indices) => indices.map((i) => imageAt(images, i, `${where}(${name})`)),
    };
  };
  const train = split('train');
  if (train === undefined)
    throw new TrainInputError(
      where,
      'dataset',
      'the benchmark has no training images: generate more (count) or give the train split a share',
    );
  const val = split('val');
  const test = split('test');
  return { train, ...(val === undefined ? {} : { val }), ...(test === undefined ? {} : { test }) };
}

function imageAt(images: readonly RawImage[], i: number, where: string): RawImage {
  const img = images[i];
  if (img === undefined)
    throw new TrainInputError(where, 'indices', `image ${i} is out of range [0, ${images.length})`);
  return img;
}

/** Where the images of a dataset are: a directory or base URL (`record.file` is appended), or a loader. */
export type ImageSource = string | ((record: ImageRecord) => Promise<RawImage>);

/**
 * One split of a dataset from `@pir/datasets`' annotation loaders (`loadPirJson`, `readAnnotationFile`, …): its
 * captions, caption → image map and label ids, images read from `images` — a directory (Node) or base URL
 * (browser; `loadImage` of `@pir/datasets` fetches it) to which each record's `file` is appended, or a
 * function. Decoded images are not cached.
 * @example
 * ```ts
 * const test = datasetSplit(await readAnnotationFile('rsitmd_test.json'), 'data/images');
 * ```
 */
export function datasetSplit(dataset: ImageTextDataset, images: ImageSource): DataSplit {
  const where = 'datasetSplit';
  if (!Array.isArray(dataset?.images) || !Array.isArray(dataset?.captions) || !dataset?.captionToImage)
    throw new TrainInputError(
      where,
      'dataset',
      'expected an ImageTextDataset of @pir/datasets (images, captions, captionToImage)',
    );
  let load: (record: ImageRecord) => Promise<RawImage>;
  if (typeof images === 'string') {
    const base = images.replace(/\/+$/, '');
    load = (record) => loadImage(base === '' ? record.file : `${base}/${record.file}`);
  } else if (typeof images === 'function') load = images;
  else
    throw new TrainInputError(
      where,
      'images',
      'must be a directory / base URL or a function (record) => Promise<RawImage>',
    );
  return {
    captions: dataset.captions.map((c) => c.text),
    captionToImage: dataset.captionToImage,
    imageLabels: Int32Array.from(dataset.images, (im) => im.labelId),
    loadImages: (indices) =>
      Promise.all(
        indices.map((i) => {
          const record = dataset.images[i];
          if (record === undefined)
            throw new TrainInputError(
              where,
              'indices',
              `image ${i} is out of range [0, ${dataset.images.length})`,
            );
          return load(record);
        }),
      ),
  };
}

/**
 * {@link TrainingData} from loaded annotation files (one dataset per split, as `readAnnotationFile` returns
 * them) and where their images are ({@link datasetSplit}).
 * @example
 * ```ts
 * const data = trainingData({ train, val, test }, 'data/rsitmd/images');
 * ```
 */
export function trainingData(
  splits: { train: ImageTextDataset; val?: ImageTextDataset; test?: ImageTextDataset },
  images: ImageSource,
): TrainingData {
  if (splits?.train === undefined)
    throw new TrainInputError('trainingData', 'splits.train', 'a training split is needed');
  return {
    train: datasetSplit(splits.train, images),
    ...(splits.val === undefined ? {} : { val: datasetSplit(splits.val, images) }),
    ...(splits.test === undefined ? {} : { test: datasetSplit(splits.test, images) }),
  };
}

/** Sizes of a checked split. */
export interface SplitSize {
  images: number;
  captions: number;
}

/**
 * Check a split's shape: captions, a caption → image map of the same length pointing at existing images, an
 * integer label per image, at least one caption, every image with a caption.
 * @throws TrainInputError (`argument` `data.<split>…`) naming what is wrong
 */
export function checkSplit(
  where: string,
  name: string,
  split: DataSplit | undefined,
  arg = `data.${name}`,
): SplitSize {
  if (split === undefined || split === null || typeof split !== 'object')
    throw new TrainInputError(where, arg, `the ${name} split is missing`);
  const { captions, captionToImage, imageLabels } = split;
  if (!Array.isArray(captions))
    throw new TrainInputError(where, `${arg}.captions`, 'must be an array of strings');
  if (captions.length === 0)
    throw new TrainInputError(
      where,
      `${arg}.captions`,
      `the ${name} split is empty (no captions): check the annotation file and the split names`,
    );
  if (typeof split.loadImages !== 'function')
    throw new TrainInputError(
      where,
      `${arg}.loadImages`,
      'must be a function (indices) => Promise<RawImage[]>',
    );
  if (captionToImage?.length !== captions.length)
    throw new TrainInputError(
      where,
      `${arg}.captionToImage`,
      `has ${captionToImage?.length} entries for ${captions.length} captions`,
    );
  const nImages = imageLabels?.length ?? 0;
  if (nImages === 0)
    throw new TrainInputError(where, `${arg}.imageLabels`, `the ${name} split has no images`);
  for (let i = 0; i < nImages; i++)
    if (!Number.isInteger(imageLabels[i]))
      throw new TrainInputError(
        where,
        `${arg}.imageLabels`,
        `label of image ${i} is ${imageLabels[i]}, not an integer`,
      );
  const seen = new Uint8Array(nImages);
  for (let t = 0; t < captions.length; t++) {
    const i = captionToImage[t] as number;
    if (!Number.isInteger(i) || i < 0 || i >= nImages)
      throw new TrainInputError(
        where,
        `${arg}.captionToImage`,
        `caption ${t} points at image ${i}, outside [0, ${nImages})`,
      );
    if (typeof captions[t] !== 'string')
      throw new TrainInputError(where, `${arg}.captions`, `caption ${t} is not a string`);
    seen[i] = 1;
  }
  const without = seen.indexOf(0);
  if (without >= 0)
    throw new TrainInputError(
      where,
      `${arg}.captionToImage`,
      `image ${without} has no caption (retrieval needs one per image)`,
    );
  return { images: nImages, captions: captions.length };
}

/** A short fingerprint of a split's contents (captions, map, labels): resuming refuses other data. */
export function splitFingerprint(split: DataSplit): string {
  let h = hashString(`${split.captions.length}/${split.imageLabels.length}`);
  const mix = (s: string) => {
    h = hashString(`${h}:${s}`);
  };
  for (const c of split.captions) mix(c);
  mix(Array.from(split.captionToImage).join(','));
  mix(Array.from(split.imageLabels).join(','));
  return (h >>> 0).toString(16).padStart(8, '0');
}
