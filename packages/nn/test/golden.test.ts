/**
 * `@pir/nn` against PyTorch's own modules (`tools/golden/nn_primitives.py`): nn.Linear, nn.LayerNorm, nn.GELU /
 * QuickGELU, nn.MultiheadAttention (identity projections) with key-padding and causal masks — values and
 * gradients — and a real `state_dict()` of Linear / LayerNorm / Conv2d / BatchNorm2d loaded by name, with its
 * layouts permuted and `num_batches_tracked` ignored.
 */
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  attentionBias,
  batchNormSpecs,
  conv2dSpecs,
  gelu,
  layerNorm,
  layerNormSpecs,
  linear,
  linearSpecs,
  loadStateDict,
  multiHeadAttention,
  ParamStore,
  quickGelu,
  type StateDict,
  type StateDType,
  stateDict,
} from '../src/index.js';
import fixture from './fixtures/nn_primitives.json';

interface Entry {
  shape: number[];
  data: number[];
}
const G = fixture as unknown as {
  linear: Record<'x' | 'weight' | 'bias' | 'dy' | 'y' | 'dx' | 'dWeight' | 'dBias', Entry>;
  layerNorm: ({ eps: number } & Record<
    'x' | 'gamma' | 'beta' | 'dy' | 'y' | 'dx' | 'dGamma' | 'dBeta',
    Entry
  >)[];
  activations: { x: number[]; gelu: number[]; quickGelu: number[] };
  attention: ({ name: string; heads: number; causal: boolean; keyMask: number[][] | null } & Record<
    'q' | 'k' | 'v' | 'dy' | 'y' | 'dq' | 'dk' | 'dv',
    Entry
  >)[];
  stateDict: {
    entries: Record<string, Entry & { dtype: string }>;
    input: Entry;
    linearInput: Entry;
    linearOutput: Entry;
    convOutput: Entry;
  };
};
const T = (e: Entry) => tf.tensor(e.data, e.shape);
/** float32 against float32 PyTorch: a few ulps of accumulated rounding. */
const TOL = { atol: 2e-5, rtol: 1e-4 };

describeBackends('@pir/nn vs PyTorch (tools/golden/nn_primitives.py)', () => {
  it('linear = nn.Linear: value and gradients (the weight transposed to [in, out])', async () => {
    const L = G.linear;
    await expectNoLeak(async () => {
      const [x, w, b, dy] = [T(L.x), tf.tidy(() => tf.transpose(T(L.weight))), T(L.bias), T(L.dy)];
      const y = linear(x, w, b);
      await expectAllClose(y, L.y.data, TOL, 'y');
      const [dx, dw, db] = tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
        tf.mul(linear(a, k, c), dy),
      )([x, w, b]) as [tf.Tensor, tf.Tensor, tf.Tensor];
      await expectAllClose(dx, L.dx.data, TOL, 'dx');
      const dwTorch = tf.transpose(dw);
      await expectAllClose(dwTorch, L.dWeight.data, TOL, 'dW');
      await expectAllClose(db, L.dBias.data, TOL, 'db');
      tf.dispose([x, w, b, dy, y, dx, dw, db, dwTorch]);
    }, 'linear');
  });

  it('layerNorm = nn.LayerNorm (eps 1e-5 and BERT’s 1e-12): value and gradients', async () => {
    for (const c of G.layerNorm) {
      await expectNoLeak(async () => {
        const [x, g, b, dy] = [T(c.x), T(c.gamma), T(c.beta), T(c.dy)];
        const y = layerNorm(x, g, b, c.eps);
        await expectAllClose(y, c.y.data, TOL, `y eps=${c.eps}`);
        const grads = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
          tf.mul(layerNorm(a, gg, bb, c.eps), dy),
        )([x, g, b]);
        await expectAllClose(grads[0] as tf.Tensor, c.dx.data, TOL, 'dx');
        await expectAllClose(grads[1] as tf.Tensor, c.dGamma.data, TOL, 'dγ');
        await expectAllClose(grads[2] as tf.Tensor, c.dBeta.data, TOL, 'dβ');
        tf.dispose([x, g, b, dy, y, ...grads]);
      }, 'layerNorm');
    }
  });

  it('gelu = nn.GELU(), quickGelu = x·σ(1.702x)', async () => {
    const x = tf.tensor1d(G.activations.x);
    const [a, b] = [gelu(x), quickGelu(x)];
    await expectAllClose(a, G.activations.gelu, TOL, 'gelu');
    await expectAllClose(b, G.activations.quickGelu, TOL, 'quickGelu');
    tf.dispose([x, a, b]);
  });

  for (const c of G.attention) {
    it(`multiHeadAttention = nn.MultiheadAttention (${c.name}): value and gradients`, async () => {
      await expectNoLeak(async () => {
        const [q, k, v, dy] = [T(c.q), T(c.k), T(c.v), T(c.dy)];
        const mask = c.keyMask === null ? undefined : tf.tensor2d(c.keyMask);
        const bias = c.causal ? attentionBias({ causalLength: c.q.shape[1] }) : null;
        const f = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
          multiHeadAttention(a, b, d, { heads: c.heads, keyMask: mask, bias });
        const y = f(q, k, v);
        await expectAllClose(y, c.y.data, TOL, 'y');
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.mul(f(a, b, d), dy))([
          q,
          k,
          v,
        ]);
        await expectAllClose(grads[0] as tf.Tensor, c.dq.data, TOL, 'dq');
        await expectAllClose(grads[1] as tf.Tensor, c.dk.data, TOL, 'dk');
        await expectAllClose(grads[2] as tf.Tensor, c.dv.data, TOL, 'dv');
        tf.dispose([q, k, v, dy, y, ...grads, ...(mask ? [mask] : []), ...(bias ? [bias] : [])]);
      }, c.name);
    });
  }

  it('loads a real PyTorch state_dict() by name (layouts permuted, num_batches_tracked ignored) and exports it back', async () => {
    const S = G.stateDict;
    const store = new ParamStore(
      [
        ...linearSpecs('0', 3, 4),
        ...layerNormSpecs('1', 4),
        ...conv2dSpecs('2', 2, 5, 3, true),
        ...batchNormSpecs('3', 5),
      ],
      new Rng(0),
    );
    const sd: StateDict = new Map(
      Object.entries(S.entries).map(([k, e]) => [
        k,
        e.dtype === 'int64'
          ? {
              dtype: 'int64' as StateDType,
              shape: e.shape,
              data: BigInt64Array.from(e.data, (v) => BigInt(v)),
            }
          : { dtype: 'float32' as StateDType, shape: e.shape, data: Float32Array.from(e.data) },
      ]),
    );
    expect(sd.has('3.num_batches_tracked')).toBe(true);
    const report = loadStateDict(store, sd);
    expect(report.loaded).toEqual([...sd.keys()].filter((k) => !k.endsWith('num_batches_tracked')));
    await expectNoLeak(async () => {
      const g = (n: string) => store.get(n);
      const xl = T(S.linearInput);
      const yl = tf.tidy(() => layerNorm(linear(xl, g('0.weight'), g('0.bias')), g('1.weight'), g('1.bias')));
      await expectAllClose(yl, S.linearOutput.data, TOL, 'Linear → LayerNorm');
      const nchw = tf.tidy(() => {
        const xc = tf.transpose(T(S.input), [0, 2, 3, 1]) as tf.Tensor4D; // NCHW → NHWC
        const conv = tf.add(tf.conv2d(xc, g('2.weight') as tf.Tensor4D, 1, 'valid'), g('2.bias'));
        const bn = tf.batchNorm(
          conv,
          g('3.running_mean'),
          g('3.running_var'),
          g('3.bias'),
          g('3.weight'),
          1e-5,
        );
        return tf.transpose(bn, [0, 3, 1, 2]); // NHWC → NCHW
      });
      await expectAllClose(nchw, S.convOutput.data, TOL, 'Conv2d → BatchNorm2d (eval)');
      tf.dispose([xl, yl, nchw]);
    }, 'forward');
    const back = await stateDict(store);
    for (const [k, e] of Object.entries(S.entries)) {
      if (k.endsWith('num_batches_tracked')) continue;
      expect(back.get(k)?.shape, k).toEqual(e.shape);
      await expectAllClose(back.get(k)?.data as Float32Array, e.data, { atol: 0, rtol: 0 }, k);
    }
    store.dispose();
  });
});
