/**
 * The common last step of every loader: validate the per-image drafts (caption counts, labels, ids) and
 * build the {@link ImageTextDataset}. Internal.
 */

import { DatasetInputError } from '../errors.js';
import { vocabularyWithFixed } from '../labels/label_vocabulary.js';
import { baseName, sceneLabel } from '../labels/scene_label.js';
import type {
  CaptionRecord,
  ImageRecord,
  ImageTextDataset,
  LoadIssue,
  LoadOptions,
  Split,
} from './dataset_types.js';
import { AnnotationError } from './errors.js';

/** One caption as a loader read it. */
export interface CaptionDraft {
  text: string;
  sourceId?: number;
}

/** One image as a loader read it, before validation. */
export interface ImageDraft {
  file: string;
  split: Split;
  /** Where the image's (first) entry is, for messages: `'[17]'`, `'images[3]'`, `'line 12'`. */
  where: string;
  captions: CaptionDraft[];
  sourceId?: number;
  /** The label name the file states (PIR `label_name`), if any. */
  labelName?: string;
  /** The label number the file states (PIR `label`), if any. */
  labelNumber?: number;
}

/** Collects issues for one file. */
export class IssueLog {
  readonly issues: LoadIssue[] = [];
  /**
   * @param file the file the issues are about
   * @param fn the public function that was called (`'loadPirJson'`), the `where` of option errors
   */
  constructor(
    readonly file: string,
    readonly fn: string,
  ) {}

  error(where: string, message: string, image?: string): void {
    this.issues.push({ severity: 'error', file: this.file, where, message, ...(image ? { image } : {}) });
  }

  warn(where: string, message: string, image?: string): void {
    this.issues.push({ severity: 'warning', file: this.file, where, message, ...(image ? { image } : {}) });
  }

  /** Throw an {@link AnnotationError} in strict mode when any error was logged. */
  check(options: LoadOptions): void {
    checkPolicy(options.policy, this.fn);
    if ((options.policy ?? 'strict') === 'strict' && this.issues.some((i) => i.severity === 'error')) {
      throw new AnnotationError(this.file, this.issues);
    }
  }
}

/** Check the `policy` option of `where` (the public function that was called). */
export function checkPolicy(policy: unknown, where: string): void {
  if (policy !== undefined && policy !== 'strict' && policy !== 'lenient') {
    throw new DatasetInputError(
      where,
      'policy',
      `policy must be 'strict' or 'lenient', got ${JSON.stringify(policy)}`,
    );
  }
}

function checkCaptionsPerImage(n: unknown, where: string): void {
  if (n !== undefined && n !== null && (!Number.isInteger(n) || (n as number) < 1)) {
    throw new DatasetInputError(
      where,
      'captionsPerImage',
      `captionsPerImage must be a positive integer or null, got ${String(n)}`,
    );
  }
}

/**
 * Validate drafts and build the dataset. Images with a wrong caption count, a label that cannot be derived,
 * or a label number that contradicts an earlier one are errors (skipped when lenient). Throws in strict mode.
 */
export function buildDataset(
  drafts: readonly ImageDraft[],
  log: IssueLog,
  options: LoadOptions,
): ImageTextDataset {
  checkPolicy(options.policy, log.fn);
  checkCaptionsPerImage(options.captionsPerImage, log.fn);
  const perImage = options.captionsPerImage === undefined ? 5 : options.captionsPerImage;
  const labelOptions = options.unprefixed ? { unprefixed: options.unprefixed } : {};

  const kept: { draft: ImageDraft; label: string }[] = [];
  const numberOf = new Map<string, number>(); // label name → number stated in the file
  const nameOf = new Map<number, string>(); // number → label name
  for (const d of drafts) {
    const n = d.captions.length;
    if (n === 0 || (perImage !== null && n !== perImage)) {
      const want = perImage === null ? 'at least 1' : `${perImage}`;
      log.error(d.where, `has ${n} caption${n === 1 ? '' : 's'}, expected ${want} — image skipped`, d.file);
      continue;
    }
    let derived: string;
    try {
      derived = sceneLabel(d.file, labelOptions);
    } catch (e) {
      log.error(d.where, `${(e as Error).message} — image skipped`, d.file);
      continue;
    }
    const label = d.labelName ?? derived;
    if (d.labelName !== undefined && d.labelName !== derived) {
      log.warn(
        d.where,
        `label_name '${d.labelName}' differs from the file-name label '${derived}'; using '${d.labelName}'`,
        d.file,
      );
    }
    if (d.labelNumber !== undefined) {
      const known = numberOf.get(label);
      const other = nameOf.get(d.labelNumber);
      if (known !== undefined && known !== d.labelNumber) {
        log.error(
          d.where,
          `label '${label}' has number ${d.labelNumber} here but ${known} earlier — image skipped`,
          d.file,
        );
        continue;
      }
      if (other !== undefined && other !== label) {
        log.error(
          d.where,
          `label number ${d.labelNumber} is '${label}' here but '${other}' earlier — image skipped`,
          d.file,
        );
        continue;
      }
      numberOf.set(label, d.labelNumber);
      nameOf.set(d.labelNumber, label);
    }
    kept.push({ draft: d, label });
  }
  log.check(options);

  // the file's label numbers were checked above; ids the caller fixes are checked here
  const vocabulary = vocabularyWithFixed(
    kept.map((k) => k.label),
    options.labelIds ?? Object.fromEntries(numberOf),
    log.fn,
    'labelIds',
  );
  const images: ImageRecord[] = [];
  const captions: CaptionRecord[] = [];
  for (const { draft, label } of kept) {
    const index = images.length;
    const ids: number[] = [];
    for (const c of draft.captions) {
      ids.push(captions.length);
      captions.push({
        index: captions.length,
        text: c.text,
        image: index,
        ...(c.sourceId !== undefined ? { sourceId: c.sourceId } : {}),
      });
    }
    images.push({
      index,
      file: draft.file,
      name: baseName(draft.file),
      split: draft.split,
      label,
      labelId: vocabulary.ids.get(label) as number,
      captions: ids,
      ...(draft.sourceId !== undefined ? { sourceId: draft.sourceId } : {}),
    });
  }
  const captionToImage = new Int32Array(captions.length);
  for (const c of captions) captionToImage[c.index] = c.image;
  return { images, captions, labels: vocabulary.names, captionToImage, issues: log.issues };
}

/** `JSON.stringify` for messages, shortened. */
export function show(x: unknown): string {
  const s = x === undefined ? 'undefined' : JSON.stringify(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The split named by a path's first directory (`'train/x.tif'` → `'train'`), or by a file name. */
export function splitFromPath(path: string): Split | undefined {
  const first = path.split(/[\\/]/)[0];
  if (path.includes('/') || path.includes('\\')) {
    if (first === 'train' || first === 'val' || first === 'test') return first;
  }
  return undefined;
}

/** The split a file name mentions (`rsitmd_train.json` → `'train'`), if exactly one. */
export function splitFromFileName(file: string): Split | undefined {
  const m = baseName(file).match(/(?:^|[_.-])(train|val|test)(?=[_.-]|$)/g) ?? [];
  if (m.length !== 1) return undefined;
  return (m[0] as string).replace(/^[_.-]/, '');
}
