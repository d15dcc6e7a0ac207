/** Helpers of the models' golden tests: fixture state dicts and encoder stubs. */
import type { ClipVisionTransformer, EncoderOutput } from '@pir/encoders';
import { float32FromBase64 } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';

/** A fixture tensor: its shape and float32 little-endian values in base64. */
export interface F32Entry {
  shape: number[];
  f32: string;
}

/** A fixture state dict as `{name → {shape, data}}` (what the models' and encoders' loaders take). */
export function decodeState(
  sd: Record<string, F32Entry>,
): Record<string, { shape: number[]; data: Float32Array }> {
  return Object.fromEntries(
    Object.entries(sd).map(([k, e]) => [k, { shape: e.shape, data: float32FromBase64(e.f32) }]),
  );
}

/** An encoder of width `dim` whose `encode` must not be called (the heads are fed fixture outputs). */
export function stub(
  dim: number,
  role: string,
): { dim: number; encode(): never; trainableVariables(): tf.Variable[] } {
  return {
    dim,
    encode(): never {
      throw new Error(`the ${role} encoder stub is not used by imageHead / textHead`);
    },
    trainableVariables: () => [],
  };
}

/** The ViT stem's tokens as the encoder output `PirClip.imageHead` takes (class token, patch tokens). */
export function vitStem(vit: ClipVisionTransformer, images: tf.Tensor4D): EncoderOutput {
  return tf.tidy(() => {
    const x = vit.embed(images); // [B, 1+N, W]
    const [b, l, w] = x.shape;
    return {
      global: tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, w]), [b, w]) as tf.Tensor2D,
      local: tf.slice(x, [0, 1, 0], [b, l - 1, w]) as tf.Tensor3D,
    };
  });
}
