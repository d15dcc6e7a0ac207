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

/** Its {@link TrainingData}. */
export function tinyData(): TrainingData {
  return syntheticTrainingData(tinySynthetic());
}
