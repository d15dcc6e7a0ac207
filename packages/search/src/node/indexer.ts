/**
 * {@link indexImages}: embed every image of an archive into a store — streaming (images decoded one batch
 * ahead of the model), resumable and idempotent (what the store holds is skipped; each batch is committed
 * atomically, so a killed run loses at most one batch and a rerun completes it), shardable (`shard: {index,
 * count}` takes the images whose id hashes to `index`: n processes fill one store without overlap), strict or
 * lenient about unreadable files (lenient: every failure reported, nothing silently dropped).
 * {@link searchImages}: image files → the store's nearest images (captions: `searchTexts`, browser-safe).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  decodeImage,
  type GeoTiffInfo,
  geoTiffInfo,
  loadImage,
  type RawImage,
  readAnnotationFile,
} from '@pir/datasets';
import { cleanCaption } from '@pir/datasets/captions';
import type { RetrievalModel } from '@pir/models';
import { hashString } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { identityOf, imageBatch, modelImageSize } from '../embed.js';
import {
  checkIdentity,
  type GeoBounds,
  type PixelWindow,
  type SearchHit,
  type SearchOptions,
  StoreError,
  type StoreItem,
  type VectorStore,
} from '../index.js';

/** Image files the indexer takes (by extension, case-insensitive). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.bmp'] as const;

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

/** Cutting GeoTIFF scenes into tiles (see {@link IndexImagesOptions.tile}). */
export interface TileOptions {
  /** Tile side in pixels (e.g. 224, or the model's input size). */
  size: number;
  /** Pixels shared by neighbouring tiles (default 0; < size). */
  overlap?: number;
  /** GeoTIFF bands to compose as RGB, 0-based (as `decodeImage` of `@pir/datasets`; default the first 3). */
  bands?: readonly number[];
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
  /** Images (or tiles) per forward pass and per committed batch (default 32). */
  batchSize?: number;
  /** Stop at the first unreadable image (default false: report every one and go on). */
  strict?: boolean;
  /** This process's part of the archive: images whose path hashes to `index` modulo `count`. */
  shard?: { index: number; count: number };
  /**
   * Cut TIFF / GeoTIFF files into tiles of `size` px (`overlap` shared; the last row and column of tiles
   * aligned to the scene's edge, so every pixel is covered); each tile is an item `path#x,y,w,h` with its
   * pixel window and, for a georeferenced file, its bounds on the ground. Other formats stay whole.
   */
  tile?: TileOptions;
  /** Called after each committed batch, and at the end. */
  onProgress?: (p: IndexProgress) => void;
}

/** Progress of {@link indexImages}. */
export interface IndexProgress {
  /** Files handled so far in this run (indexed, skipped or failed). */
  done: number;
  /** Files in this run's shard. */
  total: number;
  /** Items (images or tiles) added. */
  added: number;
  /** Unreadable files. */
  failed: number;
  /** Items added per second in this run. */
  imagesPerSecond: number;
}

/** What {@link indexImages} did. */
export interface IndexSummary {
  /** Files in this run's shard. */
  inShard: number;
  /** Items (images or tiles) already in the store before this run (skipped). */
  alreadyIndexed: number;
  /** Items added. */
  added: number;
  /** Unreadable files: path and why. */
  failed: { path: string; error: string }[];
  seconds: number;
}

function checkInt(name: string, x: number, min: number): number {
  if (!Number.isInteger(x) || x < min)
    throw new StoreError('indexImages', name, `must be an integer ≥ ${min}, got ${x}`);
  return x;
}

/**
 * The tile windows of a `width` × `height` scene: a grid of `size` tiles with stride `size − overlap`, the last
 * row and column moved to end at the scene's edge (a scene smaller than `size` is one window, itself).
 */
export function tileWindows(width: number, height: number, size: number, overlap = 0): PixelWindow[] {
  const stride = size - overlap;
  const starts = (n: number): number[] => {
    if (n <= size) return [0];
    const out: number[] = [];
    for (let p = 0; p + size < n; p += stride) out.push(p);
    out.push(n - size);
    return [...new Set(out)];
  };
  const w = Math.min(size, width);
  const h = Math.min(size, height);
  return starts(height).flatMap((y) => starts(width).map((x) => ({ x, y, width: w, height: h })));
}

/** Pixels of `win` from an interleaved image. */
function crop(im: RawImage, win: PixelWindow): RawImage {
  const c = im.channels;
  const out = new (im.data.constructor as typeof Uint8Array)(win.width * win.height * c);
  for (let r = 0; r < win.height; r++) {
    const from = ((win.y + r) * im.width + win.x) * c;
    out.set(im.data.subarray(from, from + win.width * c) as Uint8Array, r * win.width * c);
  }
  return { data: out, width: win.width, height: win.height, channels: c };
}

/** The EPSG code a GeoTIFF's keys name (projected first), as `EPSG:<code>`, or null. */
function crsOf(keys: Record<string, unknown> | null): string | null {
  for (const k of ['ProjectedCSTypeGeoKey', 'GeographicTypeGeoKey']) {
    const v = keys?.[k];
    if (typeof v === 'number' && v > 0 && v !== 32767) return `EPSG:${v}`;
  }
  return null;
}

/** A window's box on the ground from the scene's origin (upper-left corner) and pixel size. */
function boundsOf(info: GeoTiffInfo, win: PixelWindow): GeoBounds | undefined {
  const [x0, y0] = info.origin ?? [];
  const [rx, ry] = info.resolution ?? [];
  if (![x0, y0, rx, ry].every((v) => Number.isFinite(v))) return undefined;
  const xs = [(x0 as number) + win.x * (rx as number), (x0 as number) + (win.x + win.width) * (rx as number)];
  const ys = [
    (y0 as number) + win.y * (ry as number),
    (y0 as number) + (win.y + win.height) * (ry as number),
  ];
  return {
    crs: crsOf(info.geoKeys),
    minX: Math.min(...xs),
    maxX: Math.max(...xs),
    minY: Math.min(...ys),
    maxY: Math.max(...ys),
  };
}

const isTiff = (f: string) => /\.tiff?$/i.test(f);

/** What one file contributes: items still to embed (with their pixels) and how many were already stored. */
interface FileWork {
  pending: { item: StoreItem; image: RawImage }[];
  already: number;
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
  const tile = options.tile;
  if (tile !== undefined) {
    checkInt('tile.size', tile.size, 1);
    const overlap = tile.overlap ?? 0;
    if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tile.size)
      throw new StoreError(
        'indexImages',
        'tile.overlap',
        `overlap must be an integer in [0, ${tile.size}), got ${overlap}`,
      );
  }
  const all = options.files ?? (await listImages(root));
  // shard of an image: FNV-1a of its relative path, unsigned, modulo the count (the same in every process)
  const mine =
    shard === undefined ? all : all.filter((f) => (hashString(f) >>> 0) % shard.count === shard.index);
  const summary: IndexSummary = { inShard: mine.length, alreadyIndexed: 0, added: 0, failed: [], seconds: 0 };
  const size = modelImageSize(model);
  const absRoot = path.resolve(root);

  /** Read one file into work (nothing decoded when the store holds all of it). */
  const prepare = async (f: string): Promise<FileWork> => {
    const full = path.join(root, f);
    if (tile === undefined || !isTiff(f)) {
      if ((await store.missing([f])).length === 0) return { pending: [], already: 1 };
      return {
        pending: [{ item: { id: f, path: f, root: absRoot }, image: await loadImage(full) }],
        already: 0,
      };
    }
    const bytes = new Uint8Array(await fs.readFile(full));
    const info = await geoTiffInfo(bytes, full);
    const wins = tileWindows(info.width, info.height, tile.size, tile.overlap ?? 0);
    const items = wins.map((w) => {
      const b = boundsOf(info, w);
      return {
        id: `${f}#${w.x},${w.y},${w.width},${w.height}`,
        path: f,
        root: absRoot,
        window: w,
        ...(b === undefined ? {} : { bounds: b }),
        ...(tile.bands === undefined ? {} : { bands: [...tile.bands] }),
      } as StoreItem;
    });
    const absent = new Set(await store.missing(items.map((it) => it.id)));
    const todo = items.filter((it) => absent.has(it.id));
    if (todo.length === 0) return { pending: [], already: items.length };
    const scene = await decodeImage(bytes, {
      file: full,
      ...(tile.bands === undefined ? {} : { bands: tile.bands }),
    });
    return {
      pending: todo.map((it) => ({ item: it, image: crop(scene, it.window as PixelWindow) })),
      already: items.length - todo.length,
    };
  };

  let queue: { item: StoreItem; image: RawImage }[] = [];
  let filesDone = 0;
  const report = () =>
    options.onProgress?.({
      done: filesDone,
      total: mine.length,
      added: summary.added,
      failed: summary.failed.length,
      imagesPerSecond: summary.added / Math.max(1e-9, (performance.now() - t0) / 1000),
    });
  const flush = async (n: number) => {
    while (queue.length >= n && queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      queue = queue.slice(batch.length);
      const emb = tf.tidy(() => {
        const x = imageBatch(
          batch.map((o) => o.image),
          size,
        );
        return model.embedImages(x, { batchSize });
      });
      const vectors = (await emb.data()) as Float32Array;
      emb.dispose();
      summary.added += await store.add(
        identity,
        batch.map((o) => o.item),
        vectors,
      );
      report();
    }
  };
  // one file read and decoded ahead of the model
  const settle = (f: string) =>
    prepare(f).then(
      (w) => ({ ok: true as const, w }),
      (e: unknown) => ({ ok: false as const, e }),
    );
  let next = mine.length > 0 ? settle(mine[0] as string) : undefined;
  for (let i = 0; i < mine.length; i++) {
    const f = mine[i] as string;
    const r = await (next as ReturnType<typeof settle>);
    next = i + 1 < mine.length ? settle(mine[i + 1] as string) : undefined;
    if (!r.ok) {
      const error = (r.e as Error)?.message ?? String(r.e);
      if (options.strict === true) {
        await next; // let the read ahead settle (no stray rejection)
        throw new StoreError('indexImages', f, `cannot read ${path.join(root, f)}: ${error}`, { cause: r.e });
      }
      summary.failed.push({ path: f, error });
    } else {
      summary.alreadyIndexed += r.w.already;
      queue.push(...r.w.pending);
    }
    filesDone = i + 1;
    await flush(batchSize);
  }
  await flush(1);
  report();
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/** Options of {@link indexCaptions}. */
export interface IndexCaptionsOptions {
  model: RetrievalModel;
  store: VectorStore;
  /**
   * An annotation file: RSICD/RSITMD/Karpathy JSON or PIR JSON (`@pir/datasets`' `readAnnotationFile`), or a
   * text file with one caption per line (`.txt`).
   */
  file: string;
  /** Captions per forward pass and per committed batch (default 256). */
  batchSize?: number;
  /** Called after each committed batch. */
  onProgress?: (p: { done: number; total: number; added: number }) => void;
}

/** What {@link indexCaptions} did. */
export interface IndexCaptionsSummary {
  /** Captions in the file. */
  captions: number;
  alreadyIndexed: number;
  added: number;
  /** Entries of a JSON file that were skipped (bad entries, as `@pir/datasets` reports them). */
  skipped: string[];
  seconds: number;
}

/**
 * Embed the captions of an annotation file into the store (items `file#n` with the caption's text and, for
 * an annotation file, the image it describes), so that an image query can rank them
 * (`searchImages(…, { kind: 'caption' })`, `pir search --image x.png --captions`). Resumable and idempotent
 * as {@link indexImages}: captions the store holds are skipped.
 */
export async function indexCaptions(options: IndexCaptionsOptions): Promise<IndexCaptionsSummary> {
  const t0 = performance.now();
  const { model, store, file } = options;
  const where = 'indexCaptions';
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new StoreError(where, 'batchSize', `must be an integer ≥ 1, got ${batchSize}`);
  const identity = identityOf(model);
  if (store.identity !== undefined) checkIdentity(where, store.identity, identity);
  const name = path.basename(file);
  const root = path.dirname(path.resolve(file));
  const skipped: string[] = [];
  let entries: { text: string; of?: string }[];
  if (/\.txt$/i.test(file)) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      throw new StoreError(where, 'file', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
    entries = text
      .split(/\r?\n/)
      .map((t) => t.trim())
      .filter((t) => t !== '')
      .map((t) => ({ text: t }));
  } else {
    const ds = await readAnnotationFile(file, { policy: 'lenient', captionsPerImage: null });
    for (const issue of ds.issues)
      if (issue.severity === 'error') skipped.push(`${issue.where}: ${issue.message}`);
    entries = ds.captions.map((c) => ({ text: c.text, of: ds.images[c.image]?.file as string }));
  }
  const items: StoreItem[] = entries.map((e, i) => ({
    id: `${name}#${i}`,
    path: name,
    root,
    caption: e.text,
    ...(e.of === undefined ? {} : { of: e.of }),
  }));
  const todo = new Set(await store.missing(items.map((it) => it.id)));
  const pending = items.filter((it) => todo.has(it.id));
  const summary: IndexCaptionsSummary = {
    captions: items.length,
    alreadyIndexed: items.length - pending.length,
    added: 0,
    skipped,
    seconds: 0,
  };
  for (let s = 0; s < pending.length; s += batchSize) {
    const batch = pending.slice(s, s + batchSize);
    const emb = model.embedTexts(batch.map((it) => cleanCaption(it.caption as string, { maxWords: 30 })));
    const vectors = (await emb.data()) as Float32Array;
    emb.dispose();
    summary.added += await store.add(identity, batch, vectors);
    options.onProgress?.({
      done: Math.min(pending.length, s + batchSize),
      total: pending.length,
      added: summary.added,
    });
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/**
 * Image files → the store's `k` nearest images each, or with `{ kind: 'caption' }` its nearest captions (a
 * store that holds captions: {@link indexCaptions}).
 */
export async function searchImages(
  model: RetrievalModel,
  store: VectorStore,
  files: readonly string[],
  k = 10,
  options: SearchOptions = {},
): Promise<SearchHit[][]> {
  if (!Array.isArray(files) || files.length === 0)
    throw new StoreError('searchImages', 'files', 'expected one or more image files');
  const images = await Promise.all(files.map((f) => loadImage(f)));
  const emb = tf.tidy(() => model.embedImages(imageBatch(images, modelImageSize(model))));
  const q = (await emb.data()) as Float32Array;
  emb.dispose();
  return store.search(identityOf(model), q, k, options);
}
