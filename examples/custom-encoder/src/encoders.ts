/**
 * Three encoders written by a user, with plain TensorFlow.js — nothing from `@pir/*` but the contract's types.
 * PIR-ITR takes them as they are: the contract is `dim`, `encode(...)` returning `{ global, local, mask? }`, and
 * `trainableVariables()`.
 *
 * - {@link TinyCnnVision}: two strided convolutions (tfjs-layers), the 8 × 8 grid as local tokens, their mean
 *   as the global feature;
 * - {@link BiGruText}: word embeddings and a bidirectional GRU (tfjs-layers), so token 0 has read the caption;
 * - {@link ColourLayoutInstruction}: a frozen, weightless instruction encoder — the mean colour of each cell of
 *   a 4 × 4 grid (48 numbers), a crude scene prior that needs no training.
 */
import type { EncoderOutput, InstructionEncoder, TextEncoder, Tokenizer, VisionEncoder } from '@pir/encoders';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** The trainable variables of a tfjs-layers model (what optimisers update). */
function variablesOf(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** A two-layer CNN: [B, S, S, 3] → local [B, (S/4)², D], global = mean of the local tokens. */
export class TinyCnnVision implements VisionEncoder {
  readonly dim: number;
  readonly localTokens: number;
  private readonly net: tfl.LayersModel;

  constructor(imageSize: number, dim = 32, seed = 1) {
    this.dim = dim;
    this.localTokens = (imageSize / 4) ** 2;
    const init = (s: number) => tfl.initializers.heNormal({ seed: seed + s });
    this.net = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [imageSize, imageSize, 3],
          filters: 16,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(0),
        }),
        tfl.layers.conv2d({
          filters: dim,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(1),
        }),
      ],
    });
  }

  encode(images: tf.Tensor4D, _training = false): EncoderOutput {
    return tf.tidy(() => {
      const grid = this.net.apply(images) as tf.Tensor4D; // [B, S/4, S/4, D]
      const [b, h, w, d] = grid.shape;
      const local = tf.reshape(grid, [b, h * w, d]) as tf.Tensor3D; // [B, N, D]
      return { global: tf.mean(local, 1) as tf.Tensor2D, local };
    });
  }

  trainableVariables(): tf.Variable[] {
    return variablesOf(this.net);
  }

  dispose(): void {
    this.net.dispose();
  }
}

/** Embedding + bidirectional GRU: ids [B, L] → local [B, L, D] (D = 2 × units), global = token 0. */
export class BiGruText implements TextEncoder {
  readonly dim: number;
  private readonly net: tfl.LayersModel;

  constructor(
    readonly tokenizer: Tokenizer,
    units = 16,
    seed = 2,
  ) {
    this.dim = 2 * units;
    this.net = tfl.sequential({
      layers: [
        tfl.layers.embedding({
          inputDim: tokenizer.vocabSize,
          outputDim: 32,
          inputLength: tokenizer.contextLength,
          embeddingsInitializer: tfl.initializers.randomNormal({ stddev: 0.1, seed }),
        }),
        tfl.layers.bidirectional({
          layer: tfl.layers.gru({
            units,
            returnSequences: true,
            kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
            recurrentInitializer: tfl.initializers.glorotUniform({ seed: seed + 2 }),
          }) as tfl.RNN,
          mergeMode: 'concat',
        }),
      ],
    });
  }

  encode(ids: tf.Tensor2D, mask: tf.Tensor2D, _training = false): EncoderOutput {
    return tf.tidy(() => {
      const local = this.net.apply(tf.cast(ids, 'float32')) as tf.Tensor3D; // [B, L, D]
      const [b, , d] = local.shape;
      const global = tf.reshape(tf.slice(local, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D;
      return { global, local, mask: tf.cast(mask, 'float32') as tf.Tensor2D };
    });
  }

  trainableVariables(): tf.Variable[] {
    return variablesOf(this.net);
  }

  dispose(): void {
    this.net.dispose();
  }
}

/** Mean colour of each cell of a `cells` × `cells` grid: [B, S, S, 3] → [B, 3·cells²]. No weights: frozen. */
export class ColourLayoutInstruction implements InstructionEncoder {
  readonly dim: number;

  constructor(private readonly cells = 4) {
    this.dim = 3 * cells * cells;
  }

  encode(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const [b, s] = images.shape;
      const k = Math.floor(s / this.cells);
      const pooled = tf.avgPool(images, k, k, 'valid'); // [B, cells, cells, 3]
      return tf.reshape(pooled, [b, this.dim]) as tf.Tensor2D;
    });
  }
}
