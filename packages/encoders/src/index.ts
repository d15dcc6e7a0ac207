/**
 * `@pir/encoders` — the backbones of PIR-ITR and PIR-CLIP behind one contract, tokenizers that give the
 * reference token ids, and PyTorch weight import (safetensors and torch `.pth`/`.pt`/`.bin`, no Python step).
 *
 * What is here (the top level):
 * - **the contract** — {@link VisionEncoder}, {@link TextEncoder}, {@link InstructionEncoder},
 *   {@link EncoderOutput}, {@link Tokenizer}: what a PIR model takes, so your own encoder plugs in;
 * - **the architectures** — Swin-T, BERT, torchvision ResNet, CLIP ViT, CLIP text, CLIP RN50, GRU; each
 *   constructor defaults to the published size (`new SwinTransformer()` is Swin-T), tiny `*_TEST` sizes are
 *   asked for by name; {@link createEncoder} / {@link encoderConfig} / {@link listEncoders} by name;
 * - **tokenizers** — CLIP BPE, BERT WordPiece, vocabularies built from captions;
 * - **loading weights** — {@link readWeights} / {@link loadWeightsFile} (safetensors or torch zip),
 *   `loadStateDict` / `stateDict` (`@pir/nn`'s one loader), the name maps of the published checkpoints.
 *
 * Building blocks live behind subpaths: `@pir/encoders/models` (spec functions, Swin windows, CLIP transformer,
 * …), `@pir/encoders/layers` (tfjs Layers: Linear, LayerNorm, Conv2d, BatchNorm, self-attention),
 * `@pir/encoders/tokenizers` and `@pir/encoders/weights` (readers, writers, conversions, key checks).
 */
// @pir/runtime registers tfjs's gradients with its corrections (whatever the import order)
import '@pir/runtime';

export {
  type LoadReport,
  type LoadStateDictOptions,
  loadStateDict,
  type StateDict,
  StateDictError,
  type StateDictLike,
  stateDict,
} from '@pir/nn';
export type {
  EncoderOutput,
  InstructionEncoder,
  TextEncoder,
  TokenizedBatch,
  Tokenizer,
  VisionEncoder,
} from './contract.js';
// Names of @pir/encoders 0.1 that moved to a subpath or to @pir/nn: deprecated, kept for one release.
export * from './deprecated.js';
export { EncoderError } from './layers/errors.js';
export {
  type ArchitectureOf,
  asInstructionEncoder,
  BERT_BASE,
  BERT_TEST,
  type BertConfig,
  BertEncoder,
  CLIP_RN_TEST,
  CLIP_RN50,
  CLIP_TEXT_B32,
  CLIP_TEXT_TEST,
  CLIP_VIT_B32,
  CLIP_VIT_TEST,
  type ClipTextConfig,
  ClipTextTransformer,
  type ClipVisionConfig,
  ClipVisionTransformer,
  type CreateEncoderOptions,
  createEncoder,
  ENCODER_CONFIGS,
  type EncoderArchitecture,
  type EncoderArchitectures,
  type EncoderName,
  type EpochStats,
  encoderConfig,
  type FoldBatchNorm,
  type FoldedConvs,
  GRU_TEST,
  GRU_VSE,
  type GruTextConfig,
  GruTextEncoder,
  type InstructionView,
  listEncoders,
  type ModelOptions,
  ModifiedResNet,
  type ModifiedResNetConfig,
  type NamedEncoderConfig,
  type PretrainedInstructionEncoder,
  type PretrainOptions,
  pretrainInstructionEncoder,
  RESNET_TEST,
  RESNET18,
  RESNET50,
  ResNet,
  type ResNetConfig,
  type ResNetOptions,
  SWIN_T,
  SWIN_TEST,
  type SwinConfig,
  SwinTransformer,
  type TextModelOptions,
} from './models/index.js';
export {
  BertTokenizer,
  type BertTokenizerOptions,
  buildWordVocab,
  ClipTokenizer,
  type ClipTokenizerOptions,
  loadBertTokenizer,
  loadClipTokenizer,
  TokenizerError,
  tokenizerFromJSON,
  trainWordPiece,
  WordTokenizer,
  wordPieceToJSON,
} from './tokenizers/index.js';
export {
  loadWeightsFile,
  mapStateDict,
  NAME_MAPS,
  type NameMapName,
  readWeights,
  saveWeightsFile,
  WeightsError,
  writeSafetensors,
} from './weights/index.js';
