/**
 * The worker: holds the model and the index, so that embedding never freezes the page.
 *
 * - `init`: the backend (`auto`: WebGPU on a hardware adapter, else wasm with one thread per core when the page
 *   is cross-origin isolated), the model directory from a URL (`loadModel` of `@pir/models`: every file checked
 *   against its manifest, size limits), and the index of that model in IndexedDB (`openIdbStore` of
 *   `@pir/search`; one database per model identity, so switching models never mixes vectors).
 * - `index-files` / `index-sample`: batches of 16 images — decoded (`decodeImage` of `@pir/datasets`: JPEG, PNG,
 *   WebP, TIFF/GeoTIFF), embedded, committed to the index one batch per IndexedDB transaction, with a preview
 *   (the centre crop the model sees, at most {@link PREVIEW} px) in a second database. Images already indexed
 *   are skipped (a reload or a second drop costs nothing); unreadable files are reported and skipped; `cancel`
 *   stops after the batch in flight.
 * - `search-text` / `search-image`: exact top-k over the index (`searchTexts`; an image's stored vector).
 * - `belief`: the belief heat-maps of hits, computed from their previews when first asked for.
 */
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { decodeImage, generateSyntheticImage, type RawImage, SCENE_CLASSES } from '@pir/datasets';
import { loadModel, type RetrievalModel } from '@pir/models';
import { type BackendInfo, initBackend } from '@pir/runtime';
import {
  type BeliefGrid,
  beliefGrids,
  type IdbStore,
  identityOf,
  imageVectors,
  modelImageSize,
  openIdbStore,
  type SearchHit,
  searchTexts,
} from '@pir/search';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type {
  BackendChoice,
  BackendReady,
  Hit,
  IndexReport,
  Ready,
  Reply,
  Request,
  SearchResult,
} from './protocol.js';

/** Images per batch: embedded together, committed together. */
const BATCH = 16;
/** Side of the stored previews, in pixels (smaller images keep their size). */
const PREVIEW = 192;
/** Files larger than this are refused before reading (a decoded image lives in memory whole). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** The seed of the built-in sample set: images the demo model was not trained on. */
const SAMPLE_SEED = 'browser-sample';

const scope = self as unknown as {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent<Request>) => void) | null;
};

let model: RetrievalModel | undefined;
let store: IdbStore | undefined;
let previews: IDBDatabase | undefined;
let cancelled = false;
let busy: Promise<unknown> = Promise.resolve();

function reply(id: number, result: unknown): void {
  scope.postMessage({ type: 'reply', id, ok: true, result } satisfies Reply);
}

function fail(id: number, e: unknown): void {
  const error = e instanceof Error ? e.message : String(e);
  scope.postMessage({ type: 'reply', id, ok: false, error } satisfies Reply);
}

function idb<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, no) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
}

async function openPreviews(name: string): Promise<IDBDatabase> {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore('previews');
  return idb(open);
}

function describe(info: BackendInfo): string {
  if (info.name === 'wasm')
    return `wasm · ${info.simd ? 'SIMD' : 'no SIMD'} · ${info.threads ?? 1} thread${info.threads === 1 ? '' : 's'}`;
  if (info.name === 'webgpu') {
    const a = info.adapter;
    const what =
      a === undefined ? '' : [a.vendor, a.architecture, a.description].filter((s) => s !== '').join(' ');
    return what === '' ? 'webgpu' : `webgpu · ${what}`;
  }
  return info.name;
}

async function init(backend: BackendChoice, threads: number | undefined): Promise<BackendReady> {
  const info = await initBackend({
    backend,
    ...(threads === undefined ? {} : { threads }),
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
  });
  return { backend: describe(info), backendName: info.name, isolated: self.crossOriginIsolated === true };
}

/** Load the model directory at `modelUrl` (absolute) and open its index; the previous model stays on failure. */
async function load(modelUrl: string): Promise<Ready> {
  const url = new URL(modelUrl);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  const next = await loadModel(url.href);
  await store?.close();
  previews?.close();
  model?.dispose();
  model = next;
  const identity = identityOf(model);
  const key = `${identity.name}:${identity.configHash}`;
  store = await openIdbStore(`pir-search:${key}`, { create: identity });
  previews = await openPreviews(`pir-search-previews:${key}`);
  const belief = model.model as { beliefMap?: unknown; noBelief?: boolean };
  return {
    model: {
      name: identity.name,
      dim: identity.dim,
      imageSize: modelImageSize(model),
      hasBelief: typeof belief.beliefMap === 'function' && belief.noBelief !== true,
      location: url.href,
    },
    indexed: await store.count('image'),
  };
}

function ready(): { model: RetrievalModel; store: IdbStore; previews: IDBDatabase } {
  if (model === undefined || store === undefined || previews === undefined)
    throw new Error('no model is loaded: load one first');
  return { model, store, previews };
}

/**
 * The centre crop of `image` (what the model's transform keeps), at most PREVIEW px, as a PNG. The canvases are
 * CPU ones (`willReadFrequently`): for images this small a GPU canvas costs more in uploads than it saves.
 */
async function preview(image: RawImage): Promise<Blob> {
  const { width, height, data } = image;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    rgba[i * 4] = data[j] as number;
    rgba[i * 4 + 1] = data[j + 1] as number;
    rgba[i * 4 + 2] = data[j + 2] as number;
    rgba[i * 4 + 3] = 255;
  }
  const full = new OffscreenCanvas(width, height);
  (full.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D).putImageData(
    new ImageData(rgba, width, height),
    0,
    0,
  );
  const side = Math.min(width, height);
  const out = Math.min(PREVIEW, side);
  const canvas = new OffscreenCanvas(out, out);
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(full, (width - side) / 2, (height - side) / 2, side, side, 0, 0, out, out);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** One image to index: its id (the path), and how to get its pixels. */
interface Source {
  path: string;
  pixels(): Promise<RawImage>;
}

async function index(id: number, sources: Source[]): Promise<IndexReport> {
  const s = ready();
  const identity = identityOf(s.model);
  cancelled = false;
  const t0 = performance.now();
  const report: IndexReport = {
    total: sources.length,
    done: 0,
    added: 0,
    skipped: 0,
    failed: [],
    imagesPerSecond: 0,
    seconds: 0,
    cancelled: false,
    indexed: await s.store.count('image'),
    phases: { decodeMs: 0, embedMs: 0, previewMs: 0, storeMs: 0 },
  };
  const phases = report.phases;
  const progress = () => {
    report.seconds = (performance.now() - t0) / 1000;
    report.imagesPerSecond = report.seconds > 0 ? report.added / report.seconds : 0;
    scope.postMessage({ type: 'progress', id, ...report });
  };
  progress();
  const seen = new Set<string>();
  /** Read and decode the images of the batch at `start` that are not indexed yet, all at once. */
  const decode = async (start: number) => {
    const batch = sources.slice(start, start + BATCH).filter((src) => {
      if (seen.has(src.path)) return false; // the same path twice in one drop
      seen.add(src.path);
      return true;
    });
    const fresh = new Set(await s.store.missing(batch.map((b) => b.path)));
    const read = await Promise.all(
      batch
        .filter((src) => fresh.has(src.path))
        .map(async (src) => {
          try {
            return { path: src.path, image: await src.pixels() };
          } catch (e) {
            return { path: src.path, error: e instanceof Error ? e.message : String(e) };
          }
        }),
    );
    return { skipped: batch.length - fresh.size, read };
  };
  // the next batch is read and decoded (createImageBitmap decodes off this thread) while this one is embedded
  let next = sources.length > 0 ? decode(0) : undefined;
  for (let start = 0; start < sources.length; start += BATCH) {
    // let a `cancel` message in between batches
    await new Promise((r) => setTimeout(r, 0));
    if (cancelled) {
      report.cancelled = true;
      break;
    }
    let t = performance.now();
    const { skipped, read } = await (next as ReturnType<typeof decode>);
    phases.decodeMs += performance.now() - t;
    next = start + BATCH < sources.length ? decode(start + BATCH) : undefined;
    report.skipped += skipped;
    const items: { path: string; image: RawImage }[] = [];
    for (const r of read) {
      if (r.image !== undefined) items.push({ path: r.path, image: r.image });
      else report.failed.push({ path: r.path, error: r.error as string });
    }
    if (items.length > 0) {
      // previews are encoded asynchronously while the model runs
      const previewing = Promise.all(items.map((it) => preview(it.image)));
      t = performance.now();
      const vectors = await imageVectors(
        s.model,
        items.map((it) => it.image),
      );
      phases.embedMs += performance.now() - t;
      t = performance.now();
      const blobs = await previewing;
      phases.previewMs += performance.now() - t;
      t = performance.now();
      // previews first: an item in the index always has its preview (a crash in between leaves an unused
      // preview, which the next run overwrites)
      const tx = s.previews.transaction('previews', 'readwrite');
      items.forEach((it, i) => {
        tx.objectStore('previews').put(blobs[i], it.path);
      });
      await new Promise<void>((ok, no) => {
        tx.oncomplete = () => ok();
        tx.onerror = () => no(tx.error);
        tx.onabort = () => no(tx.error ?? new Error('the preview transaction was aborted'));
      });
      report.added += await s.store.add(
        identity,
        items.map((it) => ({ id: it.path, path: it.path })),
        vectors,
      );
      phases.storeMs += performance.now() - t;
    }
    report.done = Math.min(sources.length, start + BATCH);
    report.indexed = await s.store.count('image');
    progress();
  }
  // a cancelled run leaves the batch read ahead unused
  await next?.catch(() => undefined);
  report.indexed = await s.store.count('image');
  report.seconds = (performance.now() - t0) / 1000;
  report.imagesPerSecond = report.seconds > 0 ? report.added / report.seconds : 0;
  return report;
}

function fileSource(file: File, path: string): Source {
  return {
    path,
    async pixels() {
      if (file.size > MAX_FILE_BYTES)
        throw new Error(`${path}: ${file.size} bytes, more than the page reads (${MAX_FILE_BYTES} bytes)`);
      const bytes = new Uint8Array(await file.arrayBuffer());
      return decodeImage(bytes, { file: path });
    },
  };
}

/** The built-in sample set: `count` synthetic scenes (`@pir/datasets`), every class in turn, at the model's size. */
function sampleSources(count: number): Source[] {
  const s = ready();
  const size = Math.max(32, Math.min(512, 32 * Math.round(modelImageSize(s.model) / 32)));
  return Array.from({ length: count }, (_, i) => ({
    path: `sample/${SCENE_CLASSES[i % SCENE_CLASSES.length]}_${i}.png`,
    async pixels() {
      return generateSyntheticImage(i, { seed: SAMPLE_SEED, size, count }).pixels;
    },
  }));
}

async function previewsOf(ids: readonly string[]): Promise<(Blob | null)[]> {
  const s = ready();
  const tx = s.previews.transaction('previews', 'readonly');
  return Promise.all(
    ids.map(async (i) => ((await idb(tx.objectStore('previews').get(i))) as Blob | undefined) ?? null),
  );
}

async function hitsOf(hits: SearchHit[], t0: number, k: number, drop?: string): Promise<SearchResult> {
  const s = ready();
  const kept = hits.filter((h) => h.item.id !== drop).slice(0, k);
  const thumbs = await previewsOf(kept.map((h) => h.item.id));
  return {
    hits: kept.map(
      (h, i): Hit => ({
        rank: i + 1,
        score: h.score,
        itemId: h.item.id,
        path: h.item.path,
        thumb: thumbs[i] ?? null,
      }),
    ),
    searched: await s.store.count('image'),
    ms: performance.now() - t0,
  };
}

const beliefCache = new Map<string, BeliefGrid | null>();

async function beliefs(ids: readonly string[]): Promise<(BeliefGrid | null)[]> {
  const s = ready();
  const todo = ids.filter((i) => !beliefCache.has(i));
  if (todo.length > 0) {
    const blobs = await previewsOf(todo);
    const images: RawImage[] = [];
    const which: string[] = [];
    for (const [i, blob] of blobs.entries()) {
      if (blob === null) beliefCache.set(todo[i] as string, null);
      else {
        images.push(await decodeImage(new Uint8Array(await blob.arrayBuffer()), { file: todo[i] as string }));
        which.push(todo[i] as string);
      }
    }
    if (images.length > 0) {
      const grids = await beliefGrids(s.model, images);
      which.forEach((i, j) => {
        beliefCache.set(i, grids?.[j] ?? null);
      });
    }
  }
  return ids.map((i) => beliefCache.get(i) ?? null);
}

async function handle(req: Request): Promise<unknown> {
  switch (req.type) {
    case 'init':
      return init(req.backend, req.threads);
    case 'load':
      beliefCache.clear();
      return load(req.modelUrl);
    case 'index-files':
      return index(
        req.id,
        req.files.map((f) => fileSource(f.file, f.path)),
      );
    case 'index-sample':
      return index(req.id, sampleSources(req.count));
    case 'search-text': {
      const s = ready();
      const t0 = performance.now();
      const [hits] = await searchTexts(s.model, s.store, [req.text], req.k);
      return hitsOf(hits ?? [], t0, req.k);
    }
    case 'search-image': {
      const s = ready();
      const t0 = performance.now();
      const v = s.store.vector(req.itemId);
      if (v === undefined) throw new Error(`${req.itemId} is not in the index`);
      const [hits] = await s.store.search(identityOf(s.model), v, req.k + 1, { kind: 'image' });
      return hitsOf(hits ?? [], t0, req.k, req.itemId);
    }
    case 'belief':
      return beliefs(req.itemIds);
    case 'clear': {
      const s = ready();
      const identity = identityOf(s.model);
      const key = `${identity.name}:${identity.configHash}`;
      await s.store.destroy();
      s.previews.close();
      await idb(indexedDB.deleteDatabase(`pir-search-previews:${key}`) as unknown as IDBRequest<unknown>);
      beliefCache.clear();
      store = await openIdbStore(`pir-search:${key}`, { create: identity });
      previews = await openPreviews(`pir-search-previews:${key}`);
      return { indexed: 0 };
    }
    case 'cancel':
      return undefined;
  }
}

scope.onmessage = (e) => {
  const req = e.data;
  if (req.type === 'cancel') {
    cancelled = true;
    reply(req.id, undefined);
    return;
  }
  // one request at a time, in order (an index run and a search never interleave inside the model)
  busy = busy.then(() =>
    handle(req).then(
      (r) => reply(req.id, r),
      (err) => fail(req.id, err),
    ),
  );
};
