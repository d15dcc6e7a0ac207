/**
 * Names `@pir/encoders` 0.1 exported from its top level that now live in a subpath or in `@pir/nn` — kept
 * for one release so existing code keeps working; each says where to import it from instead. (Declarations,
 * not re-exports, so the `@deprecated` tag reaches the published `.d.ts`.)
 */

import type { HasParameters, StateDict } from '@pir/nn';
import * as nn from '@pir/nn';
import * as layers from './layers/index.js';
import * as models from './models/index.js';
import * as tokenizers from './tokenizers/index.js';
import * as weights from './weights/index.js';

/**
 * `nn.Linear` specs with N(0, std²) weights and zero biases (the 0.1 signature).
 * @deprecated use `linearSpecs(prefix, inF, outF, options)` of `@pir/nn` (default init: PyTorch's), or
 * `linearSpecs(prefix, inF, outF, normalLinear(std))` with `normalLinear` of `@pir/encoders/models`.
 */
export function linearSpecs(
  prefix: string,
  inF: number,
  outF: number,
  bias = true,
  std = 0.02,
): nn.ParamSpec[] {
  return nn.linearSpecs(prefix, inF, outF, models.normalLinear(std, bias));
}

/**
 * The model's parameters as a PyTorch-layout state dict.
 * @deprecated use `stateDict(model, { prefix })` (`@pir/nn`, also exported here) — the same result.
 */
export function stateDictOf(model: HasParameters, prefix = ''): Promise<StateDict> {
  return nn.stateDict(model, { prefix });
}

/**
 * Anything with a parameter store.
 * @deprecated every encoder implements `HasParameters` of `@pir/nn`; pass the encoder (or its `params`)
 * to `loadStateDict` / `stateDict`.
 */
export interface HasParams {
  readonly params: nn.ParamStore;
  readonly ignoredKeys?: readonly RegExp[];
}

/** @deprecated renamed `BERT_TEST` (test sizes are `*_TEST`; `BERT_TINY` read like Swin-T / “tiny” published sizes). */
export const BERT_TINY = models.BERT_TEST;
/** @deprecated import from `@pir/encoders/models`. */
export const bertSpecs = models.bertSpecs;
/** @deprecated renamed `CLIP_TEXT_TEST` (test sizes are `*_TEST`; `CLIP_TEXT_TINY` read like Swin-T / “tiny” published sizes). */
export const CLIP_TEXT_TINY = models.CLIP_TEXT_TEST;
/** @deprecated import from `@pir/encoders/models`. */
export const clipTextSpecs = models.clipTextSpecs;
/** @deprecated import from `@pir/encoders/models`. */
export type ClipTransformerShape = models.ClipTransformerShape;
/** @deprecated import from `@pir/encoders/models`. */
export const clipTransformer = models.clipTransformer;
/** @deprecated import from `@pir/encoders/models`. */
export const clipTransformerSpecs = models.clipTransformerSpecs;
/** @deprecated renamed `CLIP_VIT_TEST` (test sizes are `*_TEST`; `CLIP_VIT_TINY` read like Swin-T / “tiny” published sizes). */
export const CLIP_VIT_TINY = models.CLIP_VIT_TEST;
/** @deprecated import from `@pir/encoders/models`. */
export const clipVisionSpecs = models.clipVisionSpecs;
/** @deprecated renamed `GRU_TEST` (test sizes are `*_TEST`; `GRU_TINY` read like Swin-T / “tiny” published sizes). */
export const GRU_TINY = models.GRU_TEST;
/** @deprecated import from `@pir/encoders/models`. */
export const gruDirection = models.gruDirection;
/** @deprecated import from `@pir/encoders/models`. */
export const gruTextSpecs = models.gruTextSpecs;
/** @deprecated import from `@pir/encoders/models`. */
export const attentionPool2d = models.attentionPool2d;
/** @deprecated renamed `CLIP_RN_TEST` (test sizes are `*_TEST`; `MODIFIED_RESNET_TINY` read like Swin-T / “tiny” published sizes). */
export const MODIFIED_RESNET_TINY = models.CLIP_RN_TEST;
/** @deprecated import from `@pir/encoders/models`. */
export const modifiedResNetSpecs = models.modifiedResNetSpecs;
/** @deprecated import from `@pir/encoders/models`. */
export const applyBatchNorm = models.applyBatchNorm;
/** @deprecated renamed `RESNET_TEST` (test sizes are `*_TEST`; `RESNET_TINY` read like Swin-T / “tiny” published sizes). */
export const RESNET_TINY = models.RESNET_TEST;
/** @deprecated import from `@pir/encoders/models`. */
export const resnetSpecs = models.resnetSpecs;
/** @deprecated import from `@pir/nn`. */
export type StateEntry = nn.StateEntry;
/** @deprecated import from `@pir/encoders/models`. */
export const patchMerging = models.patchMerging;
/** @deprecated import from `@pir/encoders/models`. */
export const relativePositionIndex = models.relativePositionIndex;
/** @deprecated import from `@pir/encoders/models`. */
export const roll2d = models.roll2d;
/** @deprecated renamed `SWIN_TEST` (test sizes are `*_TEST`; `SWIN_TINY` read like Swin-T / “tiny” published sizes). */
export const SWIN_TINY = models.SWIN_TEST;
/** @deprecated import from `@pir/encoders/models`. */
export const shiftedWindowMask = models.shiftedWindowMask;
/** @deprecated import from `@pir/encoders/models`. */
export const swinSpecs = models.swinSpecs;
/** @deprecated import from `@pir/encoders/models`. */
export const windowPartition = models.windowPartition;
/** @deprecated import from `@pir/encoders/models`. */
export const windowReverse = models.windowReverse;
/** @deprecated import from `@pir/encoders/models`. */
export const MissingTokenizer = models.MissingTokenizer;
/** @deprecated import from `@pir/encoders/models`. */
export type MissingTokenizer = models.MissingTokenizer;
/** @deprecated import from `@pir/nn`. */
export type ActivationName = nn.ActivationName;
/** @deprecated import from `@pir/nn`. */
export const activation = nn.activation;
/** @deprecated import from `@pir/encoders/layers`. */
export const Gelu = layers.Gelu;
/** @deprecated import from `@pir/encoders/layers`. */
export type Gelu = layers.Gelu;
/** @deprecated import from `@pir/encoders/layers`. */
export type GeluConfig = layers.GeluConfig;
/** @deprecated import from `@pir/nn`. */
export const gelu = nn.gelu;
/** @deprecated import from `@pir/nn`. */
export const quickGelu = nn.quickGelu;
/** @deprecated import from `@pir/nn`. */
export type AttentionBiasOptions = nn.AttentionBiasOptions;
/** @deprecated import from `@pir/nn`. */
export const attentionBias = nn.attentionBias;
/** @deprecated import from `@pir/nn`. */
export const MASKED_LOGIT = nn.MASKED_LOGIT;
/** @deprecated import from `@pir/encoders/layers`. */
export const MultiHeadSelfAttention = layers.MultiHeadSelfAttention;
/** @deprecated import from `@pir/encoders/layers`. */
export type MultiHeadSelfAttention = layers.MultiHeadSelfAttention;
/** @deprecated import from `@pir/encoders/layers`. */
export type MultiHeadSelfAttentionConfig = layers.MultiHeadSelfAttentionConfig;
/** @deprecated import from `@pir/nn`. */
export const multiHeadAttention = nn.multiHeadAttention;
/** @deprecated import from `@pir/encoders/layers`. */
export const selfAttention = layers.selfAttention;
/** @deprecated import from `@pir/encoders/layers`. */
export const BatchNorm = layers.BatchNorm;
/** @deprecated import from `@pir/encoders/layers`. */
export type BatchNorm = layers.BatchNorm;
/** @deprecated import from `@pir/encoders/layers`. */
export type BatchNormConfig = layers.BatchNormConfig;
/** @deprecated import from `@pir/encoders/layers`. */
export const batchNormInference = layers.batchNormInference;
/** @deprecated import from `@pir/encoders/layers`. */
export const batchNormTraining = layers.batchNormTraining;
/** @deprecated import from `@pir/encoders/layers`. */
export const avgPool2d = layers.avgPool2d;
/** @deprecated import from `@pir/encoders/layers`. */
export const Conv2d = layers.Conv2d;
/** @deprecated import from `@pir/encoders/layers`. */
export type Conv2d = layers.Conv2d;
/** @deprecated import from `@pir/encoders/layers`. */
export type Conv2dConfig = layers.Conv2dConfig;
/** @deprecated import from `@pir/encoders/layers`. */
export const conv2d = layers.conv2d;
/** @deprecated import from `@pir/encoders/layers`. */
export const maxPool2d = layers.maxPool2d;
/** @deprecated import from `@pir/encoders/layers`. */
export const patchEmbed = layers.patchEmbed;
/** @deprecated import from `@pir/encoders/layers`. */
export const LayerNorm = layers.LayerNorm;
/** @deprecated import from `@pir/encoders/layers`. */
export type LayerNorm = layers.LayerNorm;
/** @deprecated import from `@pir/encoders/layers`. */
export type LayerNormConfig = layers.LayerNormConfig;
/** @deprecated import from `@pir/nn`. */
export const layerNorm = nn.layerNorm;
/** @deprecated import from `@pir/encoders/layers`. */
export const Linear = layers.Linear;
/** @deprecated import from `@pir/encoders/layers`. */
export type Linear = layers.Linear;
/** @deprecated import from `@pir/encoders/layers`. */
export type LinearConfig = layers.LinearConfig;
/** @deprecated import from `@pir/nn`. */
export const linear = nn.linear;
/** @deprecated import from `@pir/nn`. */
export const linearTorch = nn.linearTorch;
/** @deprecated import from `@pir/nn`. */
export const countParameters = nn.countParameters;
/** @deprecated import from `@pir/nn`. */
export const numel = nn.numel;
/** @deprecated import from `@pir/nn`. */
export type ParamInit = nn.ParamInit;
/** @deprecated import from `@pir/nn`. */
export type ParamSpec = nn.ParamSpec;
/** @deprecated import from `@pir/nn`. */
export const ParamStore = nn.ParamStore;
/** @deprecated import from `@pir/nn`. */
export type ParamStore = nn.ParamStore;
/** @deprecated import from `@pir/nn`. */
export type TorchLayout = nn.TorchLayout;
/** @deprecated import from `@pir/nn`. */
export const tfShape = nn.tfShape;
/** @deprecated import from `@pir/nn`. */
export const torchToTfPerm = nn.torchToTfPerm;
/** @deprecated import from `@pir/nn`. */
export const batchNormSpecs = nn.batchNormSpecs;
/** @deprecated import from `@pir/nn`. */
export const conv2dSpecs = nn.conv2dSpecs;
/** @deprecated import from `@pir/nn`. */
export const embeddingSpecs = nn.embeddingSpecs;
/** @deprecated import from `@pir/nn`. */
export const layerNormSpecs = nn.layerNormSpecs;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const packBatch = tokenizers.packBatch;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const basicTokenize = tokenizers.basicTokenize;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const bertUncasedVocab = tokenizers.bertUncasedVocab;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const bertVocabFromSentencePiece = tokenizers.bertVocabFromSentencePiece;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const clipMerges = tokenizers.clipMerges;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const unescapeHtml = tokenizers.unescapeHtml;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export type VocabJSON = tokenizers.VocabJSON;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export type WordPieceOptions = tokenizers.WordPieceOptions;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export type WordVocabOptions = tokenizers.WordVocabOptions;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const captionWords = tokenizers.captionWords;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const DEFAULT_SPECIALS = tokenizers.DEFAULT_SPECIALS;
/** @deprecated import from `@pir/encoders/tokenizers`. */
export const wordPieceToJSON = tokenizers.wordPieceToJSON;
/** @deprecated import from `@pir/encoders/weights`. */
export type ToTensorsOptions = weights.ToTensorsOptions;
/** @deprecated import from `@pir/nn`. */
export const bfloat16ToFloat = nn.bfloat16ToFloat;
/** @deprecated import from `@pir/encoders/weights`. */
export const contiguousStrides = weights.contiguousStrides;
/** @deprecated import from `@pir/nn`. */
export const floatToHalf = nn.floatToHalf;
/** @deprecated import from `@pir/nn`. */
export const halfToFloat = nn.halfToFloat;
/** @deprecated import from `@pir/encoders/weights`. */
export const permute = weights.permute;
/** @deprecated import from `@pir/encoders/weights`. */
export const stateDictToTensors = weights.stateDictToTensors;
/** @deprecated import from `@pir/nn`. */
export const toFloat32 = nn.toFloat32;
/** @deprecated import from `@pir/encoders/weights`. */
export type WeightsFormat = weights.WeightsFormat;
/** @deprecated import from `@pir/encoders/weights`. */
export const detectWeightsFormat = weights.detectWeightsFormat;
/** @deprecated import from `@pir/encoders/weights`. */
export type NameMap = weights.NameMap;
/** @deprecated import from `@pir/encoders/weights`. */
export const PIR_ITR_PREFIXES = weights.PIR_ITR_PREFIXES;
/** @deprecated import from `@pir/encoders/weights`. */
export const splitStateDict = weights.splitStateDict;
/** @deprecated import from `@pir/encoders/weights`. */
export type CheckKeysOptions = weights.CheckKeysOptions;
/** @deprecated import from `@pir/encoders/weights`. */
export type KeyReport = weights.KeyReport;
/** @deprecated import from `@pir/encoders/weights`. */
export type NameRule = weights.NameRule;
/** @deprecated import from `@pir/encoders/weights`. */
export const applyNameMap = weights.applyNameMap;
/** @deprecated import from `@pir/encoders/weights`. */
export const checkKeys = weights.checkKeys;
/** @deprecated import from `@pir/encoders/weights`. */
export const PyObject = weights.PyObject;
/** @deprecated import from `@pir/encoders/weights`. */
export type PyObject = weights.PyObject;
/** @deprecated import from `@pir/encoders/weights`. */
export type ReadOptions = weights.ReadOptions;
/** @deprecated import from `@pir/encoders/weights`. */
export type SafetensorsEntry = weights.SafetensorsEntry;
/** @deprecated import from `@pir/encoders/weights`. */
export type SafetensorsHeader = weights.SafetensorsHeader;
/** @deprecated import from `@pir/encoders/weights`. */
export const readSafetensors = weights.readSafetensors;
/** @deprecated import from `@pir/encoders/weights`. */
export const readSafetensorsHeader = weights.readSafetensorsHeader;
/** @deprecated import from `@pir/encoders/weights`. */
export type TorchReadOptions = weights.TorchReadOptions;
/** @deprecated import from `@pir/encoders/weights`. */
export const findStateDict = weights.findStateDict;
/** @deprecated import from `@pir/encoders/weights`. */
export const flattenTensors = weights.flattenTensors;
/** @deprecated import from `@pir/encoders/weights`. */
export const isStateTensor = weights.isStateTensor;
/** @deprecated import from `@pir/encoders/weights`. */
export const readTorch = weights.readTorch;
/** @deprecated import from `@pir/encoders/weights`. */
export const unpickleTorch = weights.unpickleTorch;
/** @deprecated import from `@pir/nn`. */
export type StateData = nn.StateData;
/** @deprecated import from `@pir/nn`. */
export type StateDataOf = nn.StateDataOf;
/** @deprecated import from `@pir/nn`. */
export type StateDType = nn.StateDType;
/** @deprecated import from `@pir/nn`. */
export type StateTensor = nn.StateTensor;
/** @deprecated import from `@pir/nn`. */
export const DTYPE_BYTES = nn.DTYPE_BYTES;
