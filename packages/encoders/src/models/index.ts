/**
 * `@pir/encoders/models` — every architecture with its building blocks: the encoder classes and their
 * configurations (published and test sizes), the named-configuration catalogue, the parameter-spec functions
 * (PyTorch names and shapes, for counting and checking without allocating) and the functional pieces the
 * classes are made of (Swin windows, CLIP's transformer and attention pool, the GRU direction, BatchNorm
 * application). The top level `@pir/encoders` exports the classes, configurations and catalogue.
 */
export { BERT_BASE, BERT_TEST, type BertConfig, BertEncoder, bertSpecs } from './bert.js';
export {
  type ArchitectureOf,
  type CreateEncoderOptions,
  createEncoder,
  ENCODER_CONFIGS,
  type EncoderArchitecture,
  type EncoderArchitectures,
  type EncoderName,
  encoderConfig,
  listEncoders,
  type NamedEncoderConfig,
} from './catalogue.js';
export {
  CLIP_TEXT_B32,
  CLIP_TEXT_TEST,
  type ClipTextConfig,
  ClipTextTransformer,
  clipTextSpecs,
} from './clip_text.js';
export { type ClipTransformerShape, clipTransformer, clipTransformerSpecs } from './clip_transformer.js';
export {
  CLIP_VIT_B32,
  CLIP_VIT_TEST,
  type ClipVisionConfig,
  ClipVisionTransformer,
  clipVisionSpecs,
} from './clip_vit.js';
export { GRU_TEST, GRU_VSE, type GruTextConfig, GruTextEncoder, gruDirection, gruTextSpecs } from './gru.js';
export { normalLinear } from './init.js';
export {
  type EpochStats,
  type PretrainedInstructionEncoder,
  type PretrainOptions,
  pretrainInstructionEncoder,
} from './instruction_pretrain.js';
export {
  attentionPool2d,
  CLIP_RN_TEST,
  CLIP_RN50,
  ModifiedResNet,
  type ModifiedResNetConfig,
  modifiedResNetSpecs,
} from './modified_resnet.js';
export type { FoldBatchNorm, ModelOptions, ResNetOptions, TextModelOptions } from './options.js';
export {
  applyBatchNorm,
  asInstructionEncoder,
  FoldedConvs,
  type InstructionView,
  RESNET_TEST,
  RESNET18,
  RESNET50,
  ResNet,
  type ResNetConfig,
  resnetSpecs,
} from './resnet.js';
export {
  patchMerging,
  relativePositionIndex,
  roll2d,
  SWIN_T,
  SWIN_TEST,
  type SwinConfig,
  SwinTransformer,
  shiftedWindowMask,
  swinSpecs,
  windowPartition,
  windowReverse,
} from './swin.js';
export { MissingTokenizer } from './tokenizer_stub.js';
