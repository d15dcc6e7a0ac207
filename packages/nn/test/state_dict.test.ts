import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  conv2dSpecs,
  countParameters,
  floatToHalf,
  type HasParameters,
  layerNormSpecs,
  linearSpecs,
  loadStateDict,
  NnInputError,
  ParamStore,
  type StateDict,
  StateDictError,
  stateDict,
  tfShape,
  tfToTorchPerm,
  torchToTfPerm,
  trainableVariablesOf,
  withPrefix,
} from '../src/index.js';

const specs = () => [
  ...linearSpecs('fc', 3, 4),
  ...layerNormSpecs('ln', 4),
  ...conv2dSpecs('conv', 2, 5, 3, true),
];

describeBackends('parameter specs and ParamStore', () => {
  it('layouts: tfjs shapes and permutations are inverse of each other', () => {
    expect(tfShape([4, 3], 'linear')).toEqual([3, 4]);
    expect(tfShape([5, 2, 3, 3], 'conv2d')).toEqual([3, 3, 2, 5]);
    for (const layout of ['same', 'linear', 'conv2d'] as const) {
      const shape = layout === 'conv2d' ? [5, 2, 3, 4] : layout === 'linear' ? [4, 3] : [7];
      const there = torchToTfPerm(layout);
      const back = tfToTorchPerm(layout);
      const t = tf.reshape(
        tf.range(
          0,
          shape.reduce((a, b) => a * b, 1),
        ),
        shape,
      );
      const roundTrip = back === null ? t : tf.transpose(there === null ? t : tf.transpose(t, there), back);
      expect(roundTrip.arraySync()).toEqual(t.arraySync());
      tf.dispose([t, roundTrip]);
    }
  });

  it('linearSpecs default to PyTorch nn.Linear init U(±1/√in); counts exclude buffers', () => {
    const [w, b] = linearSpecs('fc', 16, 4);
    expect(w).toEqual({
      name: 'fc.weight',
      shape: [4, 16],
      layout: 'linear',
      init: { kind: 'uniform', limit: 0.25 },
    });
    expect(b).toEqual({ name: 'fc.bias', shape: [4], init: { kind: 'uniform', limit: 0.25 } });
    expect(linearSpecs('fc', 16, 4, { bias: false })).toHaveLength(1);
    expect(countParameters(specs())).toBe(16 + 8 + 95);
  });

  it('ParamStore: seeded, tfjs layout, trainable flags, named parameters, errors', async () => {
    await expectNoLeak(async () => {
      const a = new ParamStore(specs(), new Rng(3), 'Toy');
      const b = new ParamStore(specs(), new Rng(3), 'Toy');
      expect(a.get('fc.weight').shape).toEqual([3, 4]);
      expect(a.get('conv.weight').shape).toEqual([3, 3, 2, 5]);
      await expectAllClose(a.get('fc.weight'), b.get('fc.weight'), { atol: 0, rtol: 0 });
      const w = await a.get('fc.weight').data();
      expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(3));
      expect(a.namedParameters().map((p) => p.spec.name)).toEqual(specs().map((s) => s.name));
      a.setTrainable(false, (n) => n.startsWith('fc.'));
      expect(a.trainableVariables()).toHaveLength(4);
      expect(trainableVariablesOf(a.namedParameters())).toHaveLength(4);
      expect(withPrefix('head.', a.namedParameters())[0]?.spec.name).toBe('head.fc.weight');
      expect(() => a.get('nope')).toThrow(NnInputError);
      expect(
        () => new ParamStore([...linearSpecs('x', 1, 1), ...linearSpecs('x', 1, 1)], new Rng(0)),
      ).toThrow(/duplicate parameter name 'x.weight'/);
      a.dispose();
      b.dispose();
      expect(() => a.get('fc.weight')).toThrow(/disposed/);
    }, 'ParamStore');
  });
});

describeBackends('loadStateDict / stateDict', () => {
  it('round trip through the one StateDict type (PyTorch layout out, tfjs layout in)', async () => {
    await expectNoLeak(async () => {
      const a = new ParamStore(specs(), new Rng(1));
      const b = new ParamStore(specs(), new Rng(2));
      const sd = await stateDict(a);
      expect([...sd.keys()]).toEqual(specs().map((s) => s.name));
      expect(sd.get('fc.weight')?.shape).toEqual([4, 3]);
      expect(sd.get('conv.weight')?.shape).toEqual([5, 2, 3, 3]);
      // PyTorch layout: weight[o][i] = kernel[i][o]
      const k = (await a.get('fc.weight').array()) as number[][];
      expect(sd.get('fc.weight')?.data[1 * 3 + 2]).toBe(k[2]?.[1]);
      const report = loadStateDict(b, sd);
      expect(report).toEqual({ loaded: [...sd.keys()], missing: [], unexpected: [], mismatched: [] });
      for (const [name] of a.entries())
        await expectAllClose(b.get(name), a.get(name), { atol: 0, rtol: 0 }, name);
      const prefixed = await stateDict(a, { prefix: 'm.' });
      expect([...prefixed.keys()][0]).toBe('m.fc.weight');
      a.dispose();
      b.dispose();
    }, 'round trip');
  });

  it('accepts a plain object, tf.Tensor entries (never disposing them), half, bfloat16 and int64 data', async () => {
    await expectNoLeak(async () => {
      const store = new ParamStore(linearSpecs('fc', 2, 2), new Rng(0));
      const weight = tf.tensor2d([
        [1, 2],
        [3, 4],
      ]); // PyTorch [out, in]
      loadStateDict(store, { 'fc.weight': weight, 'fc.bias': { shape: [2], data: [0.5, -0.5] } });
      expect(weight.isDisposed).toBe(false);
      expect(await store.get('fc.weight').array()).toEqual([
        [1, 3],
        [2, 4],
      ]);
      expect(Array.from(await store.get('fc.bias').data())).toEqual([0.5, -0.5]);
      const halves: StateDict = new Map([
        [
          'fc.weight',
          { dtype: 'float16', shape: [2, 2], data: Uint16Array.from([1, -2, 0.25, 65504], floatToHalf) },
        ],
        ['fc.bias', { dtype: 'bfloat16', shape: [2], data: Uint16Array.from([0x3f80, 0xc000]) }],
      ]);
      loadStateDict(store, halves);
      expect(await store.get('fc.weight').array()).toEqual([
        [1, 0.25],
        [-2, 65504],
      ]);
      expect(Array.from(await store.get('fc.bias').data())).toEqual([1, -2]);
      loadStateDict(
        store,
        new Map([['fc.bias', { dtype: 'int64', shape: [2], data: BigInt64Array.from([3n, -7n]) }]]),
        {
          strict: false,
        },
      );
      expect(Array.from(await store.get('fc.bias').data())).toEqual([3, -7]);
      weight.dispose();
      store.dispose();
    }, 'entries');
  });

  it('strict: lists every missing, unexpected and mis-shaped key at once, writes nothing, hints the prefix', async () => {
    const store = new ParamStore(specs(), new Rng(1));
    const sd = await stateDict(store, { prefix: 'visual.' });
    const before = await store.get('ln.weight').data();
    sd.set('visual.ln.weight', { dtype: 'float32', shape: [4], data: new Float32Array(4).fill(7) });
    sd.delete('visual.fc.bias');
    sd.set('visual.extra', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    sd.set('visual.conv.bias', { dtype: 'float32', shape: [4], data: new Float32Array(4) });
    let err: StateDictError | undefined;
    try {
      loadStateDict(store, sd, { prefix: 'visual.', where: 'Toy.loadStateDict' });
    } catch (e) {
      err = e as StateDictError;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect(err?.where).toBe('Toy.loadStateDict');
    expect(err?.argument).toBe('fc.bias');
    expect(err?.missing).toEqual(['fc.bias']);
    expect(err?.unexpected).toEqual(['extra']);
    expect(err?.mismatched).toEqual([{ key: 'conv.bias', expected: [5], got: [4] }]);
    expect(err?.message).toMatch(
      /^Toy\.loadStateDict: missing keys \(1\): fc\.bias; unexpected keys \(1\): extra; shape mismatches \(1, PyTorch layout\): conv\.bias expected \[5\] got \[4\]\. Nothing was loaded/,
    );
    expect(Array.from(await store.get('ln.weight').data())).toEqual(Array.from(before));
    // without the prefix: every key is unexpected, and the error says which prefix to pass
    expect(() => loadStateDict(store, sd)).toThrow(/pass \{ prefix: 'visual\.' \}/);
    expect(() => loadStateDict(store, new Map())).toThrow(/the state dict is empty/);
    // non-strict: loads what fits, reports the rest
    const r = loadStateDict(store, sd, { prefix: 'visual.', strict: false });
    expect(r.missing).toEqual(['fc.bias']);
    expect(r.unexpected).toEqual(['extra']);
    expect(r.mismatched.map((m) => m.key)).toEqual(['conv.bias']);
    expect(Array.from(await store.get('ln.weight').data())).toEqual([7, 7, 7, 7]);
    // the deprecated stripPrefix keeps keys without the prefix (they count as unexpected)
    const strip = loadStateDict(store, new Map([...sd, ['other', sd.get('visual.extra') as never]]), {
      stripPrefix: 'visual.',
      strict: false,
    });
    expect(strip.unexpected).toEqual(['extra', 'other']);
    store.dispose();
  });

  it('ignores num_batches_tracked and a holder’s ignoredKeys; loads several holders together', async () => {
    const a = new ParamStore(linearSpecs('a', 2, 2), new Rng(1));
    const b = new ParamStore(linearSpecs('b', 2, 2), new Rng(2));
    const holder: HasParameters = {
      namedParameters: () => b.namedParameters(),
      ignoredKeys: [/^attn_mask$/],
    };
    const sd = await stateDict([a, b]);
    sd.set('bn.num_batches_tracked', { dtype: 'int64', shape: [], data: BigInt64Array.from([3n]) });
    sd.set('attn_mask', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    expect(loadStateDict([a, holder], sd).loaded).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    expect(() => loadStateDict([a, a], sd)).toThrow(/two parameters are named 'a\.weight'/);
    a.dispose();
    b.dispose();
  });

  it('says clearly when what it was given is not a state dict', async () => {
    const store = new ParamStore(linearSpecs('fc', 2, 2), new Rng(0));
    const sd = await stateDict(store);
    const code = (f: () => unknown) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        expect(e).toBeInstanceOf(NnInputError);
        return `${(e as NnInputError).argument}: ${(e as Error).message}`;
      }
    };
    expect(code(() => loadStateDict(store, [] as never))).toMatch(
      /^stateDict: .*expected a state dict.*an array/,
    );
    const t = tf.zeros([2]);
    expect(code(() => loadStateDict(store, t as never))).toMatch(/got a tensor of shape \[2\]/);
    t.dispose();
    expect(code(() => loadStateDict(store, { model: sd } as never))).toMatch(
      /^model: .*checkpoint record; pass its 'model' entry/,
    );
    expect(code(() => loadStateDict(store, { 'fc.bias': { shape: [3], data: [1, 2] } }))).toMatch(
      /^fc\.bias: .*has 2 values but its shape \[3\] needs 3/,
    );
    expect(code(() => loadStateDict({} as never, sd))).toMatch(/namedParameters/);
    store.dispose();
  });
});
