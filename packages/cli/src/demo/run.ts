/**
 * `pir demo`: train a small two-tower retrieval head with PIR's losses on the synthetic task and evaluate it
 * with `@pir/metrics` before and after training. Everything runs on the chosen tfjs backend (wasm by default).
 */
import { LearnableTemperature, pirItrLoss } from '@pir/losses';
import { evaluateRetrieval, formatReport, type RetrievalReport } from '@pir/metrics';
import { type BackendInfo, type BackendName, initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { makeSyntheticTask, SCENE_CLASSES, type SyntheticOptions, type SyntheticSplit } from './synthetic.js';

export interface DemoOptions {
  /** tfjs backend (default `'wasm'`). */
  backend: BackendName | 'auto';
  /** wasm threads (default: all cores). */
  threads?: number;
  /** Training epochs over all captions. */
  epochs: number;
  /** Captions per training batch (images repeat when two of their captions land in one batch). */
  batchSize: number;
  /** Width of the joint embedding space. */
  embedDim: number;
  /** Adam learning rate. */
  learningRate: number;
  /** λ of `L = L_c + λ·L_a`. */
  lambda: number;
  /** Seed of the data and of the initialisation. */
  seed: number;
  /** Synthetic task sizes. */
  data: Partial<SyntheticOptions>;
  /** Where progress lines go (default: console.log). */
  log: (line: string) => void;
}

export const DEMO_DEFAULTS: DemoOptions = {
  backend: 'wasm',
  epochs: 8,
  batchSize: 100,
  embedDim: 64,
  learningRate: 3e-3,
  lambda: 1,
  seed: 0,
  data: {},
  log: (line) => console.log(line),
};

export interface DemoResult {
  backend: BackendInfo;
  before: RetrievalReport;
  after: RetrievalReport;
  /** Mean training loss of each epoch. */
  epochLoss: number[];
  trainSeconds: number;
  stepsPerSecond: number;
}

/** Run the demo; resolves with the reports (the process keeps no tensors afterwards). */
export async function runDemo(options: Partial<DemoOptions> = {}): Promise<DemoResult> {
  const o = { ...DEMO_DEFAULTS, ...options };
  const log = o.log;
  const backend = await initBackend({
    backend: o.backend,
    seed: o.seed,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
  log(
    `backend: ${backend.name}${backend.simd !== undefined ? ` (SIMD ${backend.simd ? 'on' : 'off'}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'})` : ''}`,
  );

  const t0 = performance.now();
  const { train, test } = makeSyntheticTask({ ...o.data, seed: o.seed });
  const imageDim = train.images.length / train.numImages;
  const textDim = train.texts.length / train.numCaptions;
  log(
    `synthetic task: ${SCENE_CLASSES.length} scene classes; train ${train.numImages} images / ${train.numCaptions} captions, ` +
      `test ${test.numImages} / ${test.numCaptions}; features ${imageDim}-d image, ${textDim}-d text ` +
      `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const rng = new Rng(o.seed).fork('init');
  const wv = glorotVariable(rng, imageDim, o.embedDim, 'demo/image_proj');
  const wt = glorotVariable(rng, textDim, o.embedDim, 'demo/text_proj');
  const tau1 = new LearnableTemperature({ parametrization: 'log', name: 'demo/tau1' });
  const tau2 = new LearnableTemperature({ parametrization: 'log', name: 'demo/tau2' });
  const optimizer = tf.train.adam(o.learningRate);

  try {
    const before = await evaluate(test, wv, wt);
    log('\ntest set before training (random projections):');
    log(formatReport(before));

    const shuffle = new Rng(o.seed).fork('shuffle');
    const steps = Math.floor(train.numCaptions / o.batchSize);
    const epochLoss: number[] = [];
    const tTrain = performance.now();
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const tEpoch = performance.now();
      const order = shuffle.permutation(train.numCaptions);
      // summed on the backend and read once per epoch: no device sync inside the step loop
      let total: tf.Scalar = tf.scalar(0);
      for (let s = 0; s < steps; s++) {
        const rows = order.subarray(s * o.batchSize, (s + 1) * o.batchSize);
        const batch = makeBatch(train, rows);
        const loss = optimizer.minimize(
          () => {
            const v = l2(tf.matMul(batch.images, wv)); // [B, E]
            const t = l2(tf.matMul(batch.texts, wt)); // [B, E]
            const parts = pirItrLoss(v, t, {
              imageIds: batch.imageIds,
              labels: batch.labels,
              temperature: tau1,
              affiliationTemperature: tau2,
              lambda: o.lambda,
            });
            return parts.loss;
          },
          true,
          [wv, wt, tau1.variable, tau2.variable],
        );
        tau1.project();
        tau2.project();
        const next = tf.add(total, loss!) as tf.Scalar;
        total.dispose();
        loss!.dispose();
        total = next;
        batch.images.dispose();
        batch.texts.dispose();
      }
      const sum = (await total.data())[0] as number;
      total.dispose();
      epochLoss.push(sum / steps);
      log(
        `epoch ${epoch + 1}/${o.epochs}  loss ${(sum / steps).toFixed(4)}  ` +
          `(${((performance.now() - tEpoch) / 1000).toFixed(1)} s, ${tf.memory().numTensors} tensors)`,
      );
    }
    const trainSeconds = (performance.now() - tTrain) / 1000;
    const stepsPerSecond = (steps * o.epochs) / trainSeconds;
    log(
      `trained ${steps * o.epochs} steps in ${trainSeconds.toFixed(1)} s (${stepsPerSecond.toFixed(0)} steps/s)`,
    );

    const after = await evaluate(test, wv, wt);
    log('\ntest set after training:');
    log(formatReport(after));
    log(`\nmR ${before.mR.toFixed(2)} → ${after.mR.toFixed(2)}`);
    return { backend, before, after, epochLoss, trainSeconds, stepsPerSecond };
  } finally {
    wv.dispose();
    wt.dispose();
    tau1.dispose();
    tau2.dispose();
    optimizer.dispose();
  }
}

/** Rows of the training split as tensors: captions `rows` and their images. */
function makeBatch(split: SyntheticSplit, rows: Int32Array) {
  const imageDim = split.images.length / split.numImages;
  const textDim = split.texts.length / split.numCaptions;
  const b = rows.length;
  const img = new Float32Array(b * imageDim);
  const txt = new Float32Array(b * textDim);
  const imageIds = new Int32Array(b);
  const labels = new Int32Array(b);
  for (let r = 0; r < b; r++) {
    const cap = rows[r] as number;
    const im = split.captionToImage[cap] as number;
    imageIds[r] = im;
    labels[r] = split.labels[im] as number;
    img.set(split.images.subarray(im * imageDim, (im + 1) * imageDim), r * imageDim);
    txt.set(split.texts.subarray(cap * textDim, (cap + 1) * textDim), r * textDim);
  }
  return {
    images: tf.tensor2d(img, [b, imageDim]),
    texts: tf.tensor2d(txt, [b, textDim]),
    imageIds,
    labels,
  };
}

async function evaluate(split: SyntheticSplit, wv: tf.Variable, wt: tf.Variable): Promise<RetrievalReport> {
  const imageDim = split.images.length / split.numImages;
  const textDim = split.texts.length / split.numCaptions;
  const [v, t] = tf.tidy(() => [
    tf.matMul(tf.tensor2d(split.images, [split.numImages, imageDim]), wv) as tf.Tensor2D,
    tf.matMul(tf.tensor2d(split.texts, [split.numCaptions, textDim]), wt) as tf.Tensor2D,
  ]);
  try {
    return await evaluateRetrieval(v, t, split.captionToImage);
  } finally {
    v.dispose();
    t.dispose();
  }
}

function l2(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.norm(x, 'euclidean', 1, true));
}

/** A trainable [fanIn, fanOut] weight with Glorot-uniform values drawn from `rng`. */
function glorotVariable(rng: Rng, fanIn: number, fanOut: number, name: string): tf.Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const init = tf.tensor2d(rng.fillUniform(new Float32Array(fanIn * fanOut), -limit, limit), [fanIn, fanOut]);
  const v = tf.variable(init, true, name);
  init.dispose();
  return v;
}
