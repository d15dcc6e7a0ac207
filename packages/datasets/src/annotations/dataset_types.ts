/**
 * The typed dataset model every annotation loader returns (PIR JSON, Karpathy JSON, caption lists).
 */

/** A split name; the usual ones are `'train' | 'val' | 'test'` (Karpathy files also use `'restval'`). */
export type Split = 'train' | 'val' | 'test' | (string & {});

/** One image of a dataset. */
export interface ImageRecord {
  /** Position in {@link ImageTextDataset.images}. */
  readonly index: number;
  /** The image path as the annotation file gives it (`'train/bridge_942.tif'`, `'00017.jpg'`). */
  readonly file: string;
  /** Base name of `file` (`'bridge_942.tif'`): the key for matching images across files. */
  readonly name: string;
  readonly split: Split;
  /** Scene label (`'bridge'`; RSICD's number-only names are their own label, `'00017'`). */
  readonly label: string;
  /** Index of `label` in {@link ImageTextDataset.labels}. */
  readonly labelId: number;
  /** Indices into {@link ImageTextDataset.captions}, in file order. */
  readonly captions: readonly number[];
  /** The id the file gave the image (PIR `image_id`, Karpathy `imgid`), when it gave one. */
  readonly sourceId?: number;
}

/** One caption of a dataset. */
export interface CaptionRecord {
  /** Position in {@link ImageTextDataset.captions}. */
  readonly index: number;
  /** The caption as written in the file (clean it with `cleanCaption` before tokenising). */
  readonly text: string;
  /** Index of its image in {@link ImageTextDataset.images}. */
  readonly image: number;
  /** The id the file gave the caption (Karpathy `sentid`), when it gave one. */
  readonly sourceId?: number;
}

/** Something wrong with an annotation entry; `error`s are skipped (lenient) or thrown (strict). */
export interface LoadIssue {
  readonly severity: 'error' | 'warning';
  /** The file (or the name given with `file:`) the entry comes from. */
  readonly file: string;
  /** Where in the file: `'entry 17'`, `'images[3].sentences[2]'`, `'line 12'`. */
  readonly where: string;
  /** The image path of the entry, when known. */
  readonly image?: string;
  /** What is wrong and what was done (`'… — image skipped'`). */
  readonly message: string;
}

/** Images, captions, labels and the caption → image map of one or more annotation files. */
export interface ImageTextDataset {
  readonly images: readonly ImageRecord[];
  readonly captions: readonly CaptionRecord[];
  /** The label vocabulary: `labels[labelId]`. */
  readonly labels: readonly string[];
  /** `[nCaptions]` image index of every caption (the map `@pir/metrics` and the batch sampler take). */
  readonly captionToImage: Int32Array;
  /** Every skipped entry and every warning, in file order; empty for a clean file. */
  readonly issues: readonly LoadIssue[];
}

/** How to treat a bad entry: throw (`'strict'`, default) or skip it and report it in `issues`. */
export type LoadPolicy = 'strict' | 'lenient';

/** Options shared by every loader. */
export interface LoadOptions {
  /** The file name used in messages and issues (default: the format's usual name). */
  file?: string;
  /** `'strict'` (default): any bad entry throws an {@link AnnotationError} listing all of them.
   * `'lenient'`: bad entries (and the whole image they belong to) are skipped and listed in `issues`. */
  policy?: LoadPolicy;
  /** Captions every image must have; `null` accepts any positive count. Default 5 (RSICD, RSITMD). */
  captionsPerImage?: number | null;
  /** Label of a file name without a `_` prefix: its own class (default) or one shared class. */
  unprefixed?: 'own-class' | 'shared-class';
  /** Fixed label ids (name → id); by default the ids given in the file (PIR JSON `label`), else sorted. */
  labelIds?: Readonly<Record<string, number>>;
}
