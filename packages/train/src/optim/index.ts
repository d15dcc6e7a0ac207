/**
 * `@pir/train/optim` — the optimiser as the released recipes use it: {@link AdamW} (PyTorch semantics,
 * parameter groups, state as plain data), {@link paramGroups} (no decay on rank < 2, learning-rate multiplier
 * for new parameters), {@link namedTrainableParameters}, the schedules ({@link linearWarmupDecay},
 * {@link cosineWithWarmup}, {@link constantLr}) and {@link clipGradNorm}.
 */
import '@pir/runtime';

export {
  AdamW,
  type AdamWConfig,
  type AdamWState,
  type AdamWStateLike,
  PIR_CLIP_ADAMW,
  PIR_ITR_ADAMW,
  type ResolvedParamGroup,
} from './adamw.js';
export {
  type ClippedGradients,
  clipGradNorm,
  clipGradNormInPlace,
  type Gradients,
} from './clip_grad_norm.js';
export { type NamedModel, type NamedTrainableOptions, namedTrainableParameters } from './model_parameters.js';
export {
  isTrainable,
  type NoDecayKind,
  noDecayByShape,
  noDecayOf,
  type ParamGroup,
  type ParamGroupOptions,
  paramGroups,
} from './param_groups.js';
export {
  type ConstantLrOptions,
  type CosineWithWarmupOptions,
  constantLr,
  cosineWithWarmup,
  type LinearWarmupDecayOptions,
  linearWarmupDecay,
  type Schedule,
  type ScheduleSpec,
  scheduleOf,
} from './schedules.js';
