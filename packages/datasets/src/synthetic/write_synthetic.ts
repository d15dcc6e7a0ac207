import { DatasetInputError } from '../errors.js';
import { writeImage } from '../images/encode.js';
import { loadFs, loadPath } from '../node_only_imports.js';
import {
  type ResolvedSyntheticOptions,
  resolveOptions,
  type SyntheticOptions,
  type SyntheticSample,
  synthesize,
  toPirJson,
} from './generate_synthetic.js';

/** What {@link writeSynthetic} wrote. */
export interface WriteSyntheticResult {
  /** The output folder. */
  dir: string;
  /** Folder the PIR JSON `image` paths are relative to: `<dir>/images`. */
  imageDir: string;
  /** The annotation files: `<dir>/<name>_train.json`, `_val.json`, `_test.json`. */
  files: { train: string; val: string; test: string; meta: string };
  /** Images per split. */
  counts: { train: number; val: number; test: number };
  /** Wall time in seconds. */
  seconds: number;
}

/**
 * Generate the benchmark and write it to `dir` (Node only) in the PIR JSON layout:
 *
 * ```
 * <dir>/images/train/airport_0.png …     (PNG, or LZW TIFF with format: 'tif')
 * <dir>/<name>_train.json                 one entry per caption {caption, image, image_id, label_name, label}
 * <dir>/<name>_val.json                   one entry per image  {image, caption[5], label_name, label}
 * <dir>/<name>_test.json                  one entry per image  {image, caption[5]}
 * <dir>/<name>_meta.json                  options, classes, and every image's drawn objects
 * ```
 *
 * Encoding runs in sharp's thread pool while the next scenes are drawn (up to `concurrency` writes in flight).
 * @example await writeSynthetic('data/synthetic', { seed: 1, count: 2000, size: 224 });
 */
export async function writeSynthetic(
  dir: string,
  options: SyntheticOptions & {
    name?: string;
    concurrency?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<WriteSyntheticResult> {
  const t0 = performance.now();
  const o: ResolvedSyntheticOptions = resolveOptions(options, 'writeSynthetic');
  const name = options.name ?? 'synthetic';
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) {
    throw new DatasetInputError(
      'writeSynthetic',
      'name',
      `writeSynthetic: name must be a plain file-name prefix (letters, digits, '_', '.', '-'), got '${name}'`,
    );
  }
  const [fs, path] = await Promise.all([loadFs(), loadPath()]);
  const imageDir = path.join(dir, 'images');
  await fs.mkdir(imageDir, { recursive: true });
  const samples: SyntheticSample[] = [];
  const inFlight = new Set<Promise<void>>();
  const concurrency = options.concurrency ?? 4;
  let done = 0;
  for (const { sample, pixels } of synthesize(options)) {
    samples.push(sample);
    const p: Promise<void> = writeImage(path.join(imageDir, sample.image), pixels, {
      compressionLevel: 4,
    }).then(() => {
      inFlight.delete(p);
      done++;
      options.onProgress?.(done, o.count);
    });
    inFlight.add(p);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const ann = toPirJson(samples);
  const files = {
    train: path.join(dir, `${name}_train.json`),
    val: path.join(dir, `${name}_val.json`),
    test: path.join(dir, `${name}_test.json`),
    meta: path.join(dir, `${name}_meta.json`),
  };
  const { texture: _t, ...plain } = o;
  await Promise.all([
    fs.writeFile(files.train, JSON.stringify(ann.train)),
    fs.writeFile(files.val, JSON.stringify(ann.val)),
    fs.writeFile(files.test, JSON.stringify(ann.test)),
    fs.writeFile(
      files.meta,
      JSON.stringify({
        generator: '@pir/datasets synthetic',
        options: {
          ...plain,
          texture: o.texture ? `${o.texture.width}x${o.texture.height}x${o.texture.channels}` : null,
        },
        classes: o.classes,
        images: samples.map((s) => ({ image_id: s.imageId, image: s.image, objects: s.objects })),
      }),
    ),
  ]);
  const counts = { train: 0, val: 0, test: 0 };
  for (const s of samples) counts[s.split]++;
  return { dir, imageDir, files, counts, seconds: (performance.now() - t0) / 1000 };
}
