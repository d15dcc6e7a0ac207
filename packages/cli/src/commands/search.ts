/**
 * `pir index` (embed an archive's images, and captions, into a store), `pir search` (captions or images → the
 * store's nearest images; images → its captions) and `pir serve`, on `@pir/search`'s stores (embedded `file:`
 * or `postgres://`).
 */
import { rename, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadModel } from '@pir/models/node';
import type { SearchHit } from '@pir/search';
import {
  type BeliefOverlay,
  createSearchServer,
  FileStore,
  type IndexCaptionsSummary,
  type IndexSummary,
  identityOf,
  indexCaptions,
  indexImages,
  itemPng,
  openStore,
  type PgStore,
  renderHitsSheet,
  searchImages,
  searchTexts,
  serverUrl,
} from '@pir/search/node';
import { CommandOptionError } from './data.js';

/**
 * Images at which `--ann auto` builds the approximate index (an existing one is always extended). Below it an
 * exact search of the store takes a few milliseconds per query (`benchmarks/search_ann.ts`).
 */
export const ANN_AUTO_ROWS = 50_000;

/** Options of {@link indexCommand} (the flags of `pir index`). */
export interface IndexCommandOptions {
  /** The archive's folder (may be left out with `captions`). */
  folder?: string;
  /** An annotation file (RSICD/RSITMD JSON, PIR JSON) or a .txt of captions to store beside the images. */
  captions?: string;
  /** The model directory. */
  model: string;
  /** The store URI (`file:./archive.pirdb`, a folder, or `postgres://…?collection=name`). */
  store: string;
  /** The approximate index: `auto` (default: from {@link ANN_AUTO_ROWS} images), `on`, `off`. */
  ann?: 'auto' | 'on' | 'off';
  batchSize?: number;
  strict?: boolean;
  /** `i/n`: this process's shard (0-based). */
  shard?: string;
  /** Cut TIFF/GeoTIFF scenes into tiles of this side. */
  tile?: number;
  /** Pixels shared by neighbouring tiles. */
  overlap?: number;
  /** GeoTIFF bands as RGB, `'2,1,0'`. */
  bands?: string;
  /** Progress lines (default: on). */
  progress?: (line: string, final: boolean) => void;
}

/** Parse `--shard i/n`. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index >= count)
    throw new CommandOptionError(
      'pir index',
      '--shard',
      `expected i/n with 0 ≤ i < n (e.g. 0/4 … 3/4 for four processes), got '${text}'`,
    );
  return { index, count };
}

/** Parse `--bands 2,1,0`. */
export function parseBands(text: string): number[] {
  const parts = text.split(',').map((t) => t.trim());
  if (parts.length === 0 || !parts.every((t) => /^\d+$/.test(t)))
    throw new CommandOptionError(
      'pir index',
      '--bands',
      `expected 0-based band numbers separated by commas (e.g. 2,1,0), got '${text}'`,
    );
  return parts.map(Number);
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** How a store is named in messages (its folder, or its URI without the password). */
export function storeName(store: FileStore | PgStore): string {
  return store instanceof FileStore ? store.dir : `${store.where} (collection ${store.collection})`;
}

/** What `pir index` did. */
export interface IndexCommandSummary extends IndexSummary {
  store: string;
  captions?: IndexCaptionsSummary;
  /** The approximate index built or extended in this run. */
  ann?: { seconds: number };
}

/** Run `pir index`. @returns the summary (the caller prints it) */
export async function indexCommand(o: IndexCommandOptions): Promise<IndexCommandSummary> {
  if (o.folder === undefined && o.captions === undefined)
    throw new CommandOptionError(
      'pir index',
      '<folder>',
      'give a folder of images, --captions <file>, or both',
    );
  if (o.folder !== undefined) {
    const st = await stat(o.folder).catch(() => undefined);
    if (st === undefined || !st.isDirectory())
      throw new CommandOptionError('pir index', '<folder>', `'${o.folder}' is not a folder of images`);
  }
  if (o.captions !== undefined && (await stat(o.captions).catch(() => undefined))?.isFile() !== true)
    throw new CommandOptionError('pir index', '--captions', `'${o.captions}' is not a file`);
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  if (o.tile === undefined && (o.overlap !== undefined || o.bands !== undefined))
    throw new CommandOptionError(
      'pir index',
      o.overlap !== undefined ? '--overlap' : '--bands',
      'needs --tile <px>',
    );
  const bands = o.bands === undefined ? undefined : parseBands(o.bands);
  const model = await loadModel(o.model);
  try {
    const store = await openStore(o.store, { create: identityOf(model) });
    try {
      const empty: IndexSummary = { inShard: 0, alreadyIndexed: 0, added: 0, failed: [], seconds: 0 };
      const summary: IndexCommandSummary = { ...empty, store: storeName(store) };
      if (o.folder !== undefined)
        Object.assign(
          summary,
          await indexImages({
            model,
            store,
            root: o.folder,
            ...(o.batchSize === undefined ? {} : { batchSize: o.batchSize }),
            ...(o.strict === true ? { strict: true } : {}),
            ...(shard === undefined ? {} : { shard }),
            ...(o.tile === undefined
              ? {}
              : {
                  tile: {
                    size: o.tile,
                    ...(o.overlap === undefined ? {} : { overlap: o.overlap }),
                    ...(bands === undefined ? {} : { bands }),
                  },
                }),
            onProgress: (p) =>
              o.progress?.(
                `indexed ${p.done}/${p.total} · ${p.imagesPerSecond.toFixed(1)} images/s · ETA ${eta((p.total - p.done) / p.imagesPerSecond)}${p.failed > 0 ? ` · ${p.failed} unreadable` : ''}`,
                p.done === p.total,
              ),
          }),
        );
      if (o.captions !== undefined)
        summary.captions = await indexCaptions({
          model,
          store,
          file: o.captions,
          onProgress: (p) => o.progress?.(`captions ${p.done}/${p.total}`, p.done === p.total),
        });
      const ann = o.ann ?? 'auto';
      const images = await store.count('image');
      const has = store instanceof FileStore ? store.indexed().image > 0 : (await store.indexed()).image;
      if (ann === 'on' || (ann === 'auto' && (has || images >= ANN_AUTO_ROWS))) {
        o.progress?.(`building the approximate index over ${images} images…`, false);
        summary.ann = { seconds: (await store.buildIndex()).seconds };
        o.progress?.(`approximate index ready (${summary.ann.seconds.toFixed(1)} s)`, true);
      }
      return summary;
    } finally {
      await store.close();
    }
  } finally {
    model.dispose();
  }
}

/** Options of {@link searchCommand}. */
export interface SearchCommandOptions {
  /** Captions (text → images), or with `image`, image files (image → images). */
  queries: string[];
  image?: boolean;
  model: string;
  store: string;
  k?: number;
  /** With `image`: rank the store's captions instead of its images. */
  captions?: boolean;
  /** Exact search even where the store has an approximate index. */
  exact?: boolean;
  /** Write a contact sheet of each query's hits (PNG): this path, or `name-1.png`, … for several queries. */
  sheet?: string;
  belief?: BeliefOverlay;
}

/** Run `pir search`. @returns one ranked list per query */
export async function searchCommand(
  o: SearchCommandOptions,
): Promise<{ query: string; hits: SearchHit[]; sheet?: string }[]> {
  if (o.queries.length === 0)
    throw new CommandOptionError(
      'pir search',
      '<query>',
      o.image ? 'give one or more image files' : 'give a caption, e.g. pir search "a harbour with boats"',
    );
  if (o.captions === true && o.image !== true)
    throw new CommandOptionError('pir search', '--captions', 'ranks captions for image queries: add --image');
  if (o.captions === true && o.sheet !== undefined)
    throw new CommandOptionError('pir search', '--sheet', 'draws image hits; leave it out with --captions');
  const store = await openStore(o.store);
  const model = await loadModel(o.model);
  try {
    if (store instanceof FileStore && store.annProblem !== undefined) process.emitWarning(store.annProblem);
    const k = o.k ?? 10;
    const exact = o.exact === true ? { exact: true } : {};
    const lists = o.image
      ? await searchImages(model, store, o.queries, k, {
          ...exact,
          kind: o.captions === true ? 'caption' : 'image',
        })
      : await searchTexts(model, store, o.queries, k, exact);
    const out: { query: string; hits: SearchHit[]; sheet?: string }[] = [];
    for (const [i, query] of o.queries.entries()) {
      const hits = lists[i] ?? [];
      if (o.sheet === undefined) {
        out.push({ query, hits });
        continue;
      }
      if (!/\.png$/i.test(o.sheet))
        throw new CommandOptionError(
          'pir search',
          '--sheet',
          `the contact sheet is a PNG file (…/hits.png), got '${o.sheet}'`,
        );
      const file = o.queries.length === 1 ? o.sheet : o.sheet.replace(/\.png$/i, `-${i + 1}.png`);
      const png = await renderHitsSheet(hits, {
        query,
        model,
        ...(o.belief === undefined ? {} : { belief: o.belief }),
      });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, png);
      await rename(tmp, file);
      out.push({ query, hits, sheet: file });
    }
    return out;
  } finally {
    model.dispose();
    await store.close();
  }
}

/** The ranked table of one query's hits (rank, cosine score, the file). */
export function formatHits(query: string, hits: readonly SearchHit[]): string {
  const lines = [`"${query}"`, ' rank   score  file'];
  for (const h of hits) {
    if (h.item.caption !== undefined) {
      lines.push(
        `${String(h.rank).padStart(5)}  ${h.score.toFixed(4).padStart(6)}  "${h.item.caption}"${h.item.of === undefined ? '' : ` (${h.item.of})`}`,
      );
      continue;
    }
    const file = h.item.root === undefined ? h.item.path : path.join(h.item.root, h.item.path);
    const w = h.item.window;
    const b = h.item.bounds;
    lines.push(
      `${String(h.rank).padStart(5)}  ${h.score.toFixed(4).padStart(6)}  ${file}${w ? ` [x ${w.x}, y ${w.y}, ${w.width}×${w.height} px]` : ''}${b ? ` ${b.crs ?? 'no CRS'} (${b.minX.toFixed(1)}, ${b.minY.toFixed(1)}) – (${b.maxX.toFixed(1)}, ${b.maxY.toFixed(1)})` : ''}`,
    );
  }
  if (hits.length === 0) lines.push('  (the store is empty)');
  return lines.join('\n');
}

/** Options of {@link serveCommand} (the flags of `pir serve`). */
export interface ServeCommandOptions {
  model: string;
  store: string;
  port?: number;
  host?: string;
  maxQueue?: number;
}

/** Start `pir serve`. @returns its URL and a function that stops it (and frees the model) */
export async function serveCommand(
  o: ServeCommandOptions,
): Promise<{ url: string; close: () => Promise<void> }> {
  const store = await openStore(o.store);
  const model = await loadModel(o.model);
  const server = createSearchServer({
    model,
    store,
    ...(o.maxQueue === undefined ? {} : { maxQueue: o.maxQueue }),
    imageOf: async (id) => {
      const item = await store.get(id);
      return item === undefined ? undefined : itemPng(item);
    },
  });
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', ok);
    });
  } catch (e) {
    model.dispose();
    await store.close();
    throw new CommandOptionError(
      'pir serve',
      '--port',
      `cannot listen on ${o.host ?? '127.0.0.1'}:${o.port ?? 8080}: ${(e as Error).message}`,
    );
  }
  return {
    url: serverUrl(server),
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => {
          model.dispose();
          void store.close().then(ok, ok);
        });
      }),
  };
}
