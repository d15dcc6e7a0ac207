/**
 * Node conveniences: read annotation files from paths. `node:fs` and `node:path` are imported dynamically
 * inside the functions, so browser bundles of this package never load them.
 */
import { loadFs, loadPath } from '../node_only_imports.js';
import { type CaptionListOptions, loadCaptionLists } from './caption_lists.js';
import { checkImagesExist } from './dataset_operations.js';
import type { ImageRecord, ImageTextDataset, Split } from './dataset_types.js';
import { type KarpathyOptions, loadKarpathyJson } from './karpathy_json.js';
import { parseJson } from './parse_json.js';
import { loadPirJson, type PirJsonOptions } from './pir_json.js';

/** Options of {@link readAnnotationFile}: those of both JSON loaders, plus an optional image directory. */
export interface ReadAnnotationOptions extends PirJsonOptions, Omit<KarpathyOptions, keyof PirJsonOptions> {
  /** When given, every image must exist at `join(imageDir, image.file)` (see {@link imageExistsIn}). */
  imageDir?: string;
  /** The format; default: detected (a top-level array is PIR JSON, `{images: [...]}` Karpathy). */
  format?: 'pir' | 'karpathy';
}

/**
 * Read and load a PIR JSON or Karpathy JSON file (Node only).
 * @example
 * ```ts
 * const train = await readAnnotationFile('data/rsitmd_train.json', { imageDir: 'data/images' });
 * ```
 */
export async function readAnnotationFile(
  path: string,
  options: ReadAnnotationOptions = {},
): Promise<ImageTextDataset> {
  const { readFile } = await loadFs();
  const text = await readFile(path, 'utf8');
  const { imageDir, format, ...rest } = options;
  const file = options.file ?? path;
  const data = parseJson(text, file);
  const kind = format ?? (Array.isArray(data) ? 'pir' : 'karpathy');
  const ds =
    kind === 'pir' ? loadPirJson(data, { ...rest, file }) : loadKarpathyJson(data, { ...rest, file });
  if (imageDir === undefined) return ds;
  const exists = await imageExistsIn(imageDir);
  return checkImagesExist(ds, exists, { file, ...(rest.policy ? { policy: rest.policy } : {}) });
}

/**
 * Read `{dir}/{split}_caps.txt` and `{dir}/{split}_filename.txt` (Node only).
 * @example
 * ```ts
 * const test = await readCaptionLists('data/rsitmd_precomp', 'test');
 * ```
 */
export async function readCaptionLists(
  dir: string,
  split: Split,
  options: CaptionListOptions & { imageDir?: string } = {},
): Promise<ImageTextDataset> {
  const { readFile } = await loadFs();
  const { join } = await loadPath();
  const capsFile = join(dir, `${split}_caps.txt`);
  const namesFile = join(dir, `${split}_filename.txt`);
  const [caps, names] = await Promise.all([readFile(capsFile, 'utf8'), readFile(namesFile, 'utf8')]);
  const { imageDir, ...rest } = options;
  const ds = loadCaptionLists(caps, names, split, { capsFile, filenamesFile: namesFile, ...rest });
  if (imageDir === undefined) return ds;
  return checkImagesExist(ds, await imageExistsIn(imageDir), {
    file: capsFile,
    ...(rest.policy ? { policy: rest.policy } : {}),
  });
}

/**
 * An exists-test for {@link checkImagesExist}: is `join(dir, image.file)` a readable file? (Node only)
 * @param resolve map an image to its path relative to `dir` (default `image.file`; e.g. `(im) => im.name`
 *   for a flat directory)
 */
export async function imageExistsIn(
  dir: string,
  resolve: (image: ImageRecord) => string = (image) => image.file,
): Promise<(image: ImageRecord) => Promise<boolean>> {
  const { stat } = await loadFs();
  const { join } = await loadPath();
  return async (image) => {
    try {
      return (await stat(join(dir, resolve(image)))).isFile();
    } catch {
      return false;
    }
  };
}
