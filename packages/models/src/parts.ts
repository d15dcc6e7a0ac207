/** Pieces shared by the PIR models. */
import type { ParamSpec } from '@pir/encoders';
import * as tf from '@tensorflow/tfjs-core';

/** Variables an encoder exposes for training: `trainableVariables()` or a `params` store; else none. */
export function encoderVariables(e: object): tf.Variable[] {
  const x = e as {
    trainableVariables?: () => tf.Variable[];
    params?: { trainableVariables?: () => tf.Variable[] };
  };
  if (typeof x.trainableVariables === 'function') return x.trainableVariables();
  if (x.params !== undefined && typeof x.params.trainableVariables === 'function')
    return x.params.trainableVariables();
  return [];
}

/** `name.weight` [out, in] (PyTorch layout) and `name.bias`, initialised as PyTorch's `nn.Linear`. */
export function linearSpecs(name: string, inDim: number, outDim: number): ParamSpec[] {
  const limit = 1 / Math.sqrt(inDim);
  return [
    { name: `${name}.weight`, shape: [outDim, inDim], layout: 'linear', init: { kind: 'uniform', limit } },
    { name: `${name}.bias`, shape: [outDim], init: { kind: 'uniform', limit } },
  ];
}

/** `x · W + b` over the last axis with a `[in, out]` kernel. */
export function project(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1] as number;
  const out = w.shape[1] as number;
  const y = tf.add(tf.matMul(tf.reshape(x, [-1, inDim]), w), b);
  return tf.reshape(y, [...x.shape.slice(0, -1), out]);
}
