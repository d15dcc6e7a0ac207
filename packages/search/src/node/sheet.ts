/**
 * {@link renderHitsSheet}: a contact sheet of search hits — each hit's image (or tile) with its rank, score and
 * file, and, for a PIR-ITR model, the **belief heat-map**: which of the vision encoder's grid tokens the
 * instruction prior trusted. `hard`: the tokens the hard belief drops are darkened (the K kept stay clear);
 * `soft`: each token tinted by its belief score. PNG via sharp (Node).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { decodeImage, loadImage, type RawImage } from '@pir/datasets';
import type { RetrievalModel } from '@pir/models';
import { beliefGrids } from '../embed.js';
import { type SearchHit, StoreError, type StoreItem } from '../index.js';

/** How the belief heat-map is drawn. */
export type BeliefOverlay = 'hard' | 'soft' | 'none';

/** Options of {@link renderHitsSheet}. */
export interface HitsSheetOptions {
  /** The query, shown as the title. */
  query: string;
  /** The model that made the store (needed for the heat-map; `beliefMap` of PIR-ITR). */
  model?: RetrievalModel;
  /** Heat-map (default `'hard'` when the model has a belief strategy). */
  belief?: BeliefOverlay;
  /** Tiles per row (default 5). */
  columns?: number;
  /** Tile side in pixels (default 192). */
  tile?: number;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The pixels of an item: the whole file, or its tile's window of the scene (with the bands it was indexed with). */
export async function itemImage(item: StoreItem): Promise<RawImage> {
  const file = item.root === undefined ? item.path : path.join(item.root, item.path);
  if (item.window === undefined) return loadImage(file);
  const scene = await decodeImage(new Uint8Array(await fs.readFile(file)), {
    file,
    ...(item.bands === undefined ? {} : { bands: item.bands }),
  });
  const { x, y, width, height } = item.window;
  const c = scene.channels;
  const out = new Uint8Array(width * height * c);
  for (let r = 0; r < height; r++) {
    const from = ((y + r) * scene.width + x) * c;
    out.set(scene.data.subarray(from, from + width * c) as Uint8Array, r * width * c);
  }
  return { data: out, width, height, channels: c };
}

/** An item's pixels as PNG bytes (what `pir serve`'s `GET /image` returns), at most `side` px on its long side. */
export async function itemPng(item: StoreItem, side = 512): Promise<Uint8Array> {
  const img = await itemImage(item);
  const sharp = (await import('sharp')).default;
  const png = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4 },
  })
    .resize(side, side, { fit: 'inside', withoutEnlargement: true })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

/**
 * A contact sheet of `hits` as PNG bytes (see the module doc).
 * @example
 * ```ts
 * const [hits] = await searchTexts(model, store, ['a harbour with boats'], 10);
 * await writeFile('hits.png', await renderHitsSheet(hits, { query: 'a harbour with boats', model }));
 * ```
 */
export async function renderHitsSheet(
  hits: readonly SearchHit[],
  options: HitsSheetOptions,
): Promise<Uint8Array> {
  const where = 'renderHitsSheet';
  const columns = options.columns ?? 5;
  const tile = options.tile ?? 192;
  if (!Number.isInteger(columns) || columns < 1)
    throw new StoreError(where, 'columns', `must be an integer ≥ 1, got ${columns}`);
  if (!Number.isInteger(tile) || tile < 32)
    throw new StoreError(where, 'tile', `must be an integer ≥ 32, got ${tile}`);
  const overlay: BeliefOverlay = options.belief ?? 'hard';
  const sharp = (await import('sharp')).default;
  const label = 34;
  const pad = 8;
  const head = 40;
  const rows = Math.max(1, Math.ceil(hits.length / columns));
  const width = pad + columns * (tile + pad);
  const height = head + rows * (tile + label + pad) + pad;
  const parts: { input: Buffer; left: number; top: number }[] = [];
  let beliefNote = '';
  for (const [i, h] of hits.entries()) {
    const left = pad + (i % columns) * (tile + pad);
    const top = head + Math.floor(i / columns) * (tile + label + pad);
    let img: RawImage;
    try {
      img = await itemImage(h.item);
    } catch (e) {
      throw new StoreError(where, h.item.path, `cannot read the hit's image: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const base = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
      raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4 },
    })
      .resize(tile, tile, { fit: 'fill' })
      .png()
      .toBuffer();
    parts.push({ input: base, left, top });
    const belief =
      overlay === 'none' || options.model === undefined
        ? undefined
        : (await beliefGrids(options.model, [img]))?.[0];
    if (belief !== undefined) {
      const cell = tile / belief.grid;
      const max = Math.max(...belief.scores);
      const rects = belief.scores
        .map((s, j) => {
          const x = (j % belief.grid) * cell;
          const y = Math.floor(j / belief.grid) * cell;
          if (overlay === 'hard')
            return belief.kept[j] === 1
              ? `<rect x="${x + 0.5}" y="${y + 0.5}" width="${cell - 1}" height="${cell - 1}" fill="none" stroke="#3fd16b" stroke-opacity="0.7" stroke-width="1"/>`
              : `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="#000" fill-opacity="0.6"/>`;
          return `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="#ff3b1f" fill-opacity="${(0.65 * s) / max}"/>`;
        })
        .join('');
      parts.push({
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${tile}" height="${tile}">${rects}</svg>`,
        ),
        left,
        top,
      });
      beliefNote =
        overlay === 'hard'
          ? 'belief heat-map: clear = tokens the hard belief keeps, dark = dropped'
          : 'belief heat-map: red = belief score of each token (the strongest red: the highest score)';
    }
    const file = h.item.path + (h.item.window ? ` [${h.item.window.x},${h.item.window.y}]` : '');
    const shown = file.length > 30 ? `…${file.slice(-29)}` : file;
    parts.push({
      input: Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${tile}" height="${label}"><text x="0" y="14" font-family="sans-serif" font-size="13" font-weight="bold" fill="#111">#${h.rank}  ${h.score.toFixed(3)}</text><text x="0" y="29" font-family="sans-serif" font-size="11" fill="#444">${escapeXml(shown)}</text></svg>`,
      ),
      left,
      top: top + tile,
    });
  }
  const title = `“${options.query}”`;
  parts.push({
    input: Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${head}"><text x="${pad}" y="20" font-family="sans-serif" font-size="15" font-weight="bold" fill="#111">${escapeXml(title.length > 110 ? `${title.slice(0, 109)}…` : title)}</text><text x="${pad}" y="35" font-family="sans-serif" font-size="11" fill="#555">${escapeXml(beliefNote || `${hits.length} hits`)}</text></svg>`,
    ),
    left: 0,
    top: 0,
  });
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(parts)
    .png()
    .toBuffer();
  return new Uint8Array(png);
}
