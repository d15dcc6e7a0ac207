/**
 * The encoder architectures of `@pir/encoders` (and their building blocks), with PyTorch parameter names.
 */
export * from '../layers/index.js';
export { BERT_BASE, BERT_TINY, type BertConfig, BertEncoder, bertSpecs } from './bert.js';
export {
  CLIP_TEXT_B32,
  CLIP_TEXT_TINY,
  type ClipTextConfig,
  ClipTextTransformer,
  clipTextSpecs,
  type TextModelOptions,
} from './clip_text.js';
export { type ClipTransformerShape, clipTransformer, clipTransformerSpecs } from './clip_transformer.js';
export {
  CLIP_VIT_B32,
  CLIP_VIT_TINY,
  type ClipVisionConfig,
  ClipVisionTransformer,
  clipVisionSpecs,
  type ModelOptions,
} from './clip_vit.js';
export {
  GRU_TINY,
  GRU_VSE,
  type GruTextConfig,
  GruTextEncoder,
  gruDirection,
  gruTextSpecs,
} from './gru.js';
export {
  type EpochStats,
  type PretrainedInstructionEncoder,
  type PretrainOptions,
  pretrainInstructionEncoder,
} from './instruction_pretrain.js';
export {
  attentionPool2d,
  CLIP_RN50,
  MODIFIED_RESNET_TINY,
  ModifiedResNet,
  type ModifiedResNetConfig,
  modifiedResNetSpecs,
} from './modified_resnet.js';
export {
  applyBatchNorm,
  asInstructionEncoder,
  RESNET_TINY,
  RESNET18,
  RESNET50,
  ResNet,
  type ResNetConfig,
  resnetSpecs,
} from './resnet.js';
export {
  type HasParams,
  type LoadReport,
  type LoadStateDictOptions,
  loadStateDict,
  type StateDictLike,
  type StateEntry,
  stateDictOf,
} from './state_dict.js';
export {
  patchMerging,
  relativePositionIndex,
  roll2d,
  SWIN_T,
  SWIN_TINY,
  type SwinConfig,
  SwinTransformer,
  shiftedWindowMask,
  swinSpecs,
  windowPartition,
  windowReverse,
} from './swin.js';
export { MissingTokenizer } from './tokenizer_stub.js';
