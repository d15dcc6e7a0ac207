/**
 * GRU text encoder: golden test against `torch.nn.GRU` on packed sequences (`tools/golden/encoders_more.py`;
 * two layers, bi- and unidirectional), padding invariance, pooling/merging options, gradients, leaks, errors.
 */

import { loadStateDict, type StateDictLike } from '@pir/nn';
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { EncoderError } from '../src/layers/index.js';
import { GRU_TEST, GRU_VSE, GruTextEncoder } from '../src/models/index.js';
import fx from './fixtures/models/gru_tiny.json';
import counts from './fixtures/models/param_counts_more.json';
import { closeTo, type JsonTensor } from './models_data.js';

const TOL = { atol: 1e-5, rtol: 1e-4 };
const close = (a: tf.Tensor, e: JsonTensor, what: string) => closeTo(a, e, TOL, what, expectAllClose);

function maskOf(lengths: number[], l: number): tf.Tensor2D {
  return tf.tensor2d(lengths.map((n) => Array.from({ length: l }, (_, i) => (i < n ? 1 : 0))));
}

/** Rows `rows` of h_n [layers·dirs, B, H], concatenated along H. */
function hn(t: JsonTensor, rows: number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const all = tf.tensor(t.data, t.shape);
    return tf.concat(
      rows.map((r) => tf.squeeze(tf.slice(all, [r, 0, 0], [1, -1, -1]), [0])),
      1,
    ) as tf.Tensor2D;
  });
}

describe('GRU: published sizes', () => {
  it('VSE-style biGRU parameter count equals PyTorch', () => {
    expect(GruTextEncoder.countParameters(GRU_VSE)).toBe(counts.vse_gru_bi);
  });
});

describeBackends('GRU text encoder', () => {
  for (const [name, bidirectional, finalRows] of [
    ['bidirectional', true, [2, 3]],
    ['unidirectional', false, [1]],
  ] as const) {
    it(`golden vs torch.nn.GRU on packed sequences (${name}, 2 layers)`, async () => {
      const f = bidirectional ? fx.bi : fx.uni;
      const enc = new GruTextEncoder({ ...GRU_TEST, bidirectional });
      const report = loadStateDict(enc, f.state as StateDictLike);
      expect(report.loaded.length).toBe(enc.params.specs().length);
      const ids = tf.tensor2d(f.ids, undefined, 'int32');
      const mask = maskOf(f.lengths, 7);
      const expectedLast = hn(f.h_n, [...finalRows]);
      await expectNoLeak(async () => {
        const out = enc.encode(ids, mask);
        await close(out.local, f.out, 'local (0 at padding)');
        await expectAllClose(out.global, expectedLast, TOL, 'global = h_n of the last layer');
        tf.dispose([out.global, out.local, out.mask as tf.Tensor]);
      }, 'GruTextEncoder.encode');
      tf.dispose([ids, mask, expectedLast]);
      enc.dispose();
    });
  }

  it('a padded caption gives the same output as the unpadded one (both directions, both poolings)', async () => {
    for (const pooling of ['last', 'mean'] as const) {
      const enc = new GruTextEncoder({ ...GRU_TEST, pooling }, { rng: new Rng(3) });
      const short = tf.tensor2d([[4, 9, 2]], undefined, 'int32');
      const padded = tf.tensor2d([[4, 9, 2, 0, 0, 0, 0]], undefined, 'int32');
      const a = enc.encode(short, tf.ones([1, 3]) as tf.Tensor2D);
      const b = enc.encode(padded, maskOf([3], 7));
      await expectAllClose(b.global, a.global, { atol: 1e-6, rtol: 1e-5 }, `global (${pooling})`);
      const head = tf.slice(b.local, [0, 0, 0], [1, 3, -1]);
      await expectAllClose(head, a.local, { atol: 1e-6, rtol: 1e-5 }, 'local (real tokens)');
      const tail = tf.slice(b.local, [0, 3, 0], [1, 4, -1]);
      expect(Array.from(await tail.data()).every((v) => v === 0)).toBe(true);
      tf.dispose([
        short,
        padded,
        a.global,
        a.local,
        a.mask as tf.Tensor,
        b.global,
        b.local,
        b.mask as tf.Tensor,
      ]);
      tf.dispose([head, tail]);
      enc.dispose();
    }
  });

  it("directionMerge 'mean' averages the two directions (SCAN); pooling 'mean' is the masked mean", async () => {
    const cat = new GruTextEncoder({ ...GRU_TEST, pooling: 'mean' }, { rng: new Rng(4) });
    const avg = new GruTextEncoder({ ...GRU_TEST, directionMerge: 'mean' }, { rng: new Rng(4) });
    expect(cat.dim).toBe(12);
    expect(avg.dim).toBe(6);
    const ids = tf.tensor2d([[5, 6, 7, 0]], undefined, 'int32');
    const mask = maskOf([3], 4);
    const a = cat.encode(ids, mask);
    const b = avg.encode(ids, mask);
    const halves = tf.tidy(() => {
      const [f, r] = tf.split(a.local, 2, 2);
      return tf.div(tf.add(f as tf.Tensor, r as tf.Tensor), 2);
    });
    await expectAllClose(b.local, halves, { atol: 1e-6, rtol: 1e-5 }, 'mean of directions');
    const mean = tf.tidy(() => tf.div(tf.sum(a.local, 1), 3));
    await expectAllClose(a.global, mean, { atol: 1e-6, rtol: 1e-5 }, 'masked mean');
    tf.dispose([ids, mask, a.global, a.local, a.mask as tf.Tensor, b.global, b.local, b.mask as tf.Tensor]);
    tf.dispose([halves, mean]);
    cat.dispose();
    avg.dispose();
  });

  it('gradient reaches every weight (embedding rows used)', async () => {
    const enc = new GruTextEncoder({ ...GRU_TEST, vocabSize: 8 }, { rng: new Rng(5) });
    const ids = tf.tensor2d(
      [
        [1, 2, 3, 4, 0, 0, 0],
        [5, 6, 7, 0, 1, 2, 3],
      ],
      undefined,
      'int32',
    );
    const mask = maskOf([4, 7], 7);
    await expectNoLeak(async () => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const out = enc.encode(ids, mask, true);
            return tf.add(tf.sum(tf.square(out.global)), tf.sum(tf.square(out.local))) as tf.Scalar;
          }),
        enc.trainableVariables(),
      );
      const zero: string[] = [];
      for (const [name, v] of enc.params.entries()) {
        const t = tf.tidy(() => tf.sum(tf.abs(grads[v.name] as tf.Tensor)));
        const s = (await t.data())[0] as number;
        t.dispose();
        if (!(Number.isFinite(s) && s > 0)) zero.push(name);
      }
      expect(zero).toEqual([]);
      tf.dispose([value, ...Object.values(grads)]);
    }, 'GruTextEncoder grads');
    tf.dispose([ids, mask]);
    enc.dispose();
  });
});

describe('GRU errors', () => {
  it('config and input errors name the field', () => {
    expect(() => new GruTextEncoder({ hiddenSize: 0 })).toThrow(EncoderError);
    expect(() => new GruTextEncoder({ hiddenSize: 0 })).toThrow(/hiddenSize must be a positive integer/);
    expect(() => new GruTextEncoder({ directionMerge: 'sum' as unknown as 'mean' })).toThrow(
      /directionMerge must be 'concat' or 'mean'/,
    );
    const enc = new GruTextEncoder(GRU_TEST);
    const ids = tf.zeros([2, 5], 'int32') as tf.Tensor2D;
    const mask = tf.ones([2, 4]) as tf.Tensor2D;
    expect(() => enc.encode(ids, mask)).toThrow(/mask must have shape \[2, 5\], got \[2, 4\]/);
    expect(() => enc.tokenizer.encode('a')).toThrow(/no tokenizer attached/);
    tf.dispose([ids, mask]);
    enc.dispose();
  });
});
