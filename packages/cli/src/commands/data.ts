/**
 * Where `pir train` and `pir eval` read their images and captions: the built-in synthetic benchmark (no
 * downloads; the same seed, count and size give the same images and splits in both commands), or annotation
 * files (PIR JSON per split, or one Karpathy `dataset_*.json` with every split) and an image folder.
 */
import { stat } from 'node:fs/promises';
import { generateSynthetic, readAnnotationFile } from '@pir/datasets';
import { PirError } from '@pir/runtime/errors';
import { type DataSplit, syntheticTrainingData, type TrainingData } from '@pir/train';
import { readTrainingData } from '@pir/train/node';

/** Shares of the synthetic benchmark's images in the train / val / test splits. */
export const SYNTHETIC_SPLITS = { train: 0.7, val: 0.15, test: 0.15 } as const;

/** The synthetic benchmark as a command generates it. */
export interface SyntheticSource {
  kind: 'synthetic';
  /** Number of images (all splits). */
  images: number;
  /** Side in pixels. */
  size: number;
  /** Seed of the generator. */
  seed: number;
}

/** Annotation files and an image folder. */
export interface FileSource {
  kind: 'files';
  /** Training annotations (`pir train`), or the annotations to evaluate (`pir eval`). */
  train?: string;
  val?: string;
  test?: string;
  /** The folder the annotations' image paths are relative to. */
  imageDir: string;
}

export type DataSource = SyntheticSource | FileSource;

/** An error of a command's options: `where` is the command, `argument` the flag at fault. */
export class CommandOptionError extends PirError {
  constructor(command: string, flag: string, detail: string) {
    super(command, flag, `${flag} ${detail}`);
    this.name = 'CommandOptionError';
  }
}

/** The synthetic benchmark, split 70 / 15 / 15 % by image (per class). */
export function syntheticData(s: SyntheticSource, command: string): TrainingData {
  if (!(Number.isInteger(s.images) && s.images >= 1))
    throw new CommandOptionError(
      command,
      '--synthetic',
      `must be a positive number of images, got ${s.images}`,
    );
  if (!(Number.isInteger(s.size) && s.size >= 32 && s.size <= 512))
    throw new CommandOptionError(command, '--size', `must be an integer in [32, 512] pixels, got ${s.size}`);
  const dataset = generateSynthetic({
    seed: s.seed,
    count: s.images,
    size: s.size,
    splits: { ...SYNTHETIC_SPLITS },
  });
  const data = syntheticTrainingData(dataset);
  if (data.val === undefined || data.test === undefined)
    throw new CommandOptionError(
      command,
      '--synthetic',
      `${s.images} images leave the ${data.val === undefined ? 'val' : 'test'} split empty (each of the ` +
        `${dataset.classes.length} scene classes is split 70 / 15 / 15 %); use at least ${6 * dataset.classes.length}`,
    );
  return data;
}

/** A clear error when the image folder is not there (rather than one 'image not found' per image). */
async function checkImageDir(command: string, dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new CommandOptionError(command, '--image-dir', `'${dir}' does not exist`);
  if (!info.isDirectory()) throw new CommandOptionError(command, '--image-dir', `'${dir}' is not a folder`);
}

/** The training data of `pir train`. */
export async function readTrainData(source: DataSource): Promise<TrainingData> {
  if (source.kind === 'synthetic') return syntheticData(source, 'pir train');
  if (source.train === undefined)
    throw new CommandOptionError('pir train', '--train', 'is needed: the training annotation file');
  await checkImageDir('pir train', source.imageDir);
  return readTrainingData({
    train: source.train,
    ...(source.val === undefined ? {} : { val: source.val }),
    ...(source.test === undefined ? {} : { test: source.test }),
    imageDir: source.imageDir,
  });
}

/**
 * One split to evaluate: of the synthetic benchmark, or of an annotation file (a Karpathy file holding several
 * splits gives the images of `split`; a PIR per-split file is taken whole).
 */
export async function readEvalSplit(
  source: DataSource,
  split: 'train' | 'val' | 'test',
): Promise<{ split: DataSplit; describe: string }> {
  if (source.kind === 'synthetic') {
    const data = syntheticData(source, 'pir eval');
    const s = data[split];
    if (s === undefined)
      throw new CommandOptionError('pir eval', '--split', `'${split}' holds no images of this benchmark`);
    return {
      split: s,
      describe: `synthetic benchmark (${source.images} images of ${source.size} px, seed ${source.seed}), ${split} split`,
    };
  }
  const file = source.train;
  if (file === undefined) throw new CommandOptionError('pir eval', '--annotations', 'is needed');
  await checkImageDir('pir eval', source.imageDir);
  const read = await readAnnotationFile(file);
  const splits = [...new Set(read.images.map((im) => im.split))];
  // a file of one split is taken whole; of several (Karpathy), the images of `split`. The images are found and
  // checked as `pir train` does (readTrainingData: the annotation's paths, or all in one folder)
  if (splits.length > 1 && !splits.includes(split))
    throw new CommandOptionError(
      'pir eval',
      '--split',
      `'${split}' holds no images in ${file}; its splits are ${splits.join(', ')}`,
    );
  const data = await readTrainingData(
    splits.length > 1
      ? { train: file, [split]: file, imageDir: source.imageDir }
      : { train: file, imageDir: source.imageDir },
  );
  return {
    split: (splits.length > 1 ? data[split] : data.train) as DataSplit,
    describe: `${file}${splits.length > 1 ? ` (${split} split)` : ''}, images in ${source.imageDir}`,
  };
}
