/**
 * `@pir/train/grad_cache` — gradients of a contrastive loss over a whole batch, plainly or with gradient
 * caching in micro-batches ({@link computeGradients}), for any model described as an {@link EmbeddingTask}
 * ({@link pirItrTask}, {@link pirClipTask}, {@link dualEncoderTask}, {@link modelTask}), and the random-generator bookkeeping that
 * makes both passes of a micro-batch draw the same dropout masks ({@link findRngs}).
 */
import '@pir/runtime';

export {
  type ComputeGradientsOptions,
  computeGradients,
  disposeGradients,
  type GradientsResult,
} from './compute_gradients.js';
export {
  type DualEncoderBatch,
  type DualEncoderModel,
  dualEncoderTask,
  type EncoderOutputLike,
  modelTask,
  pirClipTask,
  pirItrTask,
} from './pir_tasks.js';
export { findRngs, type RngLike, restoreRngStates, saveRngStates } from './rng_state.js';
export type { EmbeddingTask, LossLike } from './task.js';
