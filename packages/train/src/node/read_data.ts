/**
 * {@link readTrainingData}: a run's {@link TrainingData} from annotation files on disk (PIR JSON, one file per
 * split, or one Karpathy JSON for all of them) and an image directory — `@pir/datasets`' readers, Node only.
 */
import {
  type ImageTextDataset,
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
}

/**
 * Read the splits' annotations and point their images at `imageDir`.
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
  const read = new Map<string, Promise<ImageTextDataset>>();
  const load = (file: string) => {
    let p = read.get(file);
    if (p === undefined) {
      p = readAnnotationFile(file, {
        ...(options.annotations ?? {}),
        ...(options.checkImages === false ? {} : { imageDir: options.imageDir }),
      });
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
  return trainingData(
    {
      train: train as ImageTextDataset,
      ...(val === undefined ? {} : { val }),
      ...(test === undefined ? {} : { test }),
    },
    options.imageDir,
  );
}
