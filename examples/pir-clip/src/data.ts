/**
 * The example's data: the synthetic benchmark of `@pir/datasets` in memory (no downloads), or RSITMD / RSICD
 * from their PIR JSON annotation files (by default the real ones in `../shared/data/annotations/`) and an image
 * folder — the images where the annotation paths say (`train/bridge_942.tif`) or all in one folder
 * (`bridge_942.tif`, as RSITMD ships them); every image is checked before any training.
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

/** The annotation files beside the repository (`PIR_ANNOTATIONS_DIR` overrides). */
export const DEFAULT_ANNOTATIONS_DIR =
  process.env.PIR_ANNOTATIONS_DIR ??
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/annotations');

export type SplitName = 'train' | 'val' | 'test';
export type DatasetName = 'rsitmd' | 'rsicd';

/** An error of the example's own (options, missing files): printed as one line. */
export class ExampleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExampleError';
  }
}

/** The data of a run and a line saying what they are. */
export interface ExampleData {
  data: Partial<Record<SplitName, DataSplit>>;
  description: string;
}

/** The synthetic benchmark: `count` scenes of `size` px (72 / 18 / 10 % train / val / test), seeded. */
export function syntheticData(count: number, size: number, seed = 0): ExampleData {
  const data = syntheticTrainingData(generateSynthetic({ seed, count, size }));
  const n = (s: SplitName) => data[s]?.imageLabels.length ?? 0;
  return {
    data,
    description: `synthetic benchmark (seed ${seed}): ${count} scenes of ${size} px; images train ${n('train')} / val ${n('val')} / test ${n('test')}`,
  };
}

/** Options of {@link realData}. */
export interface RealDataOptions {
  dataset: DatasetName;
  /** The folder of the images. */
  imageDir: string;
  splits: readonly SplitName[];
  /** A split's annotation file (default `<annotations>/<dataset>_<split>.json`). */
  files?: Partial<Record<SplitName, string>>;
  /** Folder of the default files (default {@link DEFAULT_ANNOTATIONS_DIR}). */
  annotations?: string;
}

/** RSITMD or RSICD: the splits' annotations and their images. */
export async function realData(o: RealDataOptions): Promise<ExampleData> {
  if (!existsSync(o.imageDir))
    throw new ExampleError(`the image folder ${o.imageDir} does not exist (--image-dir)`);
  const read: Partial<Record<SplitName, ImageTextDataset>> = {};
  for (const split of o.splits) {
    const file =
      o.files?.[split] ?? join(o.annotations ?? DEFAULT_ANNOTATIONS_DIR, `${o.dataset}_${split}.json`);
    if (!existsSync(file))
      throw new ExampleError(
        `the ${split} annotations of ${o.dataset.toUpperCase()} are not at ${file}: pass --${split} <file> (PIR JSON)`,
      );
    read[split] = await readAnnotationFile(file);
  }
  const all = Object.values(read) as ImageTextDataset[];
  const first = all.find((d) => d.images.length > 0)?.images[0];
  const nested = first === undefined || existsSync(join(o.imageDir, first.file));
  const path = (r: ImageRecord) => join(o.imageDir, nested ? r.file : r.name);
  const missing = all.flatMap((d) => d.images.filter((r) => !existsSync(path(r))).map((r) => r.file));
  if (missing.length > 0)
    throw new ExampleError(
      `${missing.length} image(s) of the annotations are not in ${o.imageDir}, e.g. ${missing.slice(0, 3).join(', ')}`,
    );
  const data: Partial<Record<SplitName, DataSplit>> = {};
  for (const split of o.splits)
    data[split] = datasetSplit(read[split] as ImageTextDataset, (r) => loadImage(path(r)));
  const counts = o.splits.map(
    (s) => `${s} ${read[s]?.images.length} images / ${read[s]?.captions.length} captions`,
  );
  return { data, description: `${o.dataset.toUpperCase()}: ${counts.join(', ')}` };
}

/** The splits as the trainer wants them. */
export function asTrainingData(data: Partial<Record<SplitName, DataSplit>>): TrainingData {
  if (data.train === undefined) throw new ExampleError('there is no training split');
  return {
    train: data.train,
    ...(data.val === undefined ? {} : { val: data.val }),
    ...(data.test === undefined ? {} : { test: data.test }),
  };
}
