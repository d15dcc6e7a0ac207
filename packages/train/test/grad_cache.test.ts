/**
 * Gradient caching is exact: the gradient of PIR-ITR's loss over a batch of 32 computed as 4 micro-batches
 * of 8 equals the plain gradient of the batch of 32 (dropout 0), and — with dropout 0.2 — equals the direct
 * gradient of the same stochastic function (each micro-batch's embeddings drawn from the same generator
 * states); without restoring the generators it would not. PIR-CLIP likewise. No tensor leaks.
 */
import { createModel, type PirClip, type PirItr, type PirItrBatch } from '@pir/models';
import { PirError } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TrainInputError } from '../src/errors.js';
import {
  computeGradients,
  disposeGradients,
  type GradientsResult,
  pirClipTask,
  pirItrTask,
  restoreRngStates,
  saveRngStates,
} from '../src/grad_cache/index.js';
import { clipBatch, disposeBatch, itrBatch } from './fixtures_batch.js';

const B = 32;

/**
 * Largest |a − b| over all variables (`worstAbs`), the same relative to the largest |b| of all variables
 * (`worstGlobal`), and relative to the largest |b| of its own variable (`worstRel`: large for a variable
 * whose gradient is tiny, where float32 rounding dominates).
 */
async function gradGap(a: Map<tf.Variable, tf.Tensor>, b: Map<tf.Variable, tf.Tensor>) {
  expect([...a.keys()].map((v) => v.name).sort()).toEqual([...b.keys()].map((v) => v.name).sort());
  let worstAbs = 0;
  let worstRel = 0;
  let largest = 0;
  for (const [v, ga] of a) {
    const gb = b.get(v) as tf.Tensor;
    const pair = tf.tidy(() => [tf.max(tf.abs(tf.sub(ga, gb))), tf.max(tf.abs(gb))]);
    const [diff, scale] = await Promise.all(pair.map((t) => t.data()));
    tf.dispose(pair);
    const d = (diff as Float32Array)[0] as number;
    const s = (scale as Float32Array)[0] as number;
    worstAbs = Math.max(worstAbs, d);
    worstRel = Math.max(worstRel, d / Math.max(s, 1e-6));
    largest = Math.max(largest, s);
  }
  return { worstAbs, worstRel, worstGlobal: worstAbs / largest };
}

/** Plain reference, independent of the task: tfjs's own variableGrads of `model.loss(batch)`. */
function referenceGrads(model: PirItr | PirClip, batch: PirItrBatch): GradientsResult {
  const vars = model.trainableVariables();
  const { value, grads } = tf.variableGrads(
    () => (model as PirItr).loss(batch, true).loss as tf.Scalar,
    vars,
  );
  const map = new Map<tf.Variable, tf.Tensor>();
  for (const v of vars) if (grads[v.name] !== undefined) map.set(v, grads[v.name] as tf.Tensor);
  return { grads: map, parts: { loss: value } };
}

/**
 * Reference with dropout: the direct gradient (one tape) of the loss of embeddings computed micro-batch by
 * micro-batch with the model's public methods — the same random function the gradient cache differentiates.
 */
function chunkedReference(model: PirItr, batch: PirItrBatch, micro: number): GradientsResult {
  const vars = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => {
    const vs: tf.Tensor2D[] = [];
    const ts: tf.Tensor2D[] = [];
    for (let s = 0; s < B; s += micro) {
      const images = tf.slice(batch.images, s, micro) as tf.Tensor4D;
      vs.push(model.embedImages(images, true));
      ts.push(model.embedTexts(tf.slice(batch.ids, s, micro), tf.slice(batch.mask, s, micro), true));
    }
    const v = tf.concat(vs, 0) as tf.Tensor2D;
    const t = tf.concat(ts, 0) as tf.Tensor2D;
    return model.lossFromEmbeddings(v, t, batch.imageIds, batch.labels).loss as tf.Scalar;
  }, vars);
  const map = new Map<tf.Variable, tf.Tensor>();
  for (const v of vars) if (grads[v.name] !== undefined) map.set(v, grads[v.name] as tf.Tensor);
  return { grads: map, parts: { loss: value } };
}

describeBackends('gradient caching, PIR-ITR at test size', (backend) => {
  let batch: PirItrBatch;
  beforeAll(() => {
    batch = itrBatch(B);
  });
  afterAll(() => disposeBatch(batch));

  it('4 × 8 equals the plain batch of 32 (dropout 0), loss and every parameter gradient', async () => {
    const model = createModel('pir-itr-test', { seed: 1, overrides: { dropout: 0 } });
    const task = pirItrTask(model);
    const ref = referenceGrads(model, batch);
    const plain = computeGradients(task, batch);
    const cached = computeGradients(task, batch, { microBatch: 8 });
    // every trainable variable the loss reaches (not BERT's unused pooler: no gradient, as PyTorch's None)
    expect(cached.grads.size).toBe(ref.grads.size);
    expect(cached.grads.size).toBeGreaterThan(model.trainableVariables().length - 3);
    const [l0, l1, l2] = await Promise.all([
      ref.parts.loss.data(),
      plain.parts.loss.data(),
      cached.parts.loss.data(),
    ]);
    expect(l1[0]).toBeCloseTo(l0[0] as number, 5);
    expect(l2[0]).toBeCloseTo(l0[0] as number, 5);
    const p = await gradGap(plain.grads, ref.grads);
    const c = await gradGap(cached.grads, ref.grads);
    console.info(
      `[${backend}] PIR-ITR B=32, dropout 0, ${cached.grads.size} variables: plain vs tfjs max |Δ| ${p.worstAbs.toExponential(2)}; 4×8 cached vs tfjs max |Δ| ${c.worstAbs.toExponential(2)} (${c.worstGlobal.toExponential(2)} of the largest gradient; ${c.worstRel.toExponential(2)} of its own variable's)`,
    );
    expect(p.worstGlobal).toBeLessThan(1e-4);
    expect(c.worstGlobal).toBeLessThan(1e-4);
    expect(c.worstAbs).toBeLessThan(5e-5);
    for (const r of [ref, plain, cached]) disposeGradients(r);
    model.dispose();
  });

  it('with activation checkpointing in the encoders (gradient sink), plain and 4 × 8 equal the reference; no leak', async () => {
    const model = createModel('pir-itr-test', { seed: 1, overrides: { dropout: 0 } });
    const task = pirItrTask(model);
    const ref = referenceGrads(model, batch); // checkpointing off: tfjs's own variableGrads
    expect(model.setGradientCheckpointing(true)).toEqual(['vision', 'text']);
    try {
      // one call first: the instruction ResNet caches its BatchNorm-folded kernels on first use (not a leak)
      disposeGradients(computeGradients(task, batch));
      for (const microBatch of [undefined, 8]) {
        const before = tf.memory().numTensors;
        const got = computeGradients(task, batch, microBatch === undefined ? {} : { microBatch });
        // every variable the reference reaches, blocks included (their gradients came through the sink)
        expect(got.grads.size).toBe(ref.grads.size);
        const [l0, l1] = await Promise.all([ref.parts.loss.data(), got.parts.loss.data()]);
        expect(l1[0]).toBeCloseTo(l0[0] as number, 5);
        const gap = await gradGap(got.grads, ref.grads);
        console.info(
          `[${backend}] PIR-ITR B=32 checkpointed, ${microBatch === undefined ? 'plain' : '4×8 cached'}: max |Δ| vs tfjs ${gap.worstAbs.toExponential(2)} (${gap.worstGlobal.toExponential(2)} of the largest gradient)`,
        );
        expect(gap.worstGlobal).toBeLessThan(1e-4);
        disposeGradients(got);
        expect(tf.memory().numTensors).toBe(before);
      }
    } finally {
      disposeGradients(ref);
      model.dispose();
    }
  });

  it('with dropout 0.2 it equals the direct gradient of the same random function; it needs the generators restored', async () => {
    const model = createModel('pir-itr-test', { seed: 2 });
    expect(model.spatial?.dropout).toBe(0.2);
    const task = pirItrTask(model);
    const rngs = task.rngs();
    const start = saveRngStates(rngs);
    const ref = chunkedReference(model, batch, 8);
    const afterRef = saveRngStates(rngs);
    restoreRngStates(rngs, start);
    const cached = computeGradients(task, batch, { microBatch: 8 });
    expect(saveRngStates(rngs)).toEqual(afterRef); // the generators end where one forward pass leaves them
    const c = await gradGap(cached.grads, ref.grads);
    console.info(
      `[${backend}] PIR-ITR B=32, dropout 0.2: 4×8 cached vs direct max |Δ| ${c.worstAbs.toExponential(2)} (${c.worstGlobal.toExponential(2)} of the largest gradient; ${c.worstRel.toExponential(2)} of its own variable's)`,
    );
    expect(c.worstGlobal).toBeLessThan(1e-4);
    expect(c.worstAbs).toBeLessThan(5e-5);
    // negative control: the same computation without restoring the generators gives other gradients
    restoreRngStates(rngs, start);
    const careless = computeGradients({ ...task, rngs: () => [] }, batch, { microBatch: 8 });
    const bad = await gradGap(careless.grads, ref.grads);
    expect(bad.worstGlobal).toBeGreaterThan(1e-2);
    for (const r of [ref, cached, careless]) disposeGradients(r);
    model.dispose();
  });

  it('micro-batches that do not divide the batch (12, 12, 8) give the same gradient', async () => {
    const model = createModel('pir-itr-test', { seed: 3, overrides: { dropout: 0 } });
    const task = pirItrTask(model);
    const a = computeGradients(task, batch, { microBatch: 12 });
    const b = computeGradients(task, batch);
    const gap = await gradGap(a.grads, b.grads);
    expect(gap.worstGlobal).toBeLessThan(1e-4);
    disposeGradients(a);
    disposeGradients(b);
    model.dispose();
  });

  it('leaks no tensor (plain and cached) and rejects bad options', async () => {
    const model = createModel('pir-itr-test', { seed: 4 });
    const task = pirItrTask(model);
    disposeGradients(computeGradients(task, batch)); // the encoders build lazy constants on their first call
    for (const microBatch of [undefined, 8]) {
      await expectNoLeak(() => {
        const r = computeGradients(task, batch, microBatch === undefined ? {} : { microBatch });
        disposeGradients(r);
      }, `computeGradients(microBatch ${microBatch})`);
    }
    for (const [opts, argument] of [
      [{ microBatch: 0 }, 'microBatch'],
      [{ microBatch: 2.5 }, 'microBatch'],
    ] as const) {
      try {
        computeGradients(task, batch, opts);
        expect.fail('expected a TrainInputError');
      } catch (e) {
        expect(e).toBeInstanceOf(TrainInputError);
        expect(e).toBeInstanceOf(PirError);
        expect((e as TrainInputError).where).toBe('computeGradients');
        expect((e as TrainInputError).argument).toBe(argument);
      }
    }
    try {
      computeGradients({ ...task, variables: () => [] }, batch);
      expect.fail('expected a TrainInputError');
    } catch (e) {
      expect((e as TrainInputError).argument).toBe('task');
    }
    // an error inside a pass frees what the pass had made
    await expectNoLeak(() => {
      const failing = {
        ...task,
        loss: () => {
          throw new Error('boom');
        },
      };
      expect(() => computeGradients(failing, batch, { microBatch: 8 })).toThrow('boom');
    }, 'a failing computeGradients');
    model.dispose();
  });
});

describeBackends('gradient caching, PIR-CLIP at test size', (backend) => {
  it('4 × 8 equals the plain batch of 32', async () => {
    const model = createModel('pir-clip-test', { seed: 1 });
    const batch = clipBatch(B);
    const task = pirClipTask(model);
    const ref = referenceGrads(model, batch as unknown as PirItrBatch);
    const cached = computeGradients(task, batch, { microBatch: 8 });
    await expectNoLeak(() => disposeGradients(computeGradients(task, batch, { microBatch: 8 })), 'cached');
    for (const k of Object.keys(cached.parts)) expect(k).toMatch(/^(loss|contrastive|affiliation)$/);
    const c = await gradGap(cached.grads, ref.grads);
    console.info(
      `[${backend}] PIR-CLIP B=32: 4×8 cached vs tfjs plain max |Δ| ${c.worstAbs.toExponential(2)} (${c.worstGlobal.toExponential(2)} of the largest gradient)`,
    );
    expect(c.worstGlobal).toBeLessThan(1e-4);
    disposeGradients(cached);
    disposeGradients(ref);
    disposeBatch(batch);
    model.dispose();
  });
});
