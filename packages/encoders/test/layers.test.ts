/**
 * The tfjs Layers of `src/layers`: shapes, agreement with the functional forms (with PyTorch-layout weights),
 * serialization round trip through `model.save` / `loadLayersModel`, gradient to every trainable weight,
 * masks, leaks and errors. (The functional forms are checked against PyTorch by the model golden tests.)
 */

import { attentionBias, gelu, linearTorch, loadStateDict, quickGelu, stateDict } from '@pir/nn';
import type { SpecLayer } from '@pir/nn/layers';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import {
  BatchNorm,
  batchNormInference,
  Conv2d,
  conv2d,
  EncoderError,
  Gelu,
  LayerNorm,
  Linear,
  MultiHeadSelfAttention,
  patchEmbed,
} from '../src/layers/index.js';

const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

async function roundTrip(layer: tfl.layers.Layer, inputShape: number[], x: tf.Tensor): Promise<void> {
  const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape }), layer] });
  const y = model.predict(x) as tf.Tensor;
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
  const y2 = loaded.predict(x) as tf.Tensor;
  await expectAllClose(y2, y, { atol: 1e-6, rtol: 1e-6 }, `${layer.getClassName()} round trip`);
  const strip = (c: tf.serialization.ConfigDict) => {
    const { name: _n, batchInputShape: _b, ...rest } = c;
    return rest;
  };
  expect(strip((loaded.layers[loaded.layers.length - 1] as tfl.layers.Layer).getConfig())).toEqual(
    strip(layer.getConfig()),
  );
  tf.dispose([y, y2]);
  model.dispose();
  loaded.dispose();
}

async function gradsReachWeights(layer: tfl.layers.Layer, x: tf.Tensor): Promise<void> {
  const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  expect(vars.length).toBeGreaterThan(0);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar,
    vars,
  );
  for (const v of vars) {
    const s = tf.sum(tf.abs(grads[v.name] as tf.Tensor));
    expect((await s.data())[0], `${layer.getClassName()} ${v.name}`).toBeGreaterThan(0);
    s.dispose();
  }
  tf.dispose([value, ...Object.values(grads)]);
}

describeBackends('layers', () => {
  it('Linear: PyTorch [out, in] import equals F.linear; round trip; gradients', async () => {
    const fc = new Linear({ units: 4 });
    const x = rnd([2, 3, 5], 1);
    fc.apply(x);
    const w = rnd([4, 5], 2);
    const b = rnd([4], 3);
    fc.setTorchWeights(w, b);
    const ref = linearTorch(x, w, b);
    await expectAllClose(fc.apply(x) as tf.Tensor, ref, undefined, 'Linear');
    await roundTrip(fc, [3, 5], x);
    await gradsReachWeights(fc, x);
    tf.dispose([x, w, b, ref]);
  });

  it('LayerNorm: zero mean, unit variance; round trip; gradients', async () => {
    const ln = new LayerNorm({ epsilon: 1e-6 });
    const x = rnd([3, 8], 4);
    const y = ln.apply(x) as tf.Tensor;
    const { mean, variance } = tf.moments(y, -1);
    await expectAllClose(mean, tf.zeros([3]), { atol: 1e-5, rtol: 0 }, 'mean');
    await expectAllClose(variance, tf.ones([3]), { atol: 1e-4, rtol: 0 }, 'variance');
    await roundTrip(ln, [8], x);
    await gradsReachWeights(ln, x);
    tf.dispose([x, y, mean, variance]);
  });

  it('GELU and QuickGELU values; Gelu layer round trip', async () => {
    const x = tf.tensor1d([-2, -1, 0, 1, 2]);
    // PyTorch 1.13: F.gelu(x) and x * torch.sigmoid(1.702 * x)
    await expectAllClose(
      gelu(x),
      [-0.04550026, -0.15865526, 0, 0.84134474, 1.95449974],
      { atol: 1e-5, rtol: 1e-5 },
      'gelu',
    );
    await expectAllClose(
      quickGelu(x),
      [-0.06434137, -0.15420423, 0, 0.84579575, 1.93565857],
      { atol: 1e-5, rtol: 1e-5 },
      'quickGelu',
    );
    await roundTrip(new Gelu({ kind: 'quick_gelu' }), [5], tf.reshape(x, [1, 5]));
    expect(() => new Gelu({ kind: 'tanh' as 'gelu' })).toThrow(EncoderError);
    x.dispose();
  });

  it('MultiHeadSelfAttention: key padding hides padded tokens, causal hides the future; round trip; gradients', async () => {
    const attn = new MultiHeadSelfAttention({ heads: 2 });
    const x = rnd([2, 4, 6], 5);
    const mask = tf.tensor2d([
      [1, 1, 1, 0],
      [1, 1, 1, 1],
    ]);
    const y = attn.apply([x, mask]) as tf.Tensor;
    // changing the padded token of sample 0 does not change its real tokens
    const x2 = tf.tidy(() => tf.concat([tf.slice(x, [0, 0, 0], [2, 3, 6]), tf.fill([2, 1, 6], 7)], 1));
    const y2 = attn.apply([x2, mask]) as tf.Tensor;
    await expectAllClose(
      tf.slice(y2, [0, 0, 0], [1, 3, 6]),
      tf.slice(y, [0, 0, 0], [1, 3, 6]),
      undefined,
      'padding',
    );
    const causal = new MultiHeadSelfAttention({ heads: 3, causal: true });
    const c1 = causal.apply(x) as tf.Tensor;
    const c2 = causal.apply(x2) as tf.Tensor;
    await expectAllClose(
      tf.slice(c2, [0, 0, 0], [2, 3, 6]),
      tf.slice(c1, [0, 0, 0], [2, 3, 6]),
      undefined,
      'causal',
    );
    await roundTrip(causal, [4, 6], x);
    await gradsReachWeights(attn, x);
    await expectNoLeak(() => attentionBias({ keyMask: mask, causalLength: 4 })?.dispose(), 'attentionBias');
    expect(attentionBias({})).toBeNull();
    expect(() => new MultiHeadSelfAttention({ heads: 4 }).apply(x)).toThrow(/not divisible/);
    tf.dispose([x, mask, y, x2, y2, c1, c2]);
  });

  it('Conv2d: PyTorch weights, padding; the patch stem (stride = kernel) equals conv2d; round trip; gradients', async () => {
    const x = rnd([2, 8, 8, 3], 6);
    const c = new Conv2d({ filters: 5, kernelSize: 3, stride: 2, padding: 1 });
    expect((c.apply(x) as tf.Tensor).shape).toEqual([2, 4, 4, 5]);
    const wTorch = rnd([5, 3, 3, 3], 7);
    c.setTorchWeights(wTorch, tf.zeros([5]));
    const ref = conv2d(x as tf.Tensor4D, tf.transpose(wTorch, [2, 3, 1, 0]) as tf.Tensor4D, null, 2, 1);
    await expectAllClose(c.apply(x) as tf.Tensor, ref, undefined, 'Conv2d');
    const k = rnd([4, 4, 3, 6], 8) as tf.Tensor4D;
    const viaConv = conv2d(x as tf.Tensor4D, k, null, 4);
    await expectAllClose(patchEmbed(x as tf.Tensor4D, k, 4), viaConv, undefined, 'patchEmbed');
    const stem = new Conv2d({ filters: 6, kernelSize: 4, stride: 4, useBias: false });
    (stem.apply(x) as tf.Tensor).dispose(); // build
    await gradsReachWeights(stem, x);
    await roundTrip(stem, [8, 8, 3], x);
    await gradsReachWeights(c, x);
    expect(() => patchEmbed(x as tf.Tensor4D, k, 3)).toThrow(/kernel must be \[3, 3, 3, D\]/);
    tf.dispose([x, wTorch, ref, k, viaConv]);
  });

  it('BatchNorm: inference uses running statistics; training updates them unless frozen; round trip; gradients', async () => {
    const bn = new BatchNorm();
    const x = rnd([4, 3, 3, 2], 9);
    bn.apply(x);
    const [g, b, m, v] = [
      tf.tensor1d([1.5, 0.5]),
      tf.tensor1d([0.1, -0.2]),
      tf.tensor1d([0.3, -0.1]),
      tf.tensor1d([2, 0.5]),
    ];
    bn.setTorchWeights(g, b, m, v);
    await expectAllClose(bn.apply(x) as tf.Tensor, batchNormInference(x, m, v, g, b), undefined, 'inference');
    bn.apply(x, { training: true });
    expect(Array.from(await bn.getWeights()[2]!.data())).not.toEqual(Array.from(await m.data()));
    bn.setTorchWeights(g, b, m, v);
    bn.trainable = false;
    bn.apply(x, { training: true });
    expect(Array.from(await bn.getWeights()[2]!.data())).toEqual(Array.from(await m.data()));
    bn.trainable = true;
    await roundTrip(new BatchNorm({ momentum: 0.2 }), [3, 3, 2], x);
    await gradsReachWeights(bn, x);
    tf.dispose([x, g, b, m, v]);
  });

  it('layers leak nothing in apply', async () => {
    const x = rnd([2, 4, 4, 3], 10);
    const seq = rnd([2, 4, 6], 11);
    const layers: [tfl.layers.Layer, tf.Tensor][] = [
      [new Linear({ units: 3 }), seq],
      [new LayerNorm(), seq],
      [new Gelu(), seq],
      [new MultiHeadSelfAttention({ heads: 2, causal: true }), seq],
      [new Conv2d({ filters: 2, kernelSize: 3, padding: 1 }), x],
      [new BatchNorm(), x],
    ];
    for (const [layer, input] of layers) {
      layer.apply(input); // build
      await expectNoLeak(() => (layer.apply(input) as tf.Tensor).dispose(), layer.getClassName());
    }
    tf.dispose([x, seq]);
  });

  it('every Layer with weights is a HasParameters: PyTorch names, one loader, one exporter', async () => {
    const x = rnd([2, 4, 6], 11);
    const cases: [SpecLayer, tf.Tensor, string[]][] = [
      [new Linear({ units: 3, seed: 1 }), x, ['weight', 'bias']],
      [new LayerNorm({ seed: 1 }), x, ['weight', 'bias']],
      [
        new MultiHeadSelfAttention({ heads: 2, seed: 1 }),
        x,
        ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias'],
      ],
      [
        new BatchNorm({ seed: 1 }),
        tf.reshape(x, [2, 2, 2, 6]),
        ['weight', 'bias', 'running_mean', 'running_var'],
      ],
      [new Conv2d({ filters: 2, kernelSize: 1, seed: 1 }), tf.reshape(x, [2, 2, 2, 6]), ['weight', 'bias']],
    ];
    for (const [layer, input, names] of cases) {
      const y = layer.apply(input) as tf.Tensor;
      const sd = await stateDict(layer);
      expect([...sd.keys()], layer.getClassName()).toEqual(names);
      // a second layer of the same kind, other seed: loading the first's state dict reproduces its output
      const twin = new (layer.constructor as new (c: object) => typeof layer)({
        ...layer.getConfig(),
        seed: 2,
      });
      const y0 = twin.apply(input) as tf.Tensor;
      expect(loadStateDict(twin, sd).loaded).toEqual(names);
      const y1 = twin.apply(input) as tf.Tensor;
      await expectAllClose(y1, y, { atol: 1e-6, rtol: 1e-6 }, layer.getClassName());
      tf.dispose([y, y0, y1]);
      layer.dispose();
      twin.dispose();
    }
    // the same seed gives the same weights
    const [a, b] = [new Linear({ units: 3, seed: 9 }), new Linear({ units: 3, seed: 9 })];
    tf.dispose([a.apply(x) as tf.Tensor, b.apply(x) as tf.Tensor]);
    expect(Array.from((await stateDict(a)).get('weight')?.data as Float32Array)).toEqual(
      Array.from((await stateDict(b)).get('weight')?.data as Float32Array),
    );
    expect(() => new Linear({ units: 3 }).paramSpecs()).toThrow(/depend on the input width/);
    a.dispose();
    b.dispose();
    tf.dispose([x, ...cases.map((c) => c[1])]);
  });
});
