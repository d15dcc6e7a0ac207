/**
 * `@pir/train/trainer` — the training loop and its building blocks: {@link train}, the data interface
 * ({@link TrainingData}, {@link syntheticTrainingData}, {@link trainingData}), {@link evaluateSplit}, the
 * checkpoint format ({@link encodeCheckpoint}, {@link decodeCheckpoint}) and stores, the recipe's optimiser,
 * schedule and augmentation, the tensor-memory watch. Backend-agnostic (Node and browser).
 */
import '@pir/runtime';

export {
  augmentImages,
  disposeTrainBatch,
  makeTrainBatch,
  preprocessImages,
  type TrainBatch,
  tokenize,
} from './batches.js';
export {
  applyCheckpointWeights,
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointInput,
  type DecodedCheckpoint,
  decodeCheckpoint,
  type EpochSums,
  encodeCheckpoint,
  modelParts,
  type RunIdentity,
  type TrainerState,
} from './checkpoint.js';
export {
  type CheckpointFiles,
  type CheckpointStore,
  type CheckpointTag,
  memoryCheckpointStore,
  type StoredCheckpoint,
} from './checkpoint_store.js';
export { type EvaluateSplitOptions, evaluateSplit, visionImageSize } from './evaluate_split.js';
export {
  type BestRecord,
  type EpochRecord,
  type MemoryRecord,
  type RetrievalSummary,
  type StepEvent,
  summarizeReport,
  type TrainEvent,
} from './events.js';
export { type TensorMemoryWatch, watchTensorMemory } from './peak_memory.js';
export {
  augmentOptions,
  type RecipeChanges,
  recipeOptimizer,
  recipeSchedule,
  resolveRecipe,
  type TrainRecipe,
} from './recipe.js';
export { checkTokenizer, textEncoderLimits, wordTokenizerFor } from './tokenizer.js';
export { type TrainableModel, type TrainOptions, type TrainResult, train } from './train.js';
export {
  checkSplit,
  type DataSplit,
  datasetSplit,
  type ImageSource,
  type SplitName,
  type SplitSize,
  splitFingerprint,
  syntheticTrainingData,
  type TrainingData,
  trainingData,
} from './training_data.js';
