/**
 * {@link readTrainingData}: a run's {@link TrainingData} from annotation files on disk (PIR JSON, one file per
 * split, or one Karpathy JSON for all of them) and an image directory — `@pir/datasets`' readers, Node only.
 */
import { join } from 'node:path';
import {
  checkImagesExist,
  type ImageRecord,
  type ImageTextDataset,
  imageExistsIn,
  loadImage,
  type ReadAnnotationOptions,
  readAnnotationFile,
  selectSplits,
} from '@pir/datasets';
import { TrainInputError } from '../errors.js';
import { type TrainingData, trainingData } from '../trainer/training_data.js';

/** Options of {@link readTrainingData}. */
export interface ReadTrainingDataOptions {
  /** The training annotations (`rsitmd_train.json`, or a Karpathy `dataset_rsitmd.json` holding every split). */
  train: string;
  /** The validation annotations (the same Karpathy file: its `val` images). */
  val?: string;
  /** The test annotations. */
  test?: string;
  /** The folder the annotations' image paths are relative to. */
  imageDir: string;
  /** Check that every image exists before training (default true: a missing file fails now, not at epoch 7). */
  checkImages?: boolean;
  /** Loader options (`policy`, `captionsPerImage`, `unprefixed`, `labelIds`, …). */
  annotations?: Omit<ReadAnnotationOptions, 'imageDir'>;
  /**
   * Where an image is under `imageDir`: `'as-annotated'` (`imageDir/train/bridge_942.tif`, the annotation's
   * path), `'flat'` (`imageDir/bridge_942.tif`: all in one folder, as RSITMD ships them), or `'auto'` (default:
   * the annotation's path if the first image is there, else flat).
   */
  layout?: 'auto' | 'as-annotated' | 'flat';
}

/** The layouts of {@link ReadTrainingDataOptions.layout}: an image's path under the folder. */
const LAYOUTS = {
  'as-annotated': (r: ImageRecord) => r.file,
  flat: (r: ImageRecord) => r.name,
} as const;

/**
 * Read the splits' annotations and point their images at `imageDir` — where the annotation paths say, or all in
 * one folder ({@link ReadTrainingDataOptions.layout}); every image is checked before training (one error lists
 * the missing ones).
 * @example
 * ```ts
 * const data = await readTrainingData({
 *   train: 'data/rsitmd_train.json', val: 'data/rsitmd_val.json', test: 'data/rsitmd_test.json',
 *   imageDir: 'data/rsitmd/images',
 * });
 * ```
 */
export async function readTrainingData(options: ReadTrainingDataOptions): Promise<TrainingData> {
  const where = 'readTrainingData';
  if (typeof options?.train !== 'string')
    throw new TrainInputError(where, 'train', 'the training annotation file is needed');
  if (typeof options.imageDir !== 'string')
    throw new TrainInputError(where, 'imageDir', 'the image folder is needed');
  const layout = options.layout ?? 'auto';
  if (layout !== 'auto' && !(layout in LAYOUTS))
    throw new TrainInputError(
      where,
      'layout',
      `must be 'auto', 'as-annotated' or 'flat', got '${String(layout)}'`,
    );
  const read = new Map<string, Promise<ImageTextDataset>>();
  const load = (file: string) => {
    let p = read.get(file);
    if (p === undefined) {
      p = readAnnotationFile(file, options.annotations ?? {});
      read.set(file, p);
    }
    return p;
  };
  const files = { train: options.train, val: options.val, test: options.test };
  const shared =
    new Set(Object.values(files).filter((f) => f !== undefined)).size <
    Object.values(files).filter((f) => f !== undefined).length;
  const split = async (name: 'train' | 'val' | 'test'): Promise<ImageTextDataset | undefined> => {
    const file = files[name];
    if (file === undefined) return undefined;
    const ds = await load(file);
    // one file for several splits (Karpathy): keep this split's images
    return shared || ds.images.some((im) => im.split !== ds.images[0]?.split) ? selectSplits(ds, name) : ds;
  };
  const [train, val, test] = await Promise.all([split('train'), split('val'), split('test')]);
  const first = (train as ImageTextDataset).images[0];
  let pathOf: (r: ImageRecord) => string = LAYOUTS['as-annotated'];
  if (layout === 'flat') pathOf = LAYOUTS.flat;
  else if (layout === 'auto' && first !== undefined && first.file !== first.name) {
    const atPath = await (await imageExistsIn(options.imageDir, LAYOUTS['as-annotated']))(first);
    if (!atPath && (await (await imageExistsIn(options.imageDir, LAYOUTS.flat))(first)))
      pathOf = LAYOUTS.flat;
  }
  const check = async (ds: ImageTextDataset | undefined, name: string) =>
    ds === undefined || options.checkImages === false
      ? ds
      : checkImagesExist(ds, await imageExistsIn(options.imageDir, pathOf), {
          file: files[name as 'train'] as string,
          ...(options.annotations?.policy ? { policy: options.annotations.policy } : {}),
        });
  const [trainOk, valOk, testOk] = await Promise.all([
    check(train, 'train'),
    check(val, 'val'),
    check(test, 'test'),
  ]);
  return trainingData(
    {
      train: trainOk as ImageTextDataset,
      ...(valOk === undefined ? {} : { val: valOk }),
      ...(testOk === undefined ? {} : { test: testOk }),
    },
    (record) => loadImage(join(options.imageDir, pathOf(record))),
  );
}
