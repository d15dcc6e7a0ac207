/**
 * The precomputed caption-list layout of AMFMN/GaLR/SWAN: `{split}_caps.txt` (one caption a line, the
 * captions of one image on consecutive lines) and `{split}_filename.txt` (one file name a line).
 */

import { DatasetInputError } from '../errors.js';
import { buildDataset, type ImageDraft, IssueLog } from './build_dataset.js';
import type { ImageTextDataset, LoadOptions, Split } from './dataset_types.js';

/** Options of {@link loadCaptionLists}; `captionsPerImage` (default 5) fixes how lines are grouped. */
export interface CaptionListOptions extends Omit<LoadOptions, 'file' | 'captionsPerImage'> {
  /** Names for messages. Default `'{split}_caps.txt'` and `'{split}_filename.txt'`. */
  capsFile?: string;
  filenamesFile?: string;
  /** Consecutive caption lines per image. Default 5. */
  captionsPerImage?: number;
}

/**
 * Load a `{split}_caps.txt` / `{split}_filename.txt` pair. Both files may end with a newline (and use CRLF);
 * an empty line elsewhere is an error (a caption cannot be empty; a blank line shifts every later image).
 * The caption count must be exactly `captionsPerImage ×` the file-name count — otherwise the files do not
 * belong together and nothing is loaded (this error is fatal in both policies).
 *
 * @param caps contents of `{split}_caps.txt`
 * @param filenames contents of `{split}_filename.txt`
 * @param split the split of every image
 * @example
 * ```ts
 * const ds = loadCaptionLists(capsText, namesText, 'test');
 * ds.images.length; // 452 (RSITMD)
 * ```
 */
export function loadCaptionLists(
  caps: string,
  filenames: string,
  split: Split,
  options: CaptionListOptions = {},
): ImageTextDataset {
  const capsFile = options.capsFile ?? `${split}_caps.txt`;
  const namesFile = options.filenamesFile ?? `${split}_filename.txt`;
  if (typeof caps !== 'string' || typeof filenames !== 'string') {
    const [argument, seen] = typeof caps !== 'string' ? ['caps', caps] : ['filenames', filenames];
    throw new DatasetInputError(
      'loadCaptionLists',
      argument,
      `loadCaptionLists: expected the contents of ${capsFile} and ${namesFile} as strings, got ${argument} = ${seen === null ? 'null' : typeof seen}`,
    );
  }
  if (typeof split !== 'string' || split.length === 0) {
    throw new DatasetInputError(
      'loadCaptionLists',
      'split',
      `loadCaptionLists: split must be a non-empty string, got ${JSON.stringify(split)}`,
    );
  }
  const perImage = options.captionsPerImage ?? 5;
  if (!Number.isInteger(perImage) || perImage < 1) {
    throw new DatasetInputError(
      'loadCaptionLists',
      'captionsPerImage',
      `loadCaptionLists: captionsPerImage must be a positive integer, got ${perImage}`,
    );
  }
  const capLines = lines(caps);
  const nameLines = lines(filenames).map((s) => s.trim());
  const file = `${capsFile} + ${namesFile}`;
  const log = new IssueLog(file, 'loadCaptionLists');
  if (capLines.length !== nameLines.length * perImage) {
    log.error(
      'whole file',
      `${capsFile} has ${capLines.length} caption lines but ${namesFile} lists ${nameLines.length} images ` +
        `× ${perImage} captions = ${nameLines.length * perImage}; the files do not belong together`,
    );
    log.check({ policy: 'strict' });
  }
  const drafts: ImageDraft[] = [];
  const seen = new Map<string, number>();
  nameLines.forEach((name, k) => {
    const where = `${namesFile} line ${k + 1}`;
    const texts = capLines.slice(k * perImage, (k + 1) * perImage);
    if (name.length === 0) {
      log.error(
        where,
        `empty file name — image and ${capsFile} lines ${k * perImage + 1}–${(k + 1) * perImage} skipped`,
      );
      return;
    }
    const empty = texts.findIndex((t) => t.trim().length === 0);
    if (empty >= 0) {
      log.error(where, `${capsFile} line ${k * perImage + empty + 1} is empty — image skipped`, name);
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      log.error(where, `duplicate image: already listed on line ${first} — image skipped`, name);
      return;
    }
    seen.set(name, k + 1);
    drafts.push({ file: name, split, where, captions: texts.map((text) => ({ text })) });
  });
  const { capsFile: _c, filenamesFile: _f, ...rest } = options;
  return buildDataset(drafts, log, { ...rest, captionsPerImage: perImage });
}

/** Lines of a text file without line terminators; one final empty line (a trailing newline) is dropped. */
function lines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out = body.split(/\r?\n/);
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}
