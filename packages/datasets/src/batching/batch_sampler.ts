/**
 * Seeded, resumable batches of (caption, image) training samples with several captions of one image per
 * batch as positives, and the image-id / label arrays PIR's losses take.
 */
import { Rng, type RngState } from '@pir/runtime/rng';
import { DatasetInputError } from '../errors.js';
import { planEpoch } from './epoch_plan.js';

/** What the sampler needs of a dataset: the caption → image map and, optionally, a label per image. */
export interface BatchIndex {
  /** `[nCaptions]` image index of each caption. */
  captionToImage: ArrayLike<number>;
  /** `[nImages]` label id of each image (scene class, for the affiliation loss). */
  imageLabels?: ArrayLike<number>;
}

/** A dataset from the annotation loaders also works as a {@link BatchIndex} source. */
export interface DatasetLike {
  captionToImage: ArrayLike<number>;
  images: readonly { labelId: number }[];
}

/** Options of {@link BatchSampler}. */
export interface BatchSamplerOptions {
  /** Samples (caption–image pairs) per batch, B. With `captionsPerImage` k, B must be a multiple of k. */
  batchSize: number;
  /** k: captions of the same image kept together in a batch (positives). Default 1 (plain shuffle). */
  captionsPerImage?: number;
  /** Drop the last, smaller batch of an epoch. Default false. */
  dropLast?: boolean;
  /** Shuffle (default true); false gives the file order, e.g. for evaluation. */
  shuffle?: boolean;
  /** Seed of the sampler's own {@link Rng} (default 0); or pass `rng`. */
  seed?: number | string;
  /** A generator to draw from (it is advanced; use `rng.fork('batches')` to keep others undisturbed). */
  rng?: Rng;
}

/** One batch. Row r pairs caption `captions[r]` with image `imageIds[r]`. */
export interface Batch {
  /** Epoch number, from 0. */
  epoch: number;
  /** Batch number within the epoch, from 0. */
  index: number;
  /** `[B]` caption indices. */
  captions: Int32Array;
  /** `[B]` image index of each row: the `imageIds` of `multiPositiveInfoNCE` (equal ids are positives). */
  imageIds: Int32Array;
  /** `[B]` label id of each row's image (the affiliation loss' labels), when the index has labels. */
  labels?: Int32Array;
  /**
   * The sampler state right after this batch: checkpoint it together with the weights updated on this
   * batch, and {@link BatchSampler.setState} resumes with the next batch. (Reading `getState()` instead
   * is wrong when batches are prefetched: the sampler is then ahead of the training step.)
   */
  stateAfter: BatchSamplerState;
}

/** Serializable (JSON) sampler state. */
export interface BatchSamplerState {
  /** The epoch being sampled. */
  epoch: number;
  /** Batches of `epoch` already handed out. */
  position: number;
  /** The generator state at the start of `epoch` (the epoch's order is re-derived from it). */
  rng: RngState;
  /** What the state belongs to; checked on resume. */
  config: {
    nCaptions: number;
    batchSize: number;
    captionsPerImage: number;
    dropLast: boolean;
    shuffle: boolean;
  };
}

/**
 * Endless, resumable epochs of batches.
 *
 * Per epoch every caption is sampled once (k = 1), or in groups of k captions of one image (k > 1; see
 * `captionsPerImage`) so that each batch has k positives per image for the multi-positive contrastive loss.
 * Determined by the seed alone, identical in Node and browsers.
 *
 * @example
 * ```ts
 * const sampler = new BatchSampler(dataset, { batchSize: 4, captionsPerImage: 2, seed: 1 });
 * for (const batch of sampler.epoch()) {
 *   batch.imageIds; // Int32Array [7, 7, 2, 2] — two captions of each image
 *   saveCheckpoint({ weights, sampler: batch.stateAfter });
 * }
 * // later, in a new process:
 * const resumed = new BatchSampler(dataset, { batchSize: 4, captionsPerImage: 2, seed: 1 });
 * resumed.setState(checkpoint.sampler); // yields exactly the batches that were left
 * ```
 */
export class BatchSampler {
  readonly batchSize: number;
  readonly captionsPerImage: number;
  readonly dropLast: boolean;
  readonly shuffle: boolean;
  /** Samples per epoch (captions, or k × groups with k > 1). */
  readonly samplesPerEpoch: number;
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;

  private readonly captionToImage: Int32Array;
  private readonly imageLabels: Int32Array | undefined;
  private readonly groups: Int32Array[];
  private readonly rng: Rng;
  private currentEpoch = 0;
  private position = 0;
  private epochStart: RngState;
  private order: Int32Array;

  constructor(source: BatchIndex | DatasetLike, options: BatchSamplerOptions) {
    const { captionToImage, imageLabels } = toIndex(source);
    const { batchSize, captionsPerImage = 1, dropLast = false, shuffle = true } = options ?? ({} as never);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DatasetInputError(
        'BatchSampler',
        'batchSize',
        `BatchSampler: batchSize must be a positive integer, got ${batchSize}`,
      );
    }
    if (!Number.isInteger(captionsPerImage) || captionsPerImage < 1) {
      throw new DatasetInputError(
        'BatchSampler',
        'captionsPerImage',
        `BatchSampler: captionsPerImage must be a positive integer, got ${captionsPerImage}`,
      );
    }
    if (batchSize % captionsPerImage !== 0) {
      throw new DatasetInputError(
        'BatchSampler',
        'batchSize',
        `BatchSampler: batchSize ${batchSize} must be a multiple of captionsPerImage ${captionsPerImage} ` +
          'so that every batch holds whole groups of captions of one image',
      );
    }
    this.batchSize = batchSize;
    this.captionsPerImage = captionsPerImage;
    this.dropLast = dropLast;
    this.shuffle = shuffle;
    this.captionToImage = captionToImage;
    this.imageLabels = imageLabels;
    this.groups = groupByImage(captionToImage, imageLabels?.length);
    let samples = captionToImage.length;
    if (captionsPerImage > 1) {
      samples = 0;
      for (const g of this.groups) samples += Math.ceil(g.length / captionsPerImage) * captionsPerImage;
    }
    this.samplesPerEpoch = samples;
    this.batchesPerEpoch = dropLast ? Math.floor(samples / batchSize) : Math.ceil(samples / batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new DatasetInputError(
        'BatchSampler',
        'batchSize',
        `BatchSampler: ${samples} samples make no full batch of ${batchSize} with dropLast; lower batchSize`,
      );
    }
    this.rng = options.rng ?? samplerRng(options.seed ?? 0);
    this.epochStart = this.rng.getState();
    this.order = this.plan();
  }

  /** The epoch being sampled (from 0). */
  get epochNumber(): number {
    return this.currentEpoch;
  }

  /** Batches of the current epoch still to come. */
  get remaining(): number {
    return this.batchesPerEpoch - this.position;
  }

  /** The next batch; after the last batch of an epoch the next epoch starts (with a new order). */
  next(): Batch {
    if (this.position >= this.batchesPerEpoch) this.startEpoch(this.currentEpoch + 1);
    const b = this.position++;
    const rows = this.order.subarray(
      b * this.batchSize,
      Math.min((b + 1) * this.batchSize, this.order.length),
    );
    const captions = Int32Array.from(rows);
    const imageIds = new Int32Array(captions.length);
    for (let r = 0; r < captions.length; r++) imageIds[r] = this.captionToImage[captions[r]!]!;
    const batch: Batch = {
      epoch: this.currentEpoch,
      index: b,
      captions,
      imageIds,
      stateAfter: this.state(this.position),
    };
    if (this.imageLabels) {
      const labels = new Int32Array(captions.length);
      for (let r = 0; r < captions.length; r++) labels[r] = this.imageLabels[imageIds[r]!]!;
      batch.labels = labels;
    }
    return batch;
  }

  /**
   * The remaining batches of the current epoch (all of them on a fresh epoch). After the generator ends,
   * the next call continues with the next epoch.
   */
  *epoch(): Generator<Batch, void, undefined> {
    if (this.position >= this.batchesPerEpoch) this.startEpoch(this.currentEpoch + 1);
    const e = this.currentEpoch;
    while (this.currentEpoch === e && this.position < this.batchesPerEpoch) yield this.next();
  }

  /** The state now (after the batches handed out so far). Prefer {@link Batch.stateAfter} when prefetching. */
  getState(): BatchSamplerState {
    return this.state(this.position);
  }

  /** Resume from a state of a sampler with the same source and options. */
  setState(state: BatchSamplerState): void {
    const c = state?.config;
    const want = this.state(0).config;
    if (!c || typeof c !== 'object') {
      throw new DatasetInputError(
        'BatchSampler.setState',
        'state',
        'BatchSampler.setState: not a BatchSamplerState (no config); pass a state from getState() or batch.stateAfter',
      );
    }
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      if (c[key] !== want[key]) {
        throw new DatasetInputError(
          'BatchSampler.setState',
          `state.config.${key}`,
          `BatchSampler.setState: the state was saved with ${key} = ${c[key]} but this sampler has ${want[key]}; ` +
            'resume with the same dataset and options',
        );
      }
    }
    if (!Number.isInteger(state.epoch) || state.epoch < 0) {
      throw new DatasetInputError(
        'BatchSampler.setState',
        'state.epoch',
        `BatchSampler.setState: epoch must be a non-negative integer, got ${state.epoch}`,
      );
    }
    if (!Number.isInteger(state.position) || state.position < 0 || state.position > this.batchesPerEpoch) {
      throw new DatasetInputError(
        'BatchSampler.setState',
        'state.position',
        `BatchSampler.setState: position must be an integer in [0, ${this.batchesPerEpoch}], got ${state.position}`,
      );
    }
    try {
      this.rng.setState(state.rng);
    } catch (e) {
      throw new DatasetInputError(
        'BatchSampler.setState',
        'state.rng',
        `BatchSampler.setState: state.rng is not a generator state (${e instanceof Error ? e.message : String(e)})`,
        { cause: e },
      );
    }
    this.epochStart = this.rng.getState();
    this.currentEpoch = state.epoch;
    this.order = this.plan();
    this.position = state.position;
  }

  private startEpoch(epoch: number): void {
    this.currentEpoch = epoch;
    this.position = 0;
    this.epochStart = this.rng.getState();
    this.order = this.plan();
  }

  private plan(): Int32Array {
    return planEpoch(this.groups, this.captionToImage.length, this.captionsPerImage, this.shuffle, this.rng);
  }

  private state(position: number): BatchSamplerState {
    const rng = this.epochStart;
    return {
      epoch: this.currentEpoch,
      position,
      // NaN is not JSON: write the cached normal deviate as null
      rng: { s: [...rng.s] as RngState['s'], spare: Number.isNaN(rng.spare) ? null : rng.spare },
      config: {
        nCaptions: this.captionToImage.length,
        batchSize: this.batchSize,
        captionsPerImage: this.captionsPerImage,
        dropLast: this.dropLast,
        shuffle: this.shuffle,
      },
    };
  }
}

function toIndex(source: BatchIndex | DatasetLike): { captionToImage: Int32Array; imageLabels?: Int32Array } {
  if (source === null || typeof source !== 'object' || !source.captionToImage) {
    throw new DatasetInputError(
      'BatchSampler',
      'source',
      `BatchSampler: source must be a dataset or {captionToImage, imageLabels?}, got ${source === null ? 'null' : typeof source}`,
    );
  }
  const map = source.captionToImage;
  const captionToImage = new Int32Array(map.length);
  for (let t = 0; t < map.length; t++) {
    const i = map[t] as number;
    if (!Number.isInteger(i) || i < 0) {
      throw new DatasetInputError(
        'BatchSampler',
        'source.captionToImage',
        `BatchSampler: captionToImage[${t}] = ${i} is not an image index`,
      );
    }
    captionToImage[t] = i;
  }
  if (captionToImage.length === 0) {
    throw new DatasetInputError('BatchSampler', 'source', 'BatchSampler: the source has no captions');
  }
  let labels: ArrayLike<number> | undefined;
  if ('images' in source && Array.isArray(source.images)) labels = source.images.map((im) => im.labelId);
  else labels = (source as BatchIndex).imageLabels;
  if (labels === undefined) return { captionToImage };
  const imageLabels = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (!Number.isInteger(l)) {
      throw new DatasetInputError(
        'BatchSampler',
        'source.imageLabels',
        `BatchSampler: imageLabels[${i}] = ${l} is not an integer`,
      );
    }
    imageLabels[i] = l;
  }
  for (let t = 0; t < captionToImage.length; t++) {
    if (captionToImage[t]! >= imageLabels.length) {
      throw new DatasetInputError(
        'BatchSampler',
        'source.imageLabels',
        `BatchSampler: captionToImage[${t}] = ${captionToImage[t]} but imageLabels has only ${imageLabels.length} images`,
      );
    }
  }
  return { captionToImage, imageLabels };
}

/** The sampler's own generator, seeded with `options.seed`. */
function samplerRng(seed: number | string): Rng {
  try {
    return new Rng(seed);
  } catch (e) {
    throw new DatasetInputError(
      'BatchSampler',
      'seed',
      `BatchSampler: seed must be a finite integer or a string, got ${String(seed)}`,
      { cause: e },
    );
  }
}

/** Caption indices per image (images without captions are left out). */
function groupByImage(captionToImage: Int32Array, nImages = 0): Int32Array[] {
  let n = nImages;
  for (const i of captionToImage) if (i + 1 > n) n = i + 1;
  const counts = new Int32Array(n);
  for (const i of captionToImage) counts[i]++;
  const groups = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(n);
  captionToImage.forEach((i, t) => {
    groups[i]![fill[i]!++] = t;
  });
  return groups.filter((g) => g.length > 0);
}
