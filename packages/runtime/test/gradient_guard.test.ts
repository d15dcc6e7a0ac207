/**
 * The corrected `BatchMatMul` gradient stays registered when `@tensorflow/tfjs-layers` is imported after
 * `@pir/runtime` (in Node, tfjs-layers' bundle registers tfjs-core's stock gradients again when it loads), and
 * the guard that keeps it lets every other registration through. The same in a fresh Node process, against
 * the built `dist` (ESM and CJS): `gradient_import_order.node.test.ts`.
 */
import { describeBackends, expectAllClose, expectNoLeak, seededValues, tolerance } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerRuntimeGradients } from '../src/index.js';
// after @pir/runtime on purpose (the import order this test is about)
import '@tensorflow/tfjs-layers';
import { batchMatMulGradConfig } from '../src/gradients/batch_mat_mul.js';

/** tfjs's process-wide gradient registry, as `tf.registerGradient` sees it. */
function registry(): Map<string, tf.GradConfig> {
  const g = globalThis as { _tfGlobals?: Map<string, unknown> };
  return g._tfGlobals?.get('gradRegistry') as Map<string, tf.GradConfig>;
}

/** `sum(matMul(x, w) · target)` for `x [B,S,D]`, `w [D,E]`: its gradients, and the same written in 2-D. */
function gradsAndReference(b: number, s: number, d: number, e: number) {
  return tf.tidy(() => {
    const x = tf.tensor(seededValues(b * s * d, 1), [b, s, d]);
    const w = tf.tensor(seededValues(d * e, 2), [d, e]);
    const target = tf.tensor(seededValues(b * s * e, 3), [b, s, e]);
    const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.matMul(xx, ww), target));
    const [gx, gw] = tf.grads(f)([x, w]) as [tf.Tensor, tf.Tensor];
    // dx = target · wᵀ, dw = Σ_b x_bᵀ · target_b = x[B·S, D]ᵀ · target[B·S, E]
    const rx = tf.reshape(tf.matMul(tf.reshape(target, [b * s, e]), w, false, true), [b, s, d]);
    const rw = tf.matMul(tf.reshape(x, [b * s, d]), tf.reshape(target, [b * s, e]), true, false);
    return { gx, gw, rx, rw };
  });
}

describeBackends('BatchMatMul gradient after importing @tensorflow/tfjs-layers', () => {
  it('is the corrected one', () => {
    expect(tf.getGradient(tf.BatchMatMul)).toBe(batchMatMulGradConfig);
  });

  it('differentiates matMul(x [B,S,D], w [D,E]) (broadcast w) like the 2-D products', async () => {
    const { gx, gw, rx, rw } = gradsAndReference(3, 5, 4, 6);
    expect(gx.shape).toEqual([3, 5, 4]);
    expect(gw.shape).toEqual([4, 6]);
    await expectAllClose(gx, rx, tolerance(), 'dx');
    await expectAllClose(gw, rw, tolerance(), 'dw');
    tf.dispose([gx, gw, rx, rw]);
    await expectNoLeak(() => tf.dispose(Object.values(gradsAndReference(2, 3, 4, 5))), 'grads');
  });
});

describe('gradient guard', () => {
  it('refuses another BatchMatMul gradient while ours is kept', () => {
    const other: tf.GradConfig = { ...batchMatMulGradConfig, gradFunc: () => ({}) };
    tf.registerGradient(other);
    expect(tf.getGradient(tf.BatchMatMul)).toBe(batchMatMulGradConfig);
  });

  it('lets every other kernel register, replace and unregister as before', () => {
    const name = 'PirGuardTestKernel';
    const first: tf.GradConfig = { kernelName: name, gradFunc: () => ({}) };
    const second: tf.GradConfig = { kernelName: name, gradFunc: () => ({}) };
    tf.registerGradient(first);
    expect(tf.getGradient(name)).toBe(first);
    tf.registerGradient(second);
    expect(tf.getGradient(name)).toBe(second);
    tf.unregisterGradient(name);
    expect(tf.getGradient(name)).toBeUndefined();
  });

  it('is released by tf.unregisterGradient and re-armed by registerRuntimeGradients()', () => {
    const mine: tf.GradConfig = { ...batchMatMulGradConfig, gradFunc: () => ({}) };
    try {
      tf.unregisterGradient(tf.BatchMatMul);
      expect(tf.getGradient(tf.BatchMatMul)).toBeUndefined();
      tf.registerGradient(mine);
      expect(tf.getGradient(tf.BatchMatMul)).toBe(mine);
    } finally {
      registerRuntimeGradients();
    }
    expect(tf.getGradient(tf.BatchMatMul)).toBe(batchMatMulGradConfig);
  });

  it('registerRuntimeGradients() is idempotent: one guard, our config, nothing else touched', () => {
    const map = registry();
    const set = map.set;
    const size = map.size;
    registerRuntimeGradients();
    registerRuntimeGradients();
    expect(map.set).toBe(set);
    expect(map.size).toBe(size);
    expect(tf.getGradient(tf.BatchMatMul)).toBe(batchMatMulGradConfig);
    // the registry tfjs reads is still a plain Map to everyone iterating it
    expect(map).toBeInstanceOf(Map);
    expect(Object.keys(map)).toEqual([]);
  });
});
