/**
 * Where the example's data come from:
 *
 * - **RSITMD / RSICD** (`--data-dir` = the folder of the images): the annotation files in the PIR JSON layout
 *   (PIR_SPEC §6), by default `<dataset>_{train,val,test}.json` in `../shared/data/annotations/` (the real files
 *   beside this repository; `--annotations <dir>` or `--train/--val/--test <file>` change them), read with
 *   `@pir/datasets`; the images found under `--data-dir` either where the annotation paths say
 *   (`train/bridge_942.tif`) or all in one folder (`bridge_942.tif`, as RSITMD ships them) — every image is
 *   checked before training starts.
 * - **the synthetic benchmark** of `@pir/datasets` (`generateSynthetic`: aerial-looking scenes of 12 classes,
 *   five captions each, split 72 / 18 / 10 % like RSITMD): generated in memory, nothing downloaded.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  generateSynthetic,
  type ImageRecord,
  type ImageTextDataset,
  loadImage,
  readAnnotationFile,
} from '@pir/datasets';
import { type DataSplit, datasetSplit, syntheticTrainingData, type TrainingData } from '@pir/train';
import type { DatasetName } from './published.js';

/** The repository root (this file is `examples/pir-itr/src/data.ts`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The real annotation files beside the repository (`PIR_ANNOTATIONS_DIR` overrides). */
export const DEFAULT_ANNOTATIONS_DIR =
  process.env.PIR_ANNOTATIONS_DIR ?? resolve(REPO_ROOT, '../shared/data/annotations');

/** A split of the datasets. */
export type SplitName = 'train' | 'val' | 'test';

/** An error of the example's own (bad options, missing files), printed without a stack trace. */
export class ExampleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExampleError';
  }
}

/** Where the annotation files are. */
export interface AnnotationOptions {
  /** Folder of `<dataset>_{train,val,test}.json` (default {@link DEFAULT_ANNOTATIONS_DIR}). */
  annotations?: string;
  /** Files that replace the folder's, per split. */
  train?: string;
  val?: string;
  test?: string;
}

/** The annotation file of each split. */
export function annotationFiles(
  dataset: DatasetName,
  options: AnnotationOptions = {},
): Record<SplitName, string> {
  const dir = options.annotations ?? DEFAULT_ANNOTATIONS_DIR;
  const file = (split: SplitName) => options[split] ?? join(dir, `${dataset}_${split}.json`);
  return { train: file('train'), val: file('val'), test: file('test') };
}

/**
 * Read the annotation files of some splits (no images needed).
 * @throws ExampleError naming a missing file and the option that replaces it
 */
export async function readSplits(
  dataset: DatasetName,
  splits: readonly SplitName[],
  options: AnnotationOptions = {},
): Promise<Partial<Record<SplitName, ImageTextDataset>>> {
  const files = annotationFiles(dataset, options);
  const out: Partial<Record<SplitName, ImageTextDataset>> = {};
  for (const split of splits) {
    const file = files[split];
    if (!existsSync(file))
      throw new ExampleError(
        `the ${split} annotations of ${dataset.toUpperCase()} are not at ${file}: pass --${split} <file> (PIR JSON, e.g. ${dataset}_${split}.json) or --annotations <folder>`,
      );
    out[split] = await readAnnotationFile(file);
  }
  return out;
}

/** How an image record maps to a file under the images folder. */
export type ImageLayout = 'as-annotated' | 'flat';

/**
 * Find the images of `datasets` under `dataDir`: where the annotation paths say (`train/x.tif`) or all in one
 * folder (`x.tif`), whichever holds the first image; then check that every image is there.
 * @returns the layout and a loader for `trainingData`
 * @throws ExampleError listing (the first few) missing images
 */
export function locateImages(
  datasets: readonly ImageTextDataset[],
  dataDir: string,
): { layout: ImageLayout; path: (record: ImageRecord) => string } {
  if (!existsSync(dataDir)) throw new ExampleError(`the image folder ${dataDir} does not exist (--data-dir)`);
  const first = datasets.find((d) => d.images.length > 0)?.images[0];
  const paths: Record<ImageLayout, (r: ImageRecord) => string> = {
    'as-annotated': (r) => join(dataDir, r.file),
    flat: (r) => join(dataDir, r.name),
  };
  const layout: ImageLayout =
    first === undefined || existsSync(paths['as-annotated'](first)) ? 'as-annotated' : 'flat';
  const path = paths[layout];
  const missing = datasets.flatMap((d) => d.images.filter((r) => !existsSync(path(r))).map((r) => r.file));
  if (missing.length > 0)
    throw new ExampleError(
      `${missing.length} image(s) of the annotations are not under ${dataDir} (looked for ${
        layout === 'flat' ? '<folder>/<name>' : '<folder>/<path in the annotations>'
      }), e.g. ${missing.slice(0, 3).join(', ')}`,
    );
  return { layout, path };
}

/** Options of {@link realData}. */
export interface RealDataOptions extends AnnotationOptions {
  dataset: DatasetName;
  /** The folder holding the images. */
  dataDir: string;
  /** The splits to read (default all three). */
  splits?: readonly SplitName[];
}

/** Data and a line that says what they are. */
export interface ExampleData {
  data: Partial<Record<SplitName, DataSplit>>;
  description: string;
}

/** RSITMD or RSICD from the annotation files and the images under `dataDir`. */
export async function realData(options: RealDataOptions): Promise<ExampleData> {
  const splits = options.splits ?? ['train', 'val', 'test'];
  const read = await readSplits(options.dataset, splits, options);
  const datasets = Object.values(read);
  const { layout, path } = locateImages(datasets, options.dataDir);
  const load = (record: ImageRecord) => loadImage(path(record));
  const data: Partial<Record<SplitName, DataSplit>> = {};
  for (const split of splits) {
    const ds = read[split];
    if (ds !== undefined) data[split] = datasetSplit(ds, load);
  }
  const counts = splits
    .map((s) => `${s} ${read[s]?.images.length} images / ${read[s]?.captions.length} captions`)
    .join(', ');
  return {
    data,
    description: `${options.dataset.toUpperCase()}: ${counts} (images in ${options.dataDir}, ${layout === 'flat' ? 'one folder' : 'as annotated'})`,
  };
}

/** Options of {@link syntheticData}. */
export interface SyntheticDataOptions {
  /** Images over the three splits (72 / 18 / 10 %). Default 300. */
  count?: number;
  /** Side in pixels (the model's input size). */
  size: number;
  /** Seed of the scenes and captions. Default 0. */
  seed?: number;
}

/** The synthetic benchmark, generated in memory. */
export function syntheticData(options: SyntheticDataOptions): ExampleData {
  const count = options.count ?? 300;
  const seed = options.seed ?? 0;
  const benchmark = generateSynthetic({ seed, count, size: options.size });
  const data = syntheticTrainingData(benchmark);
  const sizes = (['train', 'val', 'test'] as const)
    .map((s) => `${s} ${data[s]?.imageLabels.length ?? 0}`)
    .join(' / ');
  return {
    data: data as Partial<Record<SplitName, DataSplit>>,
    description: `synthetic benchmark (seed ${seed}): ${count} scenes of ${options.size} px, 12 classes, 5 captions each; images ${sizes}`,
  };
}

/** The splits as `train` wants them (a training split is required). */
export function asTrainingData(data: Partial<Record<SplitName, DataSplit>>): TrainingData {
  if (data.train === undefined) throw new ExampleError('there is no training split');
  return {
    train: data.train,
    ...(data.val === undefined ? {} : { val: data.val }),
    ...(data.test === undefined ? {} : { test: data.test }),
  };
}
