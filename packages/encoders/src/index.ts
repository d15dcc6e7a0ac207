/**
 * `@pir/encoders` — vision and text encoders for PIR, tokenizers and PyTorch weight import.
 */
export type {
  EncoderOutput,
  InstructionEncoder,
  TextEncoder,
  TokenizedBatch,
  Tokenizer,
  VisionEncoder,
} from './contract.js';
