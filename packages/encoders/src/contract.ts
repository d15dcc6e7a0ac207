/**
 * The encoder contract: what "swap in your own encoder" means. A PIR model takes encoders by these
 * interfaces; any tfjs model that returns these tensors (and says which of its variables train) plugs in
 * with no change to the PIR layers.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** What an encoder returns for a batch. */
export interface EncoderOutput {
  /** Pooled feature per sample [B, D] (vision: pooled/class token; text: [CLS] / end-of-text token). */
  global: tf.Tensor2D;
  /** Token features [B, N, D] (vision: patches/grid cells; text: every token). */
  local: tf.Tensor3D;
  /** Which tokens are real [B, N] (1 = keep, 0 = padding); absent when every token is real. */
  mask?: tf.Tensor2D;
}

/** Token ids and attention mask of a batch of texts, as a tokenizer returns them. */
export interface TokenizedBatch {
  /** Token ids [B, L] (int32). */
  ids: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding [B, L] (int32 or float32). */
  mask: tf.Tensor2D;
}

/** Turns strings into token ids (CLIP BPE, BERT WordPiece, or a vocabulary built from captions). */
export interface Tokenizer {
  /** Vocabulary size (ids are in [0, vocabSize)). */
  readonly vocabSize: number;
  /** Fixed sequence length of {@link Tokenizer.batch} (CLIP: 77; PIR-ITR BERT: 47). */
  readonly contextLength: number;
  /** Ids of one text, with the model's special tokens, not padded or truncated. */
  encode(text: string): number[];
  /** Text of a list of ids (special tokens dropped). */
  decode(ids: readonly number[]): string;
  /** Ids and mask of several texts, truncated/padded to {@link Tokenizer.contextLength}. */
  batch(texts: readonly string[]): TokenizedBatch;
}

/** Images → tokens. */
export interface VisionEncoder {
  /** Width D of `global` and `local`. */
  readonly dim: number;
  /**
   * Number N of `local` tokens, when the architecture fixes it (Swin, ViT: the input size is part of the
   * configuration); absent when it depends on the input (a torchvision ResNet). Models use it to check their
   * configuration (PIR-ITR's `k ≤ 1 + N`) before the first batch.
   */
  readonly localTokens?: number;
  /**
   * @param images [B, H, W, 3] float32, already normalised (e.g. CLIP mean/std), channels last
   * @param training dropout / batch-norm statistics in training mode
   */
  encode(images: tf.Tensor4D, training?: boolean): EncoderOutput;
  /**
   * Activation checkpointing (optional; encoders built from repeated blocks support it): `true` keeps only
   * each block's input for the backward pass and recomputes the block there (`checkpoint` of `@pir/nn`) —
   * same gradients, a fraction of the memory, one extra forward pass. Default false. Encoders without it
   * leave the property absent.
   */
  gradientCheckpointing?: boolean;
  /**
   * The variables a model trains when it fine-tunes this encoder (`[]` for a frozen one). The PIR models
   * collect these; nothing else of the encoder is looked at.
   */
  trainableVariables(): tf.Variable[];
}

/** Token ids → tokens. */
export interface TextEncoder {
  /** Width D of `global` and `local`. */
  readonly dim: number;
  readonly tokenizer: Tokenizer;
  /**
   * @param ids [B, L] int32 token ids
   * @param mask [B, L] 1 = real token, 0 = padding
   */
  encode(ids: tf.Tensor2D, mask: tf.Tensor2D, training?: boolean): EncoderOutput;
  /**
   * Activation checkpointing (optional; encoders built from repeated blocks support it): `true` keeps only
   * each block's input for the backward pass and recomputes the block there (`checkpoint` of `@pir/nn`) —
   * same gradients, a fraction of the memory, one extra forward pass. Default false. Encoders without it
   * leave the property absent.
   */
  gradientCheckpointing?: boolean;
  /** The variables a model trains when it fine-tunes this encoder (`[]` for a frozen one). */
  trainableVariables(): tf.Variable[];
}

/**
 * The instruction encoder: a frozen scene classifier whose pooled feature guides belief. The PIR models never
 * train it, so it declares no variables.
 */
export interface InstructionEncoder {
  /** Width Di of the instruction vector. */
  readonly dim: number;
  /** @param images [B, H, W, 3] → [B, Di] */
  encode(images: tf.Tensor4D): tf.Tensor2D;
}
