/**
 * File-based de-duplication: decode every image of one or more datasets with a caller-supplied decoder,
 * hash it, and report duplicates and split leaks.
 */
import { PirError } from '@pir/runtime/errors';
import type { ImageRecord } from '../annotations/dataset_types.js';
import { DatasetInputError } from '../errors.js';
import {
  type DuplicateReport,
  type FindDuplicatesOptions,
  findDuplicates,
  findOptions,
  type HashedImage,
} from './find_duplicates.js';
import { imageHashes } from './perceptual_hash.js';
import { type RawImage, rawImageProblem } from './raw_image_check.js';

/** A dataset to check: a name and its images (an `ImageTextDataset` fits). */
export interface DedupSource {
  name: string;
  images: readonly Pick<ImageRecord, 'file' | 'split'>[];
}

/** Options of {@link hashImages}. */
export interface HashImagesOptions {
  /** Decodes in flight at once. Default 4. */
  concurrency?: number;
  /** A failed decode: `'throw'` (default) or `'collect'` (listed in `failures`, left out of the hashes). */
  onError?: 'throw' | 'collect';
  /** Called after each image (e.g. a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/** Options of {@link findDatasetDuplicates}. */
export interface DatasetDuplicatesOptions extends HashImagesOptions, FindDuplicatesOptions {}

/** A decode that failed. */
export interface HashFailure {
  id: string;
  error: string;
}

/**
 * Hash a list of items with an async decoder (e.g. `decodeImage` of this package's images module, or
 * `sharp(...).raw()` in Node), a bounded number at a time.
 *
 * @param items anything the decoder takes, with an `id` for reports
 * @param decode `(item) => Promise<RawImage>`
 * @throws PirError (`where: 'hashImages'`, `argument`: the item's id) when a decode fails and `onError` is
 *   `'throw'`; the decoder's error is its `cause`
 * @example
 * ```ts
 * const { hashed } = await hashImages(
 *   files.map((f) => ({ id: f, split: 'train' })),
 *   (it) => decodeFile(it.id),
 * );
 * ```
 */
export async function hashImages<T extends { id: string; split?: HashedImage['split']; dataset?: string }>(
  items: readonly T[],
  decode: (item: T) => Promise<RawImage> | RawImage,
  options: HashImagesOptions = {},
): Promise<{ hashed: HashedImage[]; failures: HashFailure[] }> {
  return hashItems(items, decode, options, 'hashImages');
}

/** {@link hashImages}; `where` (the public function called) names it in argument errors. */
async function hashItems<T extends { id: string; split?: HashedImage['split']; dataset?: string }>(
  items: readonly T[],
  decode: (item: T) => Promise<RawImage> | RawImage,
  options: HashImagesOptions,
  where: string,
): Promise<{ hashed: HashedImage[]; failures: HashFailure[] }> {
  if (typeof decode !== 'function') {
    throw new DatasetInputError(
      where,
      'decode',
      `${where}: decode must be a function (item) => RawImage, got ${decode === null ? 'null' : typeof decode}`,
    );
  }
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new DatasetInputError(
      where,
      'concurrency',
      `${where}: concurrency must be a positive integer, got ${concurrency}`,
    );
  }
  const onError = options.onError ?? 'throw';
  const out: (HashedImage | undefined)[] = new Array(items.length);
  const failures: HashFailure[] = [];
  let next = 0;
  let done = 0;
  let failed: PirError | undefined;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const k = next++;
      const item = items[k]!;
      let image: RawImage | undefined;
      let error: { message: string; cause: unknown } | undefined;
      try {
        image = await decode(item);
      } catch (e) {
        error = { message: e instanceof Error ? e.message : String(e), cause: e };
      }
      // a decoder that returns something else than a RawImage fails this item, like a failed decode
      const problem = error === undefined ? rawImageProblem(image as RawImage) : undefined;
      if (problem !== undefined) {
        const cause = new DatasetInputError(where, problem.argument, problem.message);
        error = { message: problem.message, cause };
      }
      if (error !== undefined) {
        if (onError === 'throw') {
          failed ??= new PirError(
            'hashImages',
            item.id,
            `hashImages: cannot hash '${item.id}': ${error.message}`,
            {
              cause: error.cause,
            },
          );
          return;
        }
        failures.push({ id: item.id, error: error.message });
      } else {
        const h: HashedImage = { id: item.id, hashes: imageHashes(image as RawImage) };
        if (item.split !== undefined) h.split = item.split;
        if (item.dataset !== undefined) h.dataset = item.dataset;
        out[k] = h;
      }
      options.onProgress?.(++done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed) throw failed;
  failures.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { hashed: out.filter((h): h is HashedImage => h !== undefined), failures };
}

/**
 * Decode, hash and cross-check every image of several datasets (e.g. RSICD and RSITMD with all their
 * splits). Ids in the report are `'{name}:{file}'`.
 *
 * @param load `(image, source) => Promise<RawImage>` — read and decode one image file
 * @returns the duplicate report plus the decode failures (with `onError: 'collect'`)
 * @example
 * ```ts
 * const report = await findDatasetDuplicates(
 *   [{ name: 'rsicd', images: rsicd.images }, { name: 'rsitmd', images: rsitmd.images }],
 *   (im, src) => decodeImageFile(`${root}/${src.name}/images/${im.file}`),
 * );
 * report.leakCounts; // { 'test-in-train': 12, 'val-in-train': 3, 'test-in-val': 0 }
 * ```
 */
export async function findDatasetDuplicates(
  sources: readonly DedupSource[],
  load: (image: DedupSource['images'][number], source: DedupSource) => Promise<RawImage> | RawImage,
  options: DatasetDuplicatesOptions = {},
): Promise<DuplicateReport & { failures: HashFailure[] }> {
  if (!Array.isArray(sources)) {
    throw new DatasetInputError(
      'findDatasetDuplicates',
      'sources',
      `findDatasetDuplicates: sources must be an array of {name, images}, got ${sources === null ? 'null' : typeof sources}`,
    );
  }
  sources.forEach((source, i) => {
    if (source === null || typeof source !== 'object' || !Array.isArray(source.images)) {
      throw new DatasetInputError(
        'findDatasetDuplicates',
        `sources[${i}]`,
        `findDatasetDuplicates: sources[${i}] must be {name, images: [{file, split}, …]}`,
      );
    }
  });
  findOptions(options, 'findDatasetDuplicates'); // before the (long) decoding, not after it
  if (typeof load !== 'function') {
    throw new DatasetInputError(
      'findDatasetDuplicates',
      'load',
      `findDatasetDuplicates: load must be a function (image, source) => RawImage, got ${load === null ? 'null' : typeof load}`,
    );
  }
  const items = (sources as readonly DedupSource[]).flatMap((source) =>
    source.images.map((image) => ({
      id: `${source.name}:${image.file}`,
      split: image.split,
      dataset: source.name,
      image,
      source,
    })),
  );
  const { hashed, failures } = await hashItems(
    items,
    (it) => load(it.image, it.source),
    options,
    'findDatasetDuplicates',
  );
  const { algorithm, maxDistance } = options;
  const report = findDuplicates(hashed, {
    ...(algorithm !== undefined ? { algorithm } : {}),
    ...(maxDistance !== undefined ? { maxDistance } : {}),
  });
  return { ...report, failures };
}
