/**
 * Import order, in fresh Node processes against the built `dist` (plain Node, ESM and CommonJS): importing
 * `@tensorflow/tfjs-layers` and `@tensorflow/tfjs` *after* `@pir/runtime` must leave the corrected
 * `BatchMatMul` gradient active — both register tfjs-core's stock gradients again when they load, and the
 * stock one throws for a broadcast operand (`matMul(x [B,S,D], w [D,E])`). A control child shows that they
 * do register it (so the other children test something) and that `registerRuntimeGradients()` re-arms ours.
 *
 * Needs a fresh `dist`: `cd packages/runtime && npx tsup` (checked first).
 */
import { describe, expect, it } from 'vitest';
import { assertRuntimeDistFresh, runNodeChild } from './node_child.js';

/**
 * `(tf) => result`: gradients of `sum(matMul(x [2,3,4], w [4,5]) · t)` against the same written with 2-D
 * products, or the error `tf.grads` threw. Source text, evaluated in the children.
 */
const GRAD_CHECK = `(tf) => {
  const data = (size, seed) => { const out = new Float32Array(size); let s = (seed * 2654435761) >>> 0;
    for (let i = 0; i < size; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1; }
    return out; };
  return tf.tidy(() => {
    const x = tf.tensor(data(24, 1), [2, 3, 4]);
    const w = tf.tensor(data(20, 2), [4, 5]);
    const t = tf.tensor(data(30, 3), [2, 3, 5]);
    let gx, gw;
    try {
      [gx, gw] = tf.grads((a, b) => tf.sum(tf.mul(tf.matMul(a, b), t)))([x, w]);
    } catch (e) {
      return { error: String(e && e.message) };
    }
    const rx = tf.reshape(tf.matMul(tf.reshape(t, [6, 5]), w, false, true), [2, 3, 4]);
    const rw = tf.matMul(tf.reshape(x, [6, 4]), tf.reshape(t, [6, 5]), true, false);
    const worst = (a, b) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    return { shapes: [gx.shape, gw.shape], diff: Math.max(worst(gx, rx), worst(gw, rw)) };
  });
}`;

const PRINT = `(r) => process.stdout.write(JSON.stringify(r) + '\\n', () => process.exit(0))`;

type GradResult = { shapes?: number[][]; diff?: number; error?: string };

function expectCorrected(r: GradResult, what: string): void {
  expect(r.error, what).toBeUndefined();
  expect(r.shapes, what).toEqual([
    [2, 3, 4],
    [4, 5],
  ]);
  expect(r.diff, what).toBeLessThan(1e-5);
}

describe('BatchMatMul gradient whatever the import order (fresh Node processes, dist)', () => {
  it('dist is built and fresh', () => {
    assertRuntimeDistFresh();
  });

  it('ESM: static imports @pir/runtime, then @tensorflow/tfjs-layers, then @tensorflow/tfjs', async () => {
    assertRuntimeDistFresh();
    const r = await runNodeChild<GradResult>(
      `import '@pir/runtime';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
await tf.setBackend('cpu');
(${PRINT})((${GRAD_CHECK})(tf));`,
      'module',
    );
    expectCorrected(r, 'ESM');
  });

  it('CommonJS: require @pir/runtime, initBackend, then require tfjs-layers and tfjs', async () => {
    assertRuntimeDistFresh();
    const r = await runNodeChild<GradResult>(
      `const { initBackend } = require('@pir/runtime');
const tf = require('@tensorflow/tfjs-core');
initBackend({ backend: 'cpu' }).then(() => {
  require('@tensorflow/tfjs-layers');
  require('@tensorflow/tfjs');
  (${PRINT})((${GRAD_CHECK})(tf));
});`,
      'commonjs',
    );
    expectCorrected(r, 'CommonJS');
  });

  it('control: with the guard released, tfjs-layers does register the stock gradient (which throws); registerRuntimeGradients() re-arms ours', async () => {
    assertRuntimeDistFresh();
    const r = await runNodeChild<{ stock: GradResult; rearmed: GradResult }>(
      `import { registerRuntimeGradients } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
await tf.setBackend('cpu');
tf.unregisterGradient('BatchMatMul');
await import('@tensorflow/tfjs-layers');
const stock = (${GRAD_CHECK})(tf);
registerRuntimeGradients();
(${PRINT})({ stock, rearmed: (${GRAD_CHECK})(tf) });`,
      'module',
    );
    expect(r.stock.error).toMatch(
      /The gradient of input 'b' has shape '2,4,5', which does not match the shape of the input '4,5'/,
    );
    expectCorrected(r.rearmed, 'after registerRuntimeGradients()');
  });
});
