import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  applyNameMap,
  bfloat16ToFloat,
  checkKeys,
  floatToHalf,
  halfToFloat,
  permute,
  type StateDict,
  type StateTensor,
  stateDictToTensors,
  toFloat32,
  WeightsError,
} from '../src/weights/index.js';

const f = (shape: number[], values?: number[]): StateTensor => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from(values ?? Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i)),
});

describe('applyNameMap', () => {
  it('renames by prefix and drops', () => {
    const t = f([2]);
    const sd: StateDict = new Map([
      ['module.fc.weight', t],
      ['module.bn.num_batches_tracked', f([])],
    ]);
    const out = applyNameMap(sd, [
      { pattern: '\\.num_batches_tracked$', drop: true },
      { pattern: '^module\\.', replace: '' },
    ]);
    expect([...out.keys()]).toEqual(['fc.weight']);
    expect(out.get('fc.weight')).toBe(t);
  });
  it('selecting rules keep a tower', () => {
    const sd: StateDict = new Map([
      ['module.visual.conv1.weight', f([1])],
      ['module.token_embedding.weight', f([1])],
    ]);
    const rules = [
      { pattern: '^module\\.', replace: '' },
      { pattern: '^visual\\.', replace: '', select: true },
    ];
    expect([...applyNameMap(sd, rules).keys()]).toEqual(['conv1.weight']);
  });
  it('refuses collisions and bad patterns', () => {
    const sd: StateDict = new Map([
      ['a.x', f([1])],
      ['b.x', f([1])],
    ]);
    expect(() => applyNameMap(sd, [{ pattern: '^[ab]\\.', replace: '' }])).toThrow(
      /'a.x' and 'b.x' both map to 'x'/,
    );
    expect(() => applyNameMap(sd, [{ pattern: '(', replace: '' }])).toThrow(WeightsError);
  });
});

describe('checkKeys', () => {
  const sd: StateDict = new Map([
    ['fc.weight', f([3, 4])],
    ['fc.extra', f([1])],
  ]);
  it('lists missing, unexpected and mismatched keys', () => {
    const expected = new Map([
      ['fc.weight', [4, 3]],
      ['fc.bias', [3]],
    ]);
    expect(() => checkKeys(expected, sd)).toThrow(
      /missing 1 key\(s\): fc.bias; unexpected 1 key\(s\): fc.extra; shape mismatch: fc.weight expected \[4,3\] got \[3,4\]/,
    );
    const r = checkKeys(expected, sd, { strict: false });
    expect(r).toEqual({
      missing: ['fc.bias'],
      unexpected: ['fc.extra'],
      mismatched: [{ key: 'fc.weight', expected: [4, 3], got: [3, 4] }],
    });
  });
  it('passes when allowed', () => {
    expect(() => checkKeys(new Map([['fc.weight', [3, 4]]]), sd, { allowUnexpected: true })).not.toThrow();
  });
});

describe('dtype conversions', () => {
  it('half and bfloat16 decode exactly', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    expect(bfloat16ToFloat(0x3f80)).toBe(1);
    expect(bfloat16ToFloat(0xc040)).toBe(-3);
  });
  it('floatToHalf round-trips every half', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = halfToFloat(h);
      if (Number.isNaN(x)) continue;
      expect(floatToHalf(x)).toBe(h);
    }
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1e6)).toBe(0x7c00);
  });
  it('toFloat32 of int64 and float64', () => {
    expect([...toFloat32({ dtype: 'int64', shape: [2], data: BigInt64Array.from([3n, -4n]) })]).toEqual([
      3, -4,
    ]);
    expect([...toFloat32({ dtype: 'float64', shape: [1], data: Float64Array.from([0.5]) })]).toEqual([0.5]);
  });
  it('permute transposes', () => {
    const t = permute(f([2, 3]), [1, 0]);
    expect(t.shape).toEqual([3, 2]);
    expect([...t.data]).toEqual([0, 3, 1, 4, 2, 5]);
    expect(() => permute(f([2, 3]), [0, 0])).toThrow(/not a permutation/);
  });
});

describeBackends('stateDictToTensors', () => {
  it('makes float32 and int32 tensors without leaking', async () => {
    await expectNoLeak(async () => {
      const sd: StateDict = new Map<string, StateTensor>([
        ['w', f([2, 2])],
        ['n', { dtype: 'int64', shape: [], data: BigInt64Array.from([7n]) }],
      ]);
      const ts = stateDictToTensors(sd);
      expect(ts.w?.dtype).toBe('float32');
      expect(ts.n?.dtype).toBe('int32');
      expect(await ts.w?.data()).toEqual(new Float32Array([0, 1, 2, 3]));
      tf.dispose(Object.values(ts));
    });
  });
  it('refuses int64 out of int32 range and frees what it made', async () => {
    await expectNoLeak(() => {
      const sd: StateDict = new Map<string, StateTensor>([
        ['w', f([2])],
        ['big', { dtype: 'int64', shape: [1], data: BigInt64Array.from([2n ** 40n]) }],
      ]);
      expect(() => stateDictToTensors(sd)).toThrow(/'big' holds 1099511627776/);
    });
  });
});
