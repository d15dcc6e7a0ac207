/**
 * `pir index` (embed an archive's images into a store) and `pir search` (captions or images → the store's
 * nearest images), on `@pir/search`'s embedded store.
 */
import { rename, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadModel } from '@pir/models/node';
import type { SearchHit } from '@pir/search';
import {
  type BeliefOverlay,
  createSearchServer,
  type IndexSummary,
  identityOf,
  indexImages,
  itemPng,
  openStore,
  renderHitsSheet,
  searchImages,
  searchTexts,
  serverUrl,
} from '@pir/search/node';
import { CommandOptionError } from './data.js';

/** Options of {@link indexCommand} (the flags of `pir index`). */
export interface IndexCommandOptions {
  /** The archive's folder. */
  folder: string;
  /** The model directory. */
  model: string;
  /** The store URI (`file:./archive.pirdb` or a folder). */
  store: string;
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

/** Run `pir index`. @returns the summary (the caller prints it) */
export async function indexCommand(o: IndexCommandOptions): Promise<IndexSummary & { store: string }> {
  const st = await stat(o.folder).catch(() => undefined);
  if (st === undefined || !st.isDirectory())
    throw new CommandOptionError('pir index', '<folder>', `'${o.folder}' is not a folder of images`);
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
    const summary = await indexImages({
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
    });
    return { ...summary, store: store.dir };
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
  const store = await openStore(o.store);
  const model = await loadModel(o.model);
  try {
    const k = o.k ?? 10;
    const lists = o.image
      ? await searchImages(model, store, o.queries, k)
      : await searchTexts(model, store, o.queries, k);
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
  }
}

/** The ranked table of one query's hits (rank, cosine score, the file). */
export function formatHits(query: string, hits: readonly SearchHit[]): string {
  const lines = [`"${query}"`, ' rank   score  file'];
  for (const h of hits) {
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
          ok();
        });
      }),
  };
}
