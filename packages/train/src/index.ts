/**
 * `@pir/train` — training building blocks for the PIR models, beside the library as open_clip_train is beside
 * open_clip:
 *
 * - **Optimiser as the released recipes use it**: {@link AdamW} (PyTorch `torch.optim.AdamW` semantics,
 *   parameter groups by name, state as plain data), {@link paramGroups} (no decay on biases, norms and
 *   temperatures; a learning-rate multiplier for new parameters), the schedules {@link linearWarmupDecay}
 *   (PIR-ITR) and {@link cosineWithWarmup} (PIR-CLIP), {@link clipGradNorm}.
 *
 * Building blocks are also under `@pir/train/optim`.
 */
import '@pir/runtime';

export { TrainInputError } from './errors.js';
export {
  AdamW,
  type AdamWConfig,
  type AdamWState,
  type AdamWStateLike,
  clipGradNorm,
  constantLr,
  cosineWithWarmup,
  type Gradients,
  linearWarmupDecay,
  namedTrainableParameters,
  PIR_CLIP_ADAMW,
  PIR_ITR_ADAMW,
  type ParamGroup,
  type ParamGroupOptions,
  paramGroups,
  type Schedule,
} from './optim/index.js';
