/**
 * Operations on a loaded {@link ImageTextDataset}: summary counts, split selection, merging, and the
 * image-exists check.
 */
import { DatasetInputError } from '../errors.js';
import { labelVocabulary } from '../labels/label_vocabulary.js';
import { checkPolicy, IssueLog } from './build_dataset.js';
import type { ImageTextDataset, LoadIssue, LoadPolicy, Split } from './dataset_types.js';

/** Counts of a dataset, per split and per label. */
export interface DatasetSummary {
  images: number;
  captions: number;
  labels: number;
  imagesPerSplit: Record<string, number>;
  captionsPerSplit: Record<string, number>;
  /** Images per label name. */
  labelCounts: Record<string, number>;
  /** How many images have n captions: `{ '5': 452 }`. */
  captionsPerImage: Record<string, number>;
  errors: number;
  warnings: number;
}

/**
 * Summary counts (all keys sorted).
 * @example
 * ```ts
 * summarizeDataset(ds); // { images: 452, captions: 2260, labels: 32, imagesPerSplit: { test: 452 }, … }
 * ```
 */
export function summarizeDataset(ds: ImageTextDataset): DatasetSummary {
  const imagesPerSplit: Record<string, number> = {};
  const captionsPerSplit: Record<string, number> = {};
  const labelCounts: Record<string, number> = {};
  const captionsPerImage: Record<string, number> = {};
  for (const im of ds.images) {
    imagesPerSplit[im.split] = (imagesPerSplit[im.split] ?? 0) + 1;
    captionsPerSplit[im.split] = (captionsPerSplit[im.split] ?? 0) + im.captions.length;
    labelCounts[im.label] = (labelCounts[im.label] ?? 0) + 1;
    const n = String(im.captions.length);
    captionsPerImage[n] = (captionsPerImage[n] ?? 0) + 1;
  }
  return {
    images: ds.images.length,
    captions: ds.captions.length,
    labels: Object.keys(labelCounts).length,
    imagesPerSplit: sortKeys(imagesPerSplit),
    captionsPerSplit: sortKeys(captionsPerSplit),
    labelCounts: sortKeys(labelCounts),
    captionsPerImage: sortKeys(captionsPerImage),
    errors: ds.issues.filter((i) => i.severity === 'error').length,
    warnings: ds.issues.filter((i) => i.severity === 'warning').length,
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The images (and their captions) of one or more splits, re-indexed from 0; the label vocabulary is kept
 * (so label ids stay comparable with the full dataset) and so are the issues.
 * @example
 * ```ts
 * const test = selectSplits(all, ['test']);
 * test.captionToImage; // ready for @pir/metrics' evaluateRetrieval
 * ```
 */
export function selectSplits(ds: ImageTextDataset, splits: readonly Split[] | Split): ImageTextDataset {
  const want = new Set<string>(typeof splits === 'string' ? [splits] : splits);
  return rebuild(
    ds,
    ds.images.filter((im) => want.has(im.split)),
    ds.labels,
    ds.issues,
  );
}

function rebuild(
  ds: ImageTextDataset,
  keep: ImageTextDataset['images'],
  labels: readonly string[],
  issues: readonly LoadIssue[],
  labelId?: (label: string) => number,
): ImageTextDataset {
  const images: ImageTextDataset['images'][number][] = [];
  const captions: ImageTextDataset['captions'][number][] = [];
  for (const im of keep) {
    const index = images.length;
    const ids: number[] = [];
    for (const c of im.captions) {
      const old = ds.captions[c]!;
      ids.push(captions.length);
      captions.push({ ...old, index: captions.length, image: index });
    }
    images.push({ ...im, index, captions: ids, labelId: labelId ? labelId(im.label) : im.labelId });
  }
  const captionToImage = new Int32Array(captions.length);
  for (const c of captions) captionToImage[c.index] = c.image;
  return { images, captions, labels, captionToImage, issues };
}

/** Options of {@link mergeDatasets}. */
export interface MergeOptions {
  /** `'strict'` (default): the same image file in two datasets throws; `'lenient'`: later copies skipped. */
  policy?: LoadPolicy;
  /** Name used in issues. Default `'merge'`. */
  file?: string;
}

/**
 * Concatenate datasets (e.g. the train, val and test files of RSITMD). Label ids: the first dataset's ids
 * are kept, labels it lacks get the next ids in sorted order. The same image path (`file`, in the same split)
 * in two datasets is an error. Issues of all inputs are kept, followed by the merge's own.
 *
 * This does not find the same *image content* under different names (RSICD and RSITMD share images):
 * use `findDuplicates` from the dedup module for that.
 */
export function mergeDatasets(
  datasets: readonly ImageTextDataset[],
  options: MergeOptions = {},
): ImageTextDataset {
  checkPolicy(options.policy, 'mergeDatasets');
  if (!Array.isArray(datasets) || datasets.length === 0) {
    throw new DatasetInputError(
      'mergeDatasets',
      'datasets',
      `mergeDatasets: pass a non-empty array of datasets, got ${Array.isArray(datasets) ? 'an empty array' : datasets === null ? 'null' : typeof datasets}`,
    );
  }
  const log = new IssueLog(options.file ?? 'merge', 'mergeDatasets');
  const seen = new Map<string, string>();
  const keep: { ds: ImageTextDataset; im: ImageTextDataset['images'][number] }[] = [];
  datasets.forEach((ds, d) => {
    for (const im of ds.images) {
      const key = `${im.split}\u0000${im.file}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        log.error(`datasets[${d}].images[${im.index}]`, `image already in ${prev} — skipped`, im.file);
        continue;
      }
      seen.set(key, `datasets[${d}].images[${im.index}]`);
      keep.push({ ds, im });
    }
  });
  log.check({ policy: options.policy ?? 'strict' });
  const fixed: Record<string, number> = {};
  (datasets[0] as ImageTextDataset).labels.forEach((name, id) => {
    if (!name.startsWith('<unused')) fixed[name] = id;
  });
  const vocabulary = labelVocabulary(
    keep.map((k) => k.im.label),
    { fixed },
  );
  // concatenate captions with offsets, then re-index through rebuild
  const images: ImageTextDataset['images'][number][] = [];
  const captions: ImageTextDataset['captions'][number][] = [];
  for (const { ds, im } of keep) {
    const ids = im.captions.map((c) => {
      captions.push(ds.captions[c]!);
      return captions.length - 1;
    });
    images.push({ ...im, captions: ids });
  }
  const combined: ImageTextDataset = {
    images,
    captions,
    labels: vocabulary.names,
    captionToImage: new Int32Array(0),
    issues: [],
  };
  const issues = [...datasets.flatMap((ds) => ds.issues), ...log.issues];
  return rebuild(combined, images, vocabulary.names, issues, (l) => vocabulary.ids.get(l) as number);
}

/** Options of {@link checkImagesExist}. */
export interface ExistsOptions {
  /** `'strict'` (default): any missing image throws, listing all of them; `'lenient'`: they are dropped. */
  policy?: LoadPolicy;
  /** Name used in issues. Default `'images'`. */
  file?: string;
  /** Checks in flight at once. Default 16. */
  concurrency?: number;
}

/**
 * Check that every image of the dataset exists, with a user-supplied test (e.g. `fs.access` under an image
 * directory — see `imageExistsIn` in Node — or a set of names unpacked from an archive). Missing images are
 * errors naming the image and the annotation entry; in lenient mode they are dropped with their captions.
 *
 * @param exists `(image) => boolean | Promise<boolean>`, called once per image
 * @example
 * ```ts
 * const names = new Set(['test/parking_229.tif']);
 * const ok = await checkImagesExist(ds, (im) => names.has(im.file), { policy: 'lenient' });
 * ok.issues.filter((i) => i.message.startsWith('image file not found')).length;
 * ```
 */
export async function checkImagesExist(
  ds: ImageTextDataset,
  exists: (image: ImageTextDataset['images'][number]) => boolean | Promise<boolean>,
  options: ExistsOptions = {},
): Promise<ImageTextDataset> {
  checkPolicy(options.policy, 'checkImagesExist');
  if (typeof exists !== 'function') {
    throw new DatasetInputError(
      'checkImagesExist',
      'exists',
      `checkImagesExist: exists must be a function (image) => boolean | Promise<boolean>, got ${exists === null ? 'null' : typeof exists}`,
    );
  }
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new DatasetInputError(
      'checkImagesExist',
      'concurrency',
      `checkImagesExist: concurrency must be a positive integer, got ${concurrency}`,
    );
  }
  const found = new Array<boolean>(ds.images.length);
  let next = 0;
  const worker = async () => {
    while (next < ds.images.length) {
      const k = next++;
      found[k] = Boolean(await exists(ds.images[k]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ds.images.length) }, worker));
  const log = new IssueLog(options.file ?? 'images', 'checkImagesExist');
  for (const im of ds.images) {
    if (!found[im.index]) {
      log.error(
        `images[${im.index}]`,
        `image file not found (split ${im.split}) — image and its ${im.captions.length} captions skipped`,
        im.file,
      );
    }
  }
  log.check({ policy: options.policy ?? 'strict' });
  if (log.issues.length === 0) return ds;
  return rebuild(
    ds,
    ds.images.filter((im) => found[im.index]),
    ds.labels,
    [...ds.issues, ...log.issues],
  );
}
