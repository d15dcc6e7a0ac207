/**
 * `@pir/encoders` — the backbones of PIR-ITR and PIR-CLIP behind one contract, tokenizers that give the
 * reference token ids, and PyTorch weight import (safetensors and torch `.pth`/`.pt`/`.bin`, no Python step).
 *
 * - the contract: {@link VisionEncoder}, {@link TextEncoder}, {@link InstructionEncoder}, {@link EncoderOutput};
 * - architectures (PyTorch parameter names, `loadStateDict`): CLIP ViT, CLIP text transformer, torchvision
 *   ResNet, BERT — and their building blocks as layers and functions;
 * - tokenizers: CLIP BPE, BERT WordPiece, word/WordPiece vocabularies built from captions;
 * - weights: `readWeights` / `readTorch` / `readSafetensors` / `writeSafetensors`, name maps, key checks.
 */
// @pir/runtime registers tfjs's gradients with its corrections (whatever the import order)
import '@pir/runtime';

export type {
  EncoderOutput,
  InstructionEncoder,
  TextEncoder,
  TokenizedBatch,
  Tokenizer,
  VisionEncoder,
} from './contract.js';
export * from './deprecated.js';
export * from './models/index.js';
export * from './tokenizers/index.js';
export * from './weights/index.js';
