/**
 * {@link indexImages}: embed every image of an archive into a store — streaming (images decoded one batch
 * ahead of the model), resumable and idempotent (what the store holds is skipped; each batch is committed
 * atomically, so a killed run loses at most one batch and a rerun completes it), shardable (`shard: {index,
 * count}` takes the images whose id hashes to `index`: n processes fill one store without overlap), strict or
 * lenient about unreadable files (lenient: every failure reported, nothing silently dropped).
 * {@link searchTexts} / {@link searchImages}: captions or images → the store's nearest images.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { evalTransform, loadImage, type RawImage } from '@pir/datasets';
import { cleanCaption } from '@pir/datasets/captions';
import { imageToTensor } from '@pir/datasets/transforms';
import type { RetrievalModel } from '@pir/models';
import { hashString } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkIdentity,
  type ModelIdentity,
  type SearchHit,
  StoreError,
  type StoreItem,
  type VectorStore,
} from '../index.js';

/** Image files the indexer takes (by extension, case-insensitive). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.bmp'] as const;

/** The identity a model stamps its vectors with. */
export function identityOf(model: RetrievalModel): ModelIdentity {
  return { name: model.config.name, configHash: model.configHash, dim: model.embeddingDim };
}

/**
 * The image files under `root` (recursively), as paths relative to `root` with `/` separators, sorted.
 * Symbolic links are not followed.
 */
export async function listImages(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw new StoreError('listImages', 'root', `cannot read the folder ${dir}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(path.join(dir, e.name), r);
      else if (
        e.isFile() &&
        (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(e.name).toLowerCase())
      )
        out.push(r);
    }
  };
  await walk(path.resolve(root), '');
  return out.sort();
}

/** Options of {@link indexImages}. */
export interface IndexImagesOptions {
  /** The model (`loadModel(dir)` of `@pir/models/node`). */
  model: RetrievalModel;
  /** The store to fill (`openStore(uri, { create: identityOf(model) })`). */
  store: VectorStore;
  /** The archive's folder; `files` are relative to it. */
  root: string;
  /** The images to index (default: every image under `root`, {@link listImages}). */
  files?: readonly string[];
  /** Images per forward pass and per committed batch (default 32). */
  batchSize?: number;
  /** Stop at the first unreadable image (default false: report every one and go on). */
  strict?: boolean;
  /** This process's part of the archive: images whose id hashes to `index` modulo `count`. */
  shard?: { index: number; count: number };
  /** Called after each committed batch. */
  onProgress?: (p: IndexProgress) => void;
}

/** Progress of {@link indexImages}. */
export interface IndexProgress {
  /** Images handled so far in this run (added + failed). */
  done: number;
  /** Images this run has to handle (its shard, minus what the store already held). */
  total: number;
  added: number;
  failed: number;
  /** Images per second in this run. */
  imagesPerSecond: number;
}

/** What {@link indexImages} did. */
export interface IndexSummary {
  /** Images in this run's shard. */
  inShard: number;
  /** Already in the store before this run (skipped). */
  alreadyIndexed: number;
  added: number;
  /** Unreadable images: path and why. */
  failed: { path: string; error: string }[];
  seconds: number;
}

function checkInt(name: string, x: number, min: number): number {
  if (!Number.isInteger(x) || x < min)
    throw new StoreError('indexImages', name, `must be an integer ≥ ${min}, got ${x}`);
  return x;
}

/** The model's input side (`config.encoders.vision.config.imageSize`, else 224). */
function imageSizeOf(model: RetrievalModel): number {
  const c = (model.config.encoders.vision as { config?: { imageSize?: unknown } }).config;
  return typeof c?.imageSize === 'number' ? c.imageSize : 224;
}

/** `[N, S, S, 3]` as the model's encoders take them (resize, centre crop, CLIP mean/std). */
function toBatch(images: readonly RawImage[], size: number): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf.stack(images.map((im) => evalTransform(imageToTensor(im) as tf.Tensor3D, { size }))) as tf.Tensor4D,
  );
}

/**
 * Index the images of an archive (see the module doc).
 * @throws StoreError (strict mode: the first unreadable image, naming it; bad options; another model's store)
 * @example
 * ```ts
 * const model = await loadModel('runs/demo/model');
 * const store = await openStore('file:./archive.pirdb', { create: identityOf(model) });
 * const summary = await indexImages({ model, store, root: 'archive/' });
 * ```
 */
export async function indexImages(options: IndexImagesOptions): Promise<IndexSummary> {
  const t0 = performance.now();
  const { model, store, root } = options;
  const batchSize = checkInt('batchSize', options.batchSize ?? 32, 1);
  const identity = identityOf(model);
  if (store.identity !== undefined) checkIdentity('indexImages', store.identity, identity);
  const shard = options.shard;
  if (shard !== undefined) {
    checkInt('shard.count', shard.count, 1);
    if (!Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count)
      throw new StoreError(
        'indexImages',
        'shard',
        `index must be in [0, ${shard.count}), got ${shard.index} (--shard i/n is 0-based)`,
      );
  }
  const all = options.files ?? (await listImages(root));
  // shard of an image: FNV-1a of its relative path, unsigned, modulo the count (the same in every process)
  const mine =
    shard === undefined ? all : all.filter((f) => (hashString(f) >>> 0) % shard.count === shard.index);
  const todo = mine.filter((f) => !store.has(f));
  const summary: IndexSummary = {
    inShard: mine.length,
    alreadyIndexed: mine.length - todo.length,
    added: 0,
    failed: [],
    seconds: 0,
  };
  const size = imageSizeOf(model);
  const absRoot = path.resolve(root);
  const decode = (files: readonly string[]) =>
    Promise.allSettled(files.map((f) => loadImage(path.join(root, f))));
  let next = todo.length > 0 ? decode(todo.slice(0, batchSize)) : undefined;
  for (let start = 0; start < todo.length; start += batchSize) {
    const files = todo.slice(start, start + batchSize);
    const decoded = await (next as ReturnType<typeof decode>);
    // decode the next batch while this one runs through the model
    next =
      start + batchSize < todo.length
        ? decode(todo.slice(start + batchSize, start + 2 * batchSize))
        : undefined;
    const ok: { item: StoreItem; image: RawImage }[] = [];
    decoded.forEach((r, i) => {
      const f = files[i] as string;
      if (r.status === 'fulfilled') ok.push({ item: { id: f, path: f, root: absRoot }, image: r.value });
      else {
        const error = (r.reason as Error)?.message ?? String(r.reason);
        if (options.strict === true) {
          // let the prefetch settle before throwing (no unhandled rejection)
          void next?.catch(() => undefined);
          throw new StoreError('indexImages', f, `cannot read ${path.join(root, f)}: ${error}`, {
            cause: r.reason,
          });
        }
        summary.failed.push({ path: f, error });
      }
    });
    if (ok.length > 0) {
      const emb = tf.tidy(() => {
        const batch = toBatch(
          ok.map((o) => o.image),
          size,
        );
        return model.embedImages(batch, { batchSize });
      });
      const vectors = (await emb.data()) as Float32Array;
      emb.dispose();
      summary.added += await store.add(
        identity,
        ok.map((o) => o.item),
        vectors,
      );
    }
    const done = Math.min(start + batchSize, todo.length);
    options.onProgress?.({
      done,
      total: todo.length,
      added: summary.added,
      failed: summary.failed.length,
      imagesPerSecond: done / ((performance.now() - t0) / 1000),
    });
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/**
 * Captions → the store's `k` nearest images each (captions cleaned as PIR evaluates them).
 * @example
 * ```ts
 * const [hits] = await searchTexts(model, store, ['a harbour with boats beside a long pier'], 10);
 * ```
 */
export async function searchTexts(
  model: RetrievalModel,
  store: VectorStore,
  captions: readonly string[],
  k = 10,
): Promise<SearchHit[][]> {
  if (!Array.isArray(captions) || captions.length === 0 || captions.some((c) => typeof c !== 'string'))
    throw new StoreError('searchTexts', 'captions', 'expected one or more caption strings');
  const emb = model.embedTexts(captions.map((c) => cleanCaption(c, { maxWords: 30 })));
  const q = (await emb.data()) as Float32Array;
  emb.dispose();
  return store.search(identityOf(model), q, k);
}

/** Image files → the store's `k` nearest images each. */
export async function searchImages(
  model: RetrievalModel,
  store: VectorStore,
  files: readonly string[],
  k = 10,
): Promise<SearchHit[][]> {
  if (!Array.isArray(files) || files.length === 0)
    throw new StoreError('searchImages', 'files', 'expected one or more image files');
  const images = await Promise.all(files.map((f) => loadImage(f)));
  const emb = tf.tidy(() => model.embedImages(toBatch(images, imageSizeOf(model))));
  const q = (await emb.data()) as Float32Array;
  emb.dispose();
  return store.search(identityOf(model), q, k);
}
