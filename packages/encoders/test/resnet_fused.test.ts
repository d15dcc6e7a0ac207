/**
 * Folded BatchNorm for frozen ResNets: conv + BN (+ ReLU) as one `tf.fused.conv2d` with the BN folded into
 * the filter and a bias. The folded path must equal the unfolded one (and PyTorch), be recomputed when the
 * weights change, stay off under a gradient tape and with batch statistics, and free its tensors with the model.
 */

import { loadStateDict, type StateDictLike, stateDict } from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ResNet } from '../src/index.js';
import { batchNormInference, foldBatchNorm } from '../src/layers/batch_norm.js';
import { conv2d, conv2dBiasAct } from '../src/layers/conv.js';
import { EncoderError } from '../src/layers/errors.js';
import { CLIP_RN_TEST, ModifiedResNet, RESNET_TEST } from '../src/models/index.js';
import mrnFx from './fixtures/models/modified_resnet_tiny.json';
import basicFx from './fixtures/models/resnet_basic_tiny.json';
import resnetFx from './fixtures/models/resnet_tiny.json';
import { closeTo, fromJson, type JsonTensor } from './models_data.js';

const REL = { atol: 1e-5, rtol: 1e-4 };
const GOLDEN = { atol: 2e-4, rtol: 2e-4 };

/** Encode with folding forced on and off; both `global` and `local` must agree. */
async function foldedEqualsUnfolded(
  net: ResNet | ModifiedResNet,
  images: tf.Tensor4D,
  what: string,
): Promise<{ global: tf.Tensor; local: tf.Tensor }> {
  net.foldBatchNorm = false;
  const ref = net.encode(images);
  expect(net.folded.size, `${what}: unfolded path made no fold`).toBe(0);
  net.foldBatchNorm = true;
  const out = net.encode(images);
  expect(net.folded.size, `${what}: folded path used`).toBeGreaterThan(0);
  await expectAllClose(out.global, ref.global, REL, `${what}: global`);
  await expectAllClose(out.local, ref.local, REL, `${what}: local`);
  tf.dispose([ref.global, ref.local]);
  return out;
}

describeBackends('ResNet with folded BatchNorm', () => {
  it('foldBatchNorm + conv2dBiasAct equal conv → batchNormInference → ReLU', async () => {
    const r = new Rng(3);
    const x = tf.randomNormal([2, 9, 9, 5], 0, 1, 'float32', r.nextSeed()) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 5, 7], 0, 0.3, 'float32', r.nextSeed()) as tf.Tensor4D;
    const mean = tf.randomNormal([7], 0, 0.5, 'float32', r.nextSeed());
    const variance = tf.randomUniform([7], 0.2, 2, 'float32', r.nextSeed());
    const gamma = tf.randomNormal([7], 1, 0.5, 'float32', r.nextSeed());
    const beta = tf.randomNormal([7], 0, 0.5, 'float32', r.nextSeed());
    await expectNoLeak(async () => {
      for (const [stride, pad, act] of [
        [1, 1, 'relu'],
        [2, 1, 'linear'],
        [2, 0, 'relu'],
      ] as const) {
        const ref = tf.tidy(() => {
          const y = batchNormInference(conv2d(x, w, null, stride, pad), mean, variance, gamma, beta);
          return act === 'relu' ? tf.relu(y) : y;
        });
        const f = foldBatchNorm(w, mean, variance, gamma, beta);
        const y = conv2dBiasAct(x, f.kernel, f.bias, stride, pad, act);
        await expectAllClose(y, ref, REL, `stride ${stride} pad ${pad} ${act}`);
        tf.dispose([ref, f.kernel, f.bias, y]);
      }
    }, 'foldBatchNorm / conv2dBiasAct');
    expect(() => foldBatchNorm(w, tf.zeros([6]), variance, gamma, beta)).toThrow(EncoderError);
    expect(() => foldBatchNorm(w, tf.zeros([6]), variance, gamma, beta)).toThrow(/mean must be \[7\]/);
    expect(() => conv2dBiasAct(tf.zeros([1, 4, 4, 3]) as tf.Tensor4D, w, null)).toThrow(/x must be/);
    tf.dispose([x, w, mean, variance, gamma, beta]);
  });

  for (const [name, fx, block, layers] of [
    ['bottleneck', resnetFx, 'bottleneck', [1, 1, 1, 1]],
    ['basic', basicFx, 'basic', [1, 2, 1, 1]],
  ] as const) {
    it(`torchvision ResNet (tiny ${name}): folded = unfolded = PyTorch`, async () => {
      const net = new ResNet({
        ...RESNET_TEST,
        block,
        layers: [...layers] as [number, number, number, number],
      });
      loadStateDict(net, fx.state as StateDictLike);
      const images = fromJson(fx.images) as tf.Tensor4D;
      const out = await foldedEqualsUnfolded(net, images, `ResNet ${name}`);
      await closeTo(out.global, fx.global as JsonTensor, GOLDEN, 'global vs PyTorch', expectAllClose);
      await closeTo(out.local, fx.local as JsonTensor, GOLDEN, 'local vs PyTorch', expectAllClose);
      const logits = net.logits(images);
      await closeTo(logits, fx.logits as JsonTensor, GOLDEN, 'logits vs PyTorch', expectAllClose);
      tf.dispose([out.global, out.local, logits]);
      images.dispose();
      net.dispose();
    });
  }

  it('CLIP ModifiedResNet (tiny): folded = unfolded = PyTorch', async () => {
    const net = new ModifiedResNet(CLIP_RN_TEST);
    loadStateDict(net, mrnFx.state as StateDictLike);
    const images = fromJson(mrnFx.images) as tf.Tensor4D;
    const out = await foldedEqualsUnfolded(net, images, 'ModifiedResNet');
    await closeTo(out.global, mrnFx.global as JsonTensor, GOLDEN, 'global vs PyTorch', expectAllClose);
    tf.dispose([out.global, out.local]);
    images.dispose();
    net.dispose();
  });

  it('folded weights are recomputed after loadStateDict and after a running-statistics update', async () => {
    const net = new ResNet(RESNET_TEST, { rng: new Rng(1), foldBatchNorm: true });
    const other = new ResNet(RESNET_TEST, { rng: new Rng(2) });
    // non-trivial BN statistics in `other`
    tf.tidy(() => {
      for (const [n, v] of other.params.entries()) {
        if (n.endsWith('running_mean')) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 5));
        if (n.endsWith('running_var')) v.assign(tf.randomUniform(v.shape, 0.5, 2, 'float32', 6));
      }
    });
    const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const first = net.instruction(images); // folds net's weights
    const kernelBefore = net.folded.get('conv1', 'bn1').kernel;
    const count = tf.memory().numTensors;
    loadStateDict(net, (await stateDict(other)) as StateDictLike);
    expect(tf.memory().numTensors).toBe(count); // loading re-assigns, allocates nothing lasting
    const folded = net.instruction(images);
    expect(net.folded.get('conv1', 'bn1').kernel).not.toBe(kernelBefore);
    expect(kernelBefore.isDisposed).toBe(true);
    other.foldBatchNorm = false;
    const expected = other.instruction(images);
    await expectAllClose(folded, expected, REL, 'after loadStateDict');
    const diff = (await tf.tidy(() => tf.max(tf.abs(tf.sub(first, folded)))).data())[0] as number;
    expect(diff).toBeGreaterThan(1e-3); // the weights did change

    // a single buffer re-assigned (what BN training's running update does) refolds that conv only
    const k1 = net.folded.get('layer1.0.conv1', 'layer1.0.bn1').kernel;
    const kStem = net.folded.get('conv1', 'bn1').kernel;
    tf.tidy(() => net.params.get('layer1.0.bn1.running_var').assign(tf.fill([4], 3)));
    const again = net.instruction(images);
    expect(net.folded.get('layer1.0.conv1', 'layer1.0.bn1').kernel).not.toBe(k1);
    expect(net.folded.get('conv1', 'bn1').kernel).toBe(kStem);
    tf.tidy(() => other.params.get('layer1.0.bn1.running_var').assign(tf.fill([4], 3)));
    const expected2 = other.instruction(images);
    await expectAllClose(again, expected2, REL, 'after a running_var update');

    // invalidate() drops everything; the next call folds again
    net.folded.invalidate();
    expect(net.folded.size).toBe(0);
    tf.dispose([first, folded, expected, again, expected2, images]);
    net.dispose();
    other.dispose();
  });

  it("'auto' folds only models with no trainable variable; never under a gradient tape or with batch statistics", async () => {
    const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const net = new ResNet(RESNET_TEST, { rng: new Rng(3) });
    expect(net.foldBatchNorm).toBe('auto');
    tf.dispose(net.instruction(images));
    expect(net.folded.size).toBe(0); // conv weights still train: unfolded
    net.params.setTrainable(false);
    tf.dispose(net.instruction(images));
    expect(net.folded.size).toBeGreaterThan(0); // frozen: folded
    net.folded.invalidate();

    // under a tape: unfolded, and the gradient reaches the conv weights
    net.params.setTrainable(true, (n) => n.endsWith('conv1.weight'));
    net.foldBatchNorm = true;
    const { grads, value } = tf.variableGrads(() => tf.sum(net.instruction(images)) as tf.Scalar);
    expect(net.folded.size).toBe(0);
    const gs = (
      await tf.tidy(() => tf.sum(tf.abs(grads[net.params.get('conv1.weight').name] as tf.Tensor))).data()
    )[0];
    expect(gs).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);

    // batch statistics (batchNorm 'train', training = true): the unfolded path, running buffers move
    const tr = new ResNet({ ...RESNET_TEST, batchNorm: 'train' }, { rng: new Rng(3), foldBatchNorm: true });
    const before = tr.params.get('bn1.running_mean').dataId;
    const o = tr.encode(images, true);
    expect(tr.folded.size).toBe(0);
    expect(tr.params.get('bn1.running_mean').dataId).not.toBe(before);
    // …and its inference (running statistics) folds
    const inf = tr.encode(images, false);
    expect(tr.folded.size).toBeGreaterThan(0);
    tf.dispose([o.global, o.local, inf.global, inf.local, images]);
    tr.dispose();
    net.dispose();
  });

  it('no leaks: folded weights are freed with the model; repeated folded calls allocate nothing', async () => {
    const images = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    await expectNoLeak(() => {
      const net = new ResNet(RESNET_TEST, { foldBatchNorm: true });
      const out = net.encode(images);
      tf.dispose([out.global, out.local, net.logits(images), net.instruction(images)]);
      expect(net.folded.size).toBeGreaterThan(0);
      net.dispose();
      expect(net.folded.size).toBe(0);
    }, 'ResNet (folded) lifecycle');
    const mrn = new ModifiedResNet(CLIP_RN_TEST, { foldBatchNorm: true });
    const img64 = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
    tf.dispose(mrn.instruction(img64)); // warm-up folds
    await expectNoLeak(() => {
      const out = mrn.encode(img64);
      tf.dispose([out.global, out.local, mrn.instruction(img64)]);
    }, 'ModifiedResNet (folded) encode');
    const held = tf.memory().numTensors;
    const n = mrn.params.entries().length + 2 * mrn.folded.size;
    mrn.dispose();
    expect(held - tf.memory().numTensors).toBe(n); // weights and folded weights freed
    tf.dispose([images, img64]);
  });
});
