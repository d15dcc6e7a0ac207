/**
 * PIR JSON (PIR_SPEC §6): `rsitmd_train.json`, `rsicd_test.json`, … as distributed with PIR's code.
 *
 * * train: one entry per caption — `{caption: string, image, image_id, label_name, label}`;
 * * val/test: one entry per image — `{image, caption: string[5]}` (val may carry `label_name`, `label`).
 */
import {
  buildDataset,
  type ImageDraft,
  IssueLog,
  show,
  splitFromFileName,
  splitFromPath,
} from './build_dataset.js';
import type { ImageTextDataset, LoadOptions, Split } from './dataset_types.js';
import { parseJson } from './parse_json.js';

/** Options of {@link loadPirJson}. */
export interface PirJsonOptions extends LoadOptions {
  /**
   * The split of every image. Default: the image path's first directory (`train/…`), else the split the
   * file name names (`rsitmd_val.json`), else an error.
   */
  split?: Split;
}

/**
 * Load a PIR JSON annotation file (either layout, or a mix of both).
 *
 * Per-caption entries of one image are grouped (in order of first appearance; they need not be adjacent);
 * `image_id` must be the same on all of them and unique across images. Labels: `label_name` when given
 * (with a warning if it differs from the file-name label), else the file-name prefix; label numbers in the
 * file become the label ids.
 *
 * @param json the file contents (a string; parsed with line/column errors) or the already parsed array
 * @returns the dataset; `issues` lists everything skipped (lenient) and every warning
 * @throws AnnotationError (strict) listing every bad entry by file, index and image; JsonSyntaxError with
 *   line and column for malformed JSON
 * @example
 * ```ts
 * const ds = loadPirJson(await (await fetch('rsitmd_test.json')).text(), { file: 'rsitmd_test.json' });
 * ds.images.length;          // 452
 * ds.captions.length;        // 2260
 * ds.images[0].label;        // 'parking'
 * ds.captionToImage;         // Int32Array [0, 0, 0, 0, 0, 1, …]
 * ```
 */
export function loadPirJson(json: string | unknown, options: PirJsonOptions = {}): ImageTextDataset {
  const file = options.file ?? 'PIR JSON';
  const log = new IssueLog(file, 'loadPirJson');
  const data = typeof json === 'string' ? parseJson(json, file) : json;
  if (!Array.isArray(data)) {
    log.error(
      'top level',
      `expected an array of entries ({image, caption, …}), got ${data === null ? 'null' : typeof data}` +
        (data !== null && typeof data === 'object' && 'images' in data
          ? ' — this looks like Karpathy JSON: use loadKarpathyJson'
          : ''),
    );
    log.check({ policy: 'strict' });
  }
  const entries = data as unknown[];
  const fileSplit = splitFromFileName(file);
  const drafts = new Map<string, ImageDraft & { perCaption: boolean }>();
  const imageOfId = new Map<number, string>();

  entries.forEach((entry, k) => {
    const where = `[${k}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      log.error(where, `expected an object {image, caption, …}, got ${show(entry)} — entry skipped`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const image = e.image;
    if (typeof image !== 'string' || image.length === 0) {
      log.error(
        where,
        image === undefined
          ? "missing field 'image' — entry skipped"
          : `field 'image' must be a non-empty string, got ${show(image)} — entry skipped`,
      );
      return;
    }
    const caption = e.caption;
    let texts: string[];
    if (caption === undefined) {
      log.error(where, "missing field 'caption' — entry skipped", image);
      return;
    }
    if (typeof caption === 'string') {
      texts = [caption];
    } else if (Array.isArray(caption) && caption.every((c) => typeof c === 'string')) {
      texts = caption as string[];
    } else {
      log.error(
        where,
        `field 'caption' must be a string or an array of strings, got ${show(caption)} — entry skipped`,
        image,
      );
      return;
    }
    const split = options.split ?? splitFromPath(image) ?? fileSplit;
    if (split === undefined) {
      log.error(
        where,
        'no split: the path has no train/val/test directory and the file name names none; pass { split }',
        image,
      );
      return;
    }
    const imageId = e.image_id;
    if (imageId !== undefined && (!Number.isInteger(imageId) || (imageId as number) < 0)) {
      log.error(
        where,
        `field 'image_id' must be a non-negative integer, got ${show(imageId)} — entry skipped`,
        image,
      );
      return;
    }
    const labelName = e.label_name;
    if (labelName !== undefined && (typeof labelName !== 'string' || labelName.length === 0)) {
      log.error(
        where,
        `field 'label_name' must be a non-empty string, got ${show(labelName)} — entry skipped`,
        image,
      );
      return;
    }
    const labelNumber = e.label;
    if (labelNumber !== undefined && (!Number.isInteger(labelNumber) || (labelNumber as number) < 0)) {
      log.error(
        where,
        `field 'label' must be a non-negative integer, got ${show(labelNumber)} — entry skipped`,
        image,
      );
      return;
    }

    const prev = drafts.get(image);
    const perCaption = typeof caption === 'string';
    if (prev) {
      if (!perCaption || !prev.perCaption) {
        log.error(where, `duplicate image: already listed at ${prev.where} — entry skipped`, image);
        return;
      }
      if (imageId !== prev.sourceId) {
        log.error(
          where,
          `image_id ${show(imageId)} differs from ${show(prev.sourceId)} given at ${prev.where} for the same image — entry skipped`,
          image,
        );
        return;
      }
      if (labelName !== prev.labelName || labelNumber !== prev.labelNumber || split !== prev.split) {
        log.error(
          where,
          `label/split differ from the image's first entry at ${prev.where} — entry skipped`,
          image,
        );
        return;
      }
      prev.captions.push({ text: texts[0] as string });
      return;
    }
    if (imageId !== undefined) {
      const other = imageOfId.get(imageId as number);
      if (other !== undefined) {
        log.error(where, `duplicate image_id ${imageId}: already used by '${other}' — entry skipped`, image);
        return;
      }
      imageOfId.set(imageId as number, image);
    }
    drafts.set(image, {
      file: image,
      split,
      where,
      perCaption,
      captions: texts.map((text) => ({ text })),
      ...(imageId !== undefined ? { sourceId: imageId as number } : {}),
      ...(labelName !== undefined ? { labelName: labelName as string } : {}),
      ...(labelNumber !== undefined ? { labelNumber: labelNumber as number } : {}),
    });
  });
  return buildDataset([...drafts.values()], log, options);
}
