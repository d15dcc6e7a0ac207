/**
 * `@pir/models` — the PIR reference models composed from the `@pir/*` layers.
 *
 * - {@link PirItr}: PIR-ITR (closed-domain): encoders by interface, projections, hard belief, Spatial- and
 *   Temporal-PAE, heads, `L_c + λ·L_a`, released state-dict names.
 *
 * - {@link PirClip}: PIR-CLIP (open-domain): a CLIP ViT with soft belief and the instruction token, the CLIP
 *   text tower, `CLIP loss + λ·affiliation`.
 *
 * - {@link VseModel}: the VSE baseline (PIR-ITR's encoders, `normalize(proj(encoder)[:, 0])`, InfoNCE or
 *   VSE++ triplet).
 *
 * - The catalogue: JSON configurations (`tiny`, `base`, `paper` sizes, ablation switches, training recipes)
 *   and {@link createModel}.
 *
 * - The authors' checkpoints: {@link loadReleasedPirItr} / {@link loadReleasedPirClip} (strict, with the
 *   released forward quirks) and {@link embedCaptionsReleased} (the released chunked caption evaluation).
 *
 * - Model directories: {@link saveModel} / {@link loadModel} (one directory per model, in memory, over HTTP,
 *   on disk with `@pir/models/node`), {@link RetrievalModel} (embed images and captions, retrieve), and
 *   {@link retrieve} / {@link searchEmbeddings} (chunked top-k both ways).
 *
 * Import `@pir/runtime` and call `initBackend()` before use.
 */
// @pir/runtime registers tfjs's gradients with its corrections (whatever the import order)
import '@pir/runtime';

// what the models' loadStateDict throws (and stateDict returns), from @pir/nn
export { type LoadReport, type StateDict, StateDictError, type StateDictLike } from '@pir/nn';
export {
  type AnyModel,
  type BuiltEncoder,
  type BuiltEncodersOf,
  type CreateModelOptions,
  createModel,
  type EncoderRef,
  type GivenEncoders,
  listModels,
  MODEL_ALIASES,
  MODEL_CONFIGS,
  type ModelArchitecture,
  type ModelConfig,
  type ModelConfigBase,
  type ModelName,
  type ModelOf,
  modelConfig,
  modelConfigHash,
  type PirClipFields,
  type PirClipModelConfig,
  type PirItrFields,
  type PirItrModelConfig,
  type ResolvedEncoder,
  type ResolvedModelConfig,
  resolveModelConfig,
  trainRecipe,
  type VseFields,
  type VseModelConfig,
} from './catalogue.js';
export { ModelInputError } from './errors.js';
export type { MatchingLossFields, MatchingLossKind } from './matching_loss.js';
export {
  type EncoderRole,
  type ModelLoadOptions,
  type OwnershipOptions,
  PirModelBase,
  type Trains,
} from './model_base.js';
export {
  type LoadModelOptions,
  loadModel,
  loadModelStateDict,
  type ModelSourceLike,
  modelStateDict,
  type SaveModelOptions,
  saveModel,
  serializeModel,
} from './model_dir.js';
export {
  DEFAULT_MODEL_LIMITS,
  MODEL_FILES,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  MODEL_PREFIXES,
  ModelFileError,
  type ModelFileInfo,
  type ModelLimits,
  type ModelManifest,
  type ModelTokenizerInfo,
} from './model_dir_format.js';
export {
  type AnyPirModel,
  type EmbeddingModel,
  type EmbedOptions,
  RetrievalModel,
  type RetrievalModelOptions,
} from './model_dir_model.js';
export type {
  FetchLike,
  FileFetcher,
  ModelFiles,
  ModelSource,
  ModelWriter,
  ResponseLike,
} from './model_dir_source.js';
export { PirClip, type PirClipBatch, type PirClipConfig, type PirClipEncoders } from './pir_clip.js';
export {
  type EncodedImages,
  PIR_ITR_DEFAULTS,
  PirItr,
  type PirItrBatch,
  type PirItrConfig,
  type PirItrEncoders,
} from './pir_itr.js';
export {
  embedCaptionsReleased,
  FirstTokens,
  loadReleasedPirClip,
  loadReleasedPirItr,
  mapReleasedPirClip,
  mapReleasedPirItr,
  type ReleasedCaptionOptions,
  type ReleasedLoadOptions,
  type ReleasedPirClip,
  type ReleasedPirClipConfig,
  type ReleasedPirClipOptions,
  type ReleasedPirItr,
  type ReleasedPirItrConfig,
  type ReleasedPirItrOptions,
  type ReleasedSource,
  releasedModelConfig,
  releasedPirClipConfig,
  releasedPirClipModelConfig,
  releasedPirItrConfig,
  releasedPirItrModelConfig,
} from './released.js';
export {
  type EmbeddingMatrix,
  type EmbeddingRows,
  matchesOf,
  type RetrievalMatches,
  type RetrieveOptions,
  retrieve,
  type SearchOptions,
  searchEmbeddings,
  type TopKMatches,
} from './retrieve.js';
export {
  type AugmentRecipe,
  type CaptionRecipe,
  type OptimizerRecipe,
  RAND_AUGMENT_OP_NAMES,
  type RandAugmentOpName,
  type RandAugmentRecipe,
  type ScheduleRecipe,
  type TrainRecipe,
} from './train_recipe.js';
export { VSE_DEFAULTS, type VseBatch, type VseConfig, type VseEncoders, VseModel } from './vse.js';
