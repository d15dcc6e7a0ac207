/**
 * `validate: true` of hardBelief / softBelief and their layers: a NaN or ±Infinity input throws a
 * BeliefInputError naming the argument and the position of the first bad value (without it, hard belief
 * returns indices as if nothing were wrong — the behaviour the option exists for).
 */
import { PirError } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { BeliefInputError, HardBelief, hardBelief, SoftBelief, softBelief } from '../src/index.js';

/** [2, 5, 4] tokens with `value` at [b, n, d]. */
function tokensWith(value: number, at?: [number, number, number]): tf.Tensor3D {
  const data = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i + 1));
  if (at) data[at[0] * 20 + at[1] * 4 + at[2]] = value;
  return tf.tensor3d(data, [2, 5, 4]);
}

function thrown(fn: () => unknown): BeliefInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BeliefInputError);
    expect(e).toBeInstanceOf(PirError);
    return e as BeliefInputError;
  }
  throw new Error('expected a BeliefInputError');
}

describeBackends('belief validate', () => {
  it('without validate, hard belief ranks a NaN token silently (why the option exists)', async () => {
    const v = tokensWith(Number.NaN, [1, 3, 2]);
    const u = tf.ones([2, 4]);
    const r = hardBelief(v, u, { k: 3 });
    expect(r.indices.shape).toEqual([2, 3]);
    tf.dispose([v, u, ...Object.values(r)]);
  });

  it('hardBelief names the tokens and the first bad position', async () => {
    const v = tokensWith(Number.NaN, [1, 3, 2]);
    const u = tf.ones([2, 4]);
    const e = await expectNoLeak(() => thrown(() => hardBelief(v, u, { k: 3, validate: true })));
    expect(e.where).toBe('hardBelief');
    expect(e.argument).toBe('tokens');
    expect(e.message).toMatch(/^hardBelief: tokens \[2,5,4\] holds NaN at \[1,3,2\] \(flat index 34\)/);
    tf.dispose([v, u]);
  });

  it('hardBelief names an infinite instruction and a bad mask', async () => {
    const v = tokensWith(0);
    const u = tf.tensor2d([1, 2, 3, 4, 5, Number.NEGATIVE_INFINITY, 7, 8], [2, 4]);
    const e = await expectNoLeak(() => thrown(() => hardBelief(v, u, { k: 2, validate: true })));
    expect(e.argument).toBe('instruction');
    expect(e.message).toContain('-Infinity at [1,1]');
    const ok = tf.ones([2, 4]);
    const mask = tf.tensor2d([1, 1, 1, 1, 1, 1, Number.NaN, 1, 1, 1], [2, 5]);
    const m = await expectNoLeak(() => thrown(() => hardBelief(v, ok, { k: 2, mask, validate: true })));
    expect(m.argument).toBe('mask');
    expect(m.message).toContain('NaN at [1,1]');
    tf.dispose([v, u, ok, mask]);
  });

  it('finite inputs pass and give the same result as without validate', async () => {
    const v = tokensWith(0);
    const u = tf.ones([2, 4]);
    const a = hardBelief(v, u, { k: 3, validate: true });
    const b = hardBelief(v, u, { k: 3 });
    expect(await a.indices.array()).toEqual(await b.indices.array());
    const s = softBelief(v, u, { variant: 'released', validate: true });
    expect(s.tokens.shape).toEqual([2, 5, 4]);
    tf.dispose([v, u, ...Object.values(a), ...Object.values(b), ...Object.values(s)]);
  });

  it('softBelief names the tokens and the position', async () => {
    const v = tokensWith(Number.POSITIVE_INFINITY, [0, 0, 1]);
    const u = tf.ones([2, 1, 4]);
    const e = await expectNoLeak(() => thrown(() => softBelief(v, u, { validate: true })));
    expect(e.where).toBe('softBelief');
    expect(e.argument).toBe('tokens');
    expect(e.message).toContain('Infinity at [0,0,1] (flat index 1)');
    tf.dispose([v, u]);
  });

  it('the layers check on every call (where = the layer) and keep validate in their config', async () => {
    const v = tokensWith(Number.NaN, [0, 4, 3]);
    const u = tf.ones([2, 4]);
    const hard = new HardBelief({ k: 2, validate: true });
    const soft = new SoftBelief({ variant: 'released', validate: true });
    for (const [layer, where] of [
      [hard, 'HardBelief'],
      [soft, 'SoftBelief'],
    ] as const) {
      const e = await expectNoLeak(() => thrown(() => layer.apply([v, u])));
      expect(e.where).toBe(where);
      expect(e.argument).toBe('tokens');
      expect(e.message).toContain('NaN at [0,4,3]');
    }
    expect(hard.getConfig().validate).toBe(true);
    expect(soft.getConfig().validate).toBe(true);
    expect(new HardBelief({ k: 2 }).getConfig().validate).toBe(false);
    // round trip through the serialization registry keeps the option
    const tokens = tfl.input({ shape: [5, 4] });
    const instruction = tfl.input({ shape: [4] });
    const out = hard.apply([tokens, instruction]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [tokens, instruction], outputs: out });
    const loaded = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) });
    expect((loaded.layers[2] as HardBelief).validate).toBe(true);
    const finite = tokensWith(0);
    const kept = loaded.predict([finite, u]) as tf.Tensor;
    expect(kept.shape).toEqual([2, 2, 4]);
    tf.dispose([v, u, finite, kept]);
    model.dispose();
    loaded.dispose();
  });
});
