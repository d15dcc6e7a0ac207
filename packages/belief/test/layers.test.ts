/**
 * Layer forms (same values as the functions, serialization round-trip), masks, orders, errors and leaks.
 */
import { PirError } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import {
  BeliefInputError,
  BeliefScores,
  beliefScores,
  HardBelief,
  hardBelief,
  PrependInstruction,
  prependInstruction,
  SoftBelief,
  softBelief,
} from '../src/index.js';

async function roundTrip(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return tfl.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
}

describeBackends('belief layers', () => {
  const V = () => tf.randomNormal([3, 6, 4], 0, 1, 'float32', 7) as tf.Tensor3D;
  const U = () => tf.randomNormal([3, 4], 0, 1, 'float32', 8) as tf.Tensor2D;

  it('layers equal the functions and survive save/load', async () => {
    const v = tfl.input({ shape: [6, 4] });
    const u = tfl.input({ shape: [4] });
    const outs = [
      new BeliefScores().apply([v, u]),
      new HardBelief({ k: 3, returnDetails: true }).apply([v, u]),
      new SoftBelief({ variant: 'released' }).apply([v, u]),
      new PrependInstruction().apply([v, u]),
    ].flat() as tfl.SymbolicTensor[];
    const model = tfl.model({ inputs: [v, u], outputs: outs });
    const loaded = await roundTrip(model);
    const [x, y] = [V(), U()];
    const a = model.predict([x, y]) as tf.Tensor[];
    const b = loaded.predict([x, y]) as tf.Tensor[];
    const h = hardBelief(x, y, { k: 3 });
    const expected = [
      beliefScores(x, y),
      h.tokens,
      h.mask,
      h.scores,
      tf.cast(h.indices, 'float32'),
      softBelief(x, y, { variant: 'released' }).tokens,
      prependInstruction(x, y).tokens,
    ];
    expect(a.length).toBe(expected.length);
    for (let i = 0; i < a.length; i++) {
      await expectAllClose(a[i] as tf.Tensor, expected[i] as tf.Tensor, undefined, `output ${i}`);
      await expectAllClose(
        b[i] as tf.Tensor,
        expected[i] as tf.Tensor,
        { atol: 0, rtol: 0 },
        `reloaded ${i}`,
      );
    }
    expect((loaded.layers[3] as HardBelief).k).toBe(3);
    tf.dispose([...a, ...b, ...expected, x, y]);
    model.dispose();
    loaded.dispose();
  });

  it('masked tokens score 0, are kept last, and come out of soft belief as zeros', async () => {
    const [x, y] = [V(), U()];
    const mask = tf.tensor2d([
      [1, 1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1, 1],
      [1, 0, 0, 0, 0, 0],
    ]);
    const s = await beliefScores(x, y, mask).array();
    expect(s[0]?.[4]).toBe(0);
    expect(s[2]?.[0]).toBeCloseTo(1, 6);
    const h = hardBelief(x, y, { k: 5, mask });
    const idx = (await h.indices.array()) as number[][];
    expect(idx[0]?.slice(0, 4).every((i) => i < 4)).toBe(true);
    expect(idx[2]?.[0]).toBe(0);
    expect(await h.mask.array()).toEqual([
      [1, 1, 1, 1, 0],
      [1, 1, 1, 1, 1],
      [1, 0, 0, 0, 0],
    ]);
    const soft = await softBelief(x, y, { mask }).tokens.array();
    expect(soft[2]?.[3]?.map(Math.abs)).toEqual([0, 0, 0, 0]);
  });

  it("order 'position' keeps the top-K tokens in their original order; K = N and batch size 1 work", async () => {
    const [x, y] = [V(), U()];
    const byBelief = (await hardBelief(x, y, { k: 4 }).indices.array()) as number[][];
    const byPos = (await hardBelief(x, y, { k: 4, order: 'position' }).indices.array()) as number[][];
    for (let b = 0; b < 3; b++)
      expect(byPos[b]).toEqual([...(byBelief[b] as number[])].sort((p, q) => p - q));
    const one = hardBelief(tf.slice(x, [0, 0, 0], [1, 6, 4]), tf.slice(y, [0, 0], [1, 4]), { k: 6 });
    expect(one.tokens.shape).toEqual([1, 6, 4]);
    expect(new Set((await one.indices.array())[0])).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });

  it('gradients reach the kept tokens only, and the instruction through the scores', async () => {
    const [x, y] = [V(), U()];
    const gx = tf.grad((v: tf.Tensor) => tf.sum(hardBelief(v as tf.Tensor3D, y, { k: 2 }).tokens))(x);
    const rows = (await tf.sum(tf.abs(gx), 2).array()) as number[][];
    for (const r of rows) expect(r.filter((v) => v > 0).length).toBe(2);
    const gu = tf.grad((w: tf.Tensor) => tf.sum(softBelief(x, w).tokens))(y);
    expect((await tf.sum(tf.abs(gu)).data())[0]).toBeGreaterThan(0);
  });

  it('errors name the argument and the shapes', () => {
    const [x, y] = [V(), U()];
    const err = (f: () => unknown, where: string, argument: string) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(BeliefInputError);
        expect(e).toBeInstanceOf(PirError);
        const error = e as BeliefInputError;
        expect(error.name).toBe('BeliefInputError');
        expect(error.where).toBe(where);
        expect(error.fn, 'the deprecated fn getter').toBe(where);
        expect(error.argument).toBe(argument);
        expect(error.message.startsWith(`${where}: `), error.message).toBe(true);
        return;
      }
      expect.fail(`expected a BeliefInputError on ${argument}`);
    };
    err(() => hardBelief(x, y, { k: 7 }), 'hardBelief', 'k');
    err(() => hardBelief(x, y, { k: 0 }), 'hardBelief', 'k');
    err(() => beliefScores(tf.ones([3, 4]) as unknown as tf.Tensor3D, y), 'beliefScores', 'tokens');
    err(() => beliefScores(x, tf.ones([3, 5])), 'beliefScores', 'instruction');
    err(() => beliefScores(x, y, tf.ones([3, 5]) as tf.Tensor2D), 'beliefScores', 'mask');
    err(() => softBelief(x, y, { variant: 'x' as 'paper' }), 'softBelief', 'variant');
    err(() => prependInstruction(x, tf.ones([2, 4])), 'prependInstruction', 'instruction');
    err(() => new SoftBelief({ variant: 'y' as 'paper' }), 'SoftBelief', 'variant');
    err(() => new HardBelief({ k: 1.5 }), 'HardBelief', 'k');
    err(() => new BeliefScores().apply([x]), 'BeliefScores', 'inputs');
    expect(() => hardBelief(x, y, { k: 7 })).toThrow(/k must be an integer in \[1, N\] = \[1, 6\], got 7/);
  });

  it('leaks nothing (functions, gradients, layers)', async () => {
    const [x, y] = [V(), U()];
    const mask = tf.ones([3, 6]) as tf.Tensor2D;
    await expectNoLeak(() => {
      tf.dispose(beliefScores(x, y, mask));
      for (const selection of ['gather', 'matmul'] as const) {
        const h = hardBelief(x, y, { k: 3, mask, selection });
        tf.dispose([h.tokens, h.scores, h.indices, h.mask]);
        tf.dispose(
          tf.grad((v: tf.Tensor) => tf.sum(hardBelief(v as tf.Tensor3D, y, { k: 3, selection }).tokens))(x),
        );
      }
      for (const variant of ['paper', 'released'] as const) {
        const s = softBelief(x, y, { variant, mask });
        tf.dispose([s.tokens, s.scores, s.weights, s.multipliers]);
        tf.dispose(
          tf.grads((v: tf.Tensor, w: tf.Tensor) =>
            tf.sum(softBelief(v as tf.Tensor3D, w, { variant }).tokens),
          )([x, y]),
        );
      }
      const p = prependInstruction(x, y, mask);
      tf.dispose([p.tokens, p.mask as tf.Tensor]);
      for (const layer of [
        new BeliefScores(),
        new HardBelief({ k: 2, returnDetails: true }),
        new SoftBelief(),
        new PrependInstruction(),
      ]) {
        tf.dispose(layer.apply([x, y]) as tf.Tensor[]);
      }
    }, 'belief');
    tf.dispose([x, y, mask]);
  });
});
