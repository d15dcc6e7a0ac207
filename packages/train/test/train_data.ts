/**
 * Small training data for the trainer's tests: the synthetic benchmark at 32 px, four scene classes, 16
 * images split 8 / 4 / 4 (40 training captions), generated once per process.
 */
import { generateSynthetic, type SyntheticDataset } from '@pir/datasets';
import { syntheticTrainingData, type TrainingData } from '../src/index.js';

let cached: SyntheticDataset | undefined;

/** The synthetic benchmark the tests train on (in memory). */
export function tinySynthetic(): SyntheticDataset {
  cached ??= generateSynthetic({
    seed: 1,
    count: 16,
    size: 32,
    classes: ['airport', 'forest', 'river', 'beach'],
    splits: { train: 0.5, val: 0.25, test: 0.25 },
  });
  return cached;
}

/**
 * Its {@link TrainingData}; `captionsPerImage` keeps only the first captions of each training image (fewer
 * steps per epoch).
 */
export function tinyData(options: { captionsPerImage?: number } = {}): TrainingData {
  const data = syntheticTrainingData(tinySynthetic());
  const keep = options.captionsPerImage;
  if (keep === undefined) return data;
  const rows: number[] = [];
  const seen = new Map<number, number>();
  Array.from(data.train.captionToImage).forEach((image, t) => {
    const n = seen.get(image) ?? 0;
    seen.set(image, n + 1);
    if (n < keep) rows.push(t);
  });
  const train = {
    ...data.train,
    captions: rows.map((t) => data.train.captions[t] as string),
    captionToImage: Int32Array.from(rows, (t) => data.train.captionToImage[t] as number),
  };
  return { ...data, train };
}
