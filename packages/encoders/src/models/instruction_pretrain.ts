/**
 * Pre-training PIR-ITR's instruction encoder: a ResNet trained as a scene classifier (PIR_SPEC §1: "a CNN
 * pretrained to classify scenes, e.g. on AID"), then frozen — BatchNorm in inference mode and no trainable
 * weight — and handed back as an {@link InstructionEncoder} (the pooled feature, the `fc` head unused).
 */
import { getGlobalRng, type Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import type { InstructionEncoder } from '../contract.js';
import { check, checkShape } from '../layers/errors.js';
import { RESNET50, ResNet, type ResNetConfig } from './resnet.js';

/** Options of {@link pretrainInstructionEncoder}. */
export interface PretrainOptions {
  /**
   * ResNet architecture, merged over ResNet-50 (PIR's instruction encoder; pass e.g. `RESNET_TEST` or
   * `RESNET18` for something small); `numClasses` is set from the labels, BN trains.
   */
  config?: Partial<ResNetConfig>;
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
  /** Passes over the data. Default 10. */
  epochs?: number;
  /** Images per step (the last batch of an epoch may be smaller). Default 16. */
  batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  /** Seeded generator for the initial weights and the shuffling (default: the global one). */
  rng?: Rng;
  /** Called after every epoch with its mean loss and training accuracy. */
  onEpoch?: (stats: EpochStats) => void;
}

/** Loss and accuracy of one epoch (accuracy on the training batches, BatchNorm in training mode). */
export interface EpochStats {
  epoch: number;
  loss: number;
  accuracy: number;
}

/** A frozen scene classifier used as an instruction encoder. */
export interface PretrainedInstructionEncoder extends InstructionEncoder {
  /** The frozen ResNet (`batchNorm: 'frozen'`, every variable non-trainable); `model.logits` classifies. */
  readonly model: ResNet;
  /** One entry per epoch. */
  readonly history: readonly EpochStats[];
  /** Free the weights. */
  dispose(): void;
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

/**
 * Train a ResNet scene classifier on `(images, labels)` with softmax cross-entropy and Adam (BatchNorm in
 * training mode, seeded shuffling), then freeze it and return it as an {@link InstructionEncoder}.
 *
 * @param images [N, H, W, 3] normalised, channels last
 * @param labels [N] class ids in [0, numClasses) (array or int tensor)
 * @returns the frozen encoder: `encode(images)` → [B, dim] pooled feature (dim = 2048 for ResNet-50)
 * @throws EncoderError on mismatched lengths, labels out of range or bad options
 * @example
 * ```ts
 * const enc = await pretrainInstructionEncoder(images, labels, { config: RESNET_TEST, epochs: 5, rng: new Rng(0) });
 * enc.history.at(-1)?.accuracy; // e.g. 0.97
 * const u = enc.encode(batch); // [B, 128] with RESNET_TEST
 * enc.model.trainableVariables().length; // 0
 * ```
 */
export async function pretrainInstructionEncoder(
  images: tf.Tensor4D,
  labels: tf.Tensor1D | readonly number[],
  options: PretrainOptions = {},
): Promise<PretrainedInstructionEncoder> {
  const where = 'pretrainInstructionEncoder';
  checkShape(where, 'images', images.shape, [-1, -1, -1, 3]);
  const ys = Array.isArray(labels)
    ? Array.from(labels as readonly number[])
    : Array.from(await (labels as tf.Tensor1D).data());
  const n = images.shape[0];
  check(ys.length === n, where, 'labels', () => `got ${ys.length} labels for ${n} images`);
  check(n > 0, where, 'images', () => 'no images');
  const numClasses = options.numClasses ?? Math.max(...ys) + 1;
  const bad = ys.findIndex((y) => !Number.isInteger(y) || y < 0 || y >= numClasses);
  check(
    bad < 0,
    where,
    'labels',
    () => `labels[${bad}] = ${ys[bad]} is not a class id in [0, ${numClasses})`,
  );
  check(numClasses >= 2, where, 'numClasses', () => `need at least 2 classes, got ${numClasses}`);
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 16;
  check(Number.isInteger(epochs) && epochs > 0, where, 'epochs', () => `epochs must be ≥ 1, got ${epochs}`);
  check(
    Number.isInteger(batchSize) && batchSize > 1,
    where,
    'batchSize',
    () => `batchSize must be an integer ≥ 2 (batch statistics), got ${batchSize}`,
  );
  const rng = options.rng ?? getGlobalRng();
  const config: ResNetConfig = { ...RESNET50, ...options.config, numClasses, batchNorm: 'train' };
  const net = new ResNet(config, { rng });
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const vars = net.trainableVariables();
  const labelTensor = tf.tensor1d(ys, 'int32');
  const history: EpochStats[] = [];
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffled(n, rng);
      let lossSum = 0;
      let correct = 0;
      for (let start = 0; start < n; start += batchSize) {
        let idx = order.slice(start, start + batchSize);
        if (idx.length < 2) idx = [...idx, ...order.slice(0, 2 - idx.length)]; // BN needs two samples
        const it = tf.tensor1d(idx, 'int32');
        const x = tf.gather(images, it) as tf.Tensor4D; // [b, H, W, 3]
        const y = tf.gather(labelTensor, it); // [b]
        let logits: tf.Tensor2D | null = null;
        const loss = optimizer.minimize(
          () => {
            const l = net.logits(x, true); // [b, K]
            logits = tf.keep(l);
            return tf.losses.softmaxCrossEntropy(tf.oneHot(y, numClasses), l) as tf.Scalar;
          },
          true,
          vars,
        ) as tf.Scalar;
        const hits = tf.tidy(() =>
          tf.sum(tf.cast(tf.equal(tf.argMax(logits as tf.Tensor2D, 1), y), 'int32')),
        );
        lossSum += ((await loss.data())[0] as number) * idx.length;
        correct += (await hits.data())[0] as number;
        tf.dispose([it, x, y, loss, hits, logits as tf.Tensor2D | null].filter((t) => t !== null));
      }
      const stats = { epoch, loss: lossSum / n, accuracy: correct / n };
      history.push(stats);
      options.onEpoch?.(stats);
    }
    // freeze: same weights and running statistics in a ResNet whose BatchNorm always uses running statistics
    const frozen = new ResNet({ ...config, batchNorm: 'frozen' }, { rng });
    for (const [name, v] of net.params.entries()) frozen.params.get(name).assign(v);
    frozen.params.setTrainable(false);
    return {
      dim: frozen.dim,
      model: frozen,
      history,
      encode: (x: tf.Tensor4D) => frozen.instruction(x),
      dispose: () => frozen.dispose(),
    };
  } finally {
    optimizer.dispose();
    labelTensor.dispose();
    net.dispose();
  }
}
