/**
 * `pir index` (embed an archive's images into a store) and `pir search` (captions or images → the store's
 * nearest images), on `@pir/search`'s embedded store.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { loadModel } from '@pir/models/node';
import type { SearchHit } from '@pir/search';
import {
  type IndexSummary,
  identityOf,
  indexImages,
  openStore,
  searchImages,
  searchTexts,
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
}

/** Run `pir search`. @returns one ranked list per query */
export async function searchCommand(
  o: SearchCommandOptions,
): Promise<{ query: string; hits: SearchHit[] }[]> {
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
    return o.queries.map((query, i) => ({ query, hits: lists[i] ?? [] }));
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
    lines.push(
      `${String(h.rank).padStart(5)}  ${h.score.toFixed(4).padStart(6)}  ${file}${w ? ` [${w.x},${w.y} ${w.width}×${w.height}]` : ''}`,
    );
  }
  if (hits.length === 0) lines.push('  (the store is empty)');
  return lines.join('\n');
}
