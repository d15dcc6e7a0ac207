/**
 * `@pir/train` — training building blocks for the PIR models, beside the library as open_clip_train is beside
 * open_clip:
 *
 * - **Optimiser as the released recipes use it**: {@link AdamW} (PyTorch `torch.optim.AdamW` semantics,
 *   parameter groups by name, state as plain data), {@link paramGroups} (no decay on biases, norms and
 *   temperatures; a learning-rate multiplier for new parameters), the schedules {@link linearWarmupDecay}
 *   (PIR-ITR) and {@link cosineWithWarmup} (PIR-CLIP), {@link clipGradNorm}.
 * - **Gradient caching**: {@link computeGradients} — the gradient of a contrastive loss over a whole batch,
 *   plainly or in micro-batches with the same result (large effective batches on small memory), for a model
 *   described as an {@link EmbeddingTask} ({@link modelTask} adapts `PirItr` and `PirClip`).
 * - **The training step**: {@link trainStep} (gradients, clipping, AdamW, constraints; no device read) and
 *   {@link readStep} (the step's numbers in one read).
 * - **The training loop**: {@link train} — any model of `@pir/models` (PIR-ITR, PIR-CLIP, the VSE baseline)
 *   from its configuration's recipe on {@link TrainingData} (the synthetic benchmark, annotation files),
 *   validation every epoch, the best epoch kept by validation mR and tested there, checkpoints that resume
 *   exactly ({@link memoryCheckpointStore}; on disk: `@pir/train/node`), {@link evaluateSplit}.
 *
 * Building blocks are also under `@pir/train/optim`, `@pir/train/grad_cache` and `@pir/train/trainer`;
 * files, progress bars and plots under `@pir/train/node` (Node only).
 */
import '@pir/runtime';

export { CheckpointError, TrainInputError } from './errors.js';
export {
  type ComputeGradientsOptions,
  computeGradients,
  type DualEncoderBatch,
  type DualEncoderModel,
  disposeGradients,
  dualEncoderTask,
  type EmbeddingTask,
  type EncoderOutputLike,
  type GradientsResult,
  type LossLike,
  modelTask,
  pirClipTask,
  pirItrTask,
  type RngLike,
} from './grad_cache/index.js';
export {
  AdamW,
  type AdamWConfig,
  type AdamWState,
  type AdamWStateLike,
  type ClippedGradients,
  type ConstantLrOptions,
  type CosineWithWarmupOptions,
  clipGradNorm,
  clipGradNormInPlace,
  constantLr,
  cosineWithWarmup,
  type Gradients,
  type LinearWarmupDecayOptions,
  linearWarmupDecay,
  type NamedModel,
  type NamedTrainableOptions,
  namedTrainableParameters,
  type ParamGroup,
  type ParamGroupOptions,
  PIR_CLIP_ADAMW,
  PIR_ITR_ADAMW,
  paramGroups,
  type ResolvedParamGroup,
  type Schedule,
} from './optim/index.js';
export { readStep, type StepResult, type StepValues, type TrainStepOptions, trainStep } from './step.js';
export {
  type BestRecord,
  type CheckpointFiles,
  type CheckpointStore,
  type CheckpointTag,
  type DataSplit,
  datasetSplit,
  type EpochRecord,
  type EvaluateSplitOptions,
  evaluateSplit,
  type ImageSource,
  type MemoryRecord,
  memoryCheckpointStore,
  type RecipeChanges,
  type RetrievalSummary,
  type StepEvent,
  type StoredCheckpoint,
  syntheticTrainingData,
  type TrainableModel,
  type TrainEvent,
  type TrainingData,
  type TrainOptions,
  type TrainRecipe,
  type TrainResult,
  train,
  trainingData,
} from './trainer/index.js';
