/**
 * Karpathy JSON (`dataset_rsitmd.json`, CLIP-style repositories):
 * `{images: [{filename, split, imgid, sentids, sentences: [{raw, tokens, imgid, sentid}]}]}`.
 */
import { buildDataset, type ImageDraft, IssueLog, show } from './build_dataset.js';
import type { ImageTextDataset, LoadOptions, Split } from './dataset_types.js';
import { parseJson } from './parse_json.js';

/** Options of {@link loadKarpathyJson}. */
export interface KarpathyOptions extends LoadOptions {
  /** Keep only these splits (e.g. `['train', 'restval']`). Default: all. Others are not issues. */
  splits?: readonly Split[];
  /** Prefix image files with `filepath` when an image has one (`'train/bridge_942.tif'`). Default false. */
  useFilepath?: boolean;
}

/**
 * Load a Karpathy-layout JSON file. Captions are the `raw` sentences (clean them with `cleanCaption`);
 * `imgid` and `sentid` become `sourceId`s and must be unique; each sentence's `imgid` must be its image's,
 * and `sentids` must list the sentences' ids.
 *
 * @param json the file contents (string) or the parsed object
 * @throws AnnotationError (strict) naming `images[i]` / `images[i].sentences[j]` and the image file
 * @example
 * ```ts
 * const ds = loadKarpathyJson(text, { file: 'dataset_rsitmd.json', splits: ['test'] });
 * ds.images[0].split; // 'test'
 * ```
 */
export function loadKarpathyJson(json: string | unknown, options: KarpathyOptions = {}): ImageTextDataset {
  const file = options.file ?? 'Karpathy JSON';
  const log = new IssueLog(file, 'loadKarpathyJson');
  const data = typeof json === 'string' ? parseJson(json, file) : json;
  const images = (data as { images?: unknown } | null)?.images;
  if (data === null || typeof data !== 'object' || !Array.isArray(images)) {
    log.error(
      'top level',
      Array.isArray(data)
        ? 'expected {images: [...]}, got an array — this looks like PIR JSON: use loadPirJson'
        : "expected an object with an 'images' array",
    );
    log.check({ policy: 'strict' });
  }
  const keep = options.splits ? new Set<string>(options.splits) : undefined;
  const drafts: ImageDraft[] = [];
  const seenImgid = new Map<number, string>();
  const seenSentid = new Map<number, string>();
  const seenFile = new Map<string, string>();

  (images as unknown[]).forEach((entry, k) => {
    const where = `images[${k}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      log.error(
        where,
        `expected an object {filename, split, sentences, …}, got ${show(entry)} — image skipped`,
      );
      return;
    }
    const e = entry as Record<string, unknown>;
    const filename = e.filename;
    if (typeof filename !== 'string' || filename.length === 0) {
      log.error(
        where,
        filename === undefined
          ? "missing field 'filename' — image skipped"
          : `field 'filename' must be a non-empty string, got ${show(filename)} — image skipped`,
      );
      return;
    }
    const filepath = e.filepath;
    const path =
      options.useFilepath && typeof filepath === 'string' && filepath ? `${filepath}/${filename}` : filename;
    const split = e.split;
    if (typeof split !== 'string' || split.length === 0) {
      log.error(
        where,
        split === undefined
          ? "missing field 'split' — image skipped"
          : `field 'split' must be a string, got ${show(split)} — image skipped`,
        path,
      );
      return;
    }
    if (keep && !keep.has(split)) return;
    const imgid = e.imgid;
    if (imgid !== undefined && (!Number.isInteger(imgid) || (imgid as number) < 0)) {
      log.error(
        where,
        `field 'imgid' must be a non-negative integer, got ${show(imgid)} — image skipped`,
        path,
      );
      return;
    }
    const sentences = e.sentences;
    if (!Array.isArray(sentences)) {
      log.error(
        where,
        sentences === undefined
          ? "missing field 'sentences' — image skipped"
          : `field 'sentences' must be an array, got ${show(sentences)} — image skipped`,
        path,
      );
      return;
    }
    const captions: { text: string; sourceId?: number }[] = [];
    let bad = false;
    sentences.forEach((s, j) => {
      const sw = `${where}.sentences[${j}]`;
      const raw = (s as Record<string, unknown> | null)?.raw;
      if (typeof raw !== 'string') {
        log.error(
          sw,
          raw === undefined
            ? "missing field 'raw' — image skipped"
            : `field 'raw' must be a string, got ${show(raw)} — image skipped`,
          path,
        );
        bad = true;
        return;
      }
      const sent = s as Record<string, unknown>;
      if (sent.imgid !== undefined && imgid !== undefined && sent.imgid !== imgid) {
        log.error(
          sw,
          `sentence imgid ${show(sent.imgid)} is not its image's imgid ${imgid} — image skipped`,
          path,
        );
        bad = true;
        return;
      }
      const sentid = sent.sentid;
      if (sentid !== undefined) {
        if (!Number.isInteger(sentid) || (sentid as number) < 0) {
          log.error(
            sw,
            `field 'sentid' must be a non-negative integer, got ${show(sentid)} — image skipped`,
            path,
          );
          bad = true;
          return;
        }
        const other = seenSentid.get(sentid as number);
        if (other !== undefined) {
          log.error(sw, `duplicate sentid ${sentid}: already used at ${other} — image skipped`, path);
          bad = true;
          return;
        }
      }
      captions.push({ text: raw, ...(sentid !== undefined ? { sourceId: sentid as number } : {}) });
    });
    if (bad) return;
    const sentids = e.sentids;
    if (sentids !== undefined) {
      const ids = captions.map((c) => c.sourceId);
      if (!Array.isArray(sentids) || sentids.length !== ids.length || sentids.some((v, j) => v !== ids[j])) {
        log.error(
          where,
          `sentids ${show(sentids)} do not match the sentences' sentid values ${show(ids)} — image skipped`,
          path,
        );
        return;
      }
    }
    if (imgid !== undefined) {
      const other = seenImgid.get(imgid as number);
      if (other !== undefined) {
        log.error(where, `duplicate imgid ${imgid}: already used at ${other} — image skipped`, path);
        return;
      }
    }
    const key = `${split}\u0000${path}`;
    const otherFile = seenFile.get(key);
    if (otherFile !== undefined) {
      log.error(
        where,
        `duplicate image: '${path}' (split ${split}) already listed at ${otherFile} — image skipped`,
        path,
      );
      return;
    }
    seenFile.set(key, where);
    if (imgid !== undefined) seenImgid.set(imgid as number, where);
    captions.forEach((c, j) => {
      if (c.sourceId !== undefined) seenSentid.set(c.sourceId, `${where}.sentences[${j}]`);
    });
    drafts.push({
      file: path,
      split,
      where,
      captions,
      ...(imgid !== undefined ? { sourceId: imgid as number } : {}),
    });
  });
  return buildDataset(drafts, log, options);
}
