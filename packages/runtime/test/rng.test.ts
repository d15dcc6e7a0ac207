import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getGlobalRng, Rng, setGlobalSeed } from '../src/rng.js';
import fixture from './fixtures/rng.json';
import { expectThrowsPirError } from './pir_error_helpers.js';

describe('Rng', () => {
  it('matches an independent xoshiro128** + splitmix32 implementation (tools/golden/rng.py)', () => {
    for (const c of fixture.cases) {
      const rng = new Rng(c.seed);
      expect(
        Array.from({ length: c.uint32.length }, () => rng.nextUint32()),
        `seed ${c.seed}`,
      ).toEqual(c.uint32);
    }
  });

  it('is reproducible from its seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 20 }, () => r.nextUint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('int(n) stays in range and is roughly uniform', () => {
    const rng = new Rng(3);
    const counts = new Array(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) counts[rng.int(7)]++;
    for (const c of counts) expect(Math.abs(c - n / 7)).toBeLessThan(5 * Math.sqrt(n / 7));
    expectThrowsPirError(() => rng.int(0), 'Rng.int', 'n', /n must be an integer in \[1, 2\^32\], got 0/);
    expectThrowsPirError(() => rng.int(2.5), 'Rng.int', 'n', /n must be an integer in \[1, 2\^32\], got 2.5/);
    expectThrowsPirError(() => rng.int(2 ** 32 + 1), 'Rng.int', 'n', /got 4294967297/);
  });

  it('float() is in [0,1) with mean 1/2; normal() has mean 0 and variance 1', () => {
    const rng = new Rng(11);
    const n = 50_000;
    let s = 0;
    let sn = 0;
    let sn2 = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.float();
      if (!(u >= 0 && u < 1)) outside++;
      s += u;
      const z = rng.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(outside).toBe(0);
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sn / n)).toBeLessThan(0.02);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.03);
  });

  it('fillNormal with truncation never exceeds the bound', () => {
    const out = new Rng(5).fillNormal(new Float32Array(10_000), 0, 0.02, 2);
    expect(Math.max(...Array.from(out, Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7);
    expect(new Set(out).size).toBeGreaterThan(9_000);
  });

  it('shuffle and permutation give permutations', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const rng = new Rng(seed);
        const p = Array.from(rng.permutation(n)).sort((a, b) => a - b);
        expect(p).toEqual(Array.from({ length: n }, (_, i) => i));
        const a = Array.from({ length: n }, (_, i) => i);
        expect(rng.shuffle([...a]).sort((x, y) => x - y)).toEqual(a);
      }),
    );
  });

  it('state round-trips through JSON and resumes the same stream', () => {
    const rng = new Rng('resume');
    rng.normal(); // leaves a cached spare deviate
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    const expected = [rng.normal(), rng.nextUint32(), rng.float()];
    const restored = new Rng(0);
    restored.setState(saved);
    expect([restored.normal(), restored.nextUint32(), restored.float()]).toEqual(expected);
    expectThrowsPirError(
      () => restored.setState({ s: [1, 2, 3] } as never),
      'Rng.setState',
      'state',
      /expected \{s: \[4 uint32 values\], spare\} \(from getState\(\)\), got \{"s":\[1,2,3\]\}/,
    );
    expectThrowsPirError(() => restored.setState(null as never), 'Rng.setState', 'state', /got null/);
    expectThrowsPirError(
      () => restored.setState({ s: [1, 2, 3, -1], spare: null }),
      'Rng.setState',
      'state',
      /4 uint32 values/,
    );
    // a rejected state leaves the stream as it was
    const again = new Rng(0);
    again.setState(saved);
    again.normal();
    again.nextUint32();
    again.float();
    expect(restored.nextUint32()).toBe(again.nextUint32());
  });

  it('fork gives independent streams without advancing the parent', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    const f1 = a.fork('augment');
    const f2 = a.fork('dropout');
    expect(a.nextUint32()).toBe(b.nextUint32());
    const x1 = Array.from({ length: 5 }, () => f1.nextUint32());
    const x2 = Array.from({ length: 5 }, () => f2.nextUint32());
    expect(x1).not.toEqual(x2);
    expect(new Rng(9).fork('augment').nextUint32()).toBe(x1[0]);
  });

  it('rejects non-integer numeric seeds, naming the method and the argument', () => {
    expectThrowsPirError(
      () => new Rng(1.5),
      'Rng',
      'seed',
      /^Rng: seed must be a finite integer or a string, got 1.5$/,
    );
    expectThrowsPirError(() => new Rng(Number.NaN), 'Rng', 'seed', /finite integer or a string, got NaN/);
    expectThrowsPirError(() => new Rng({} as never), 'Rng', 'seed', /finite integer or a string, got object/);
    expectThrowsPirError(() => new Rng(0).reseed(Number.POSITIVE_INFINITY), 'Rng', 'seed', /got Infinity/);
    expectThrowsPirError(
      () => new Rng(0).fork(0.5),
      'Rng.fork',
      'key',
      /^Rng\.fork: key must be a finite integer or a string, got 0.5$/,
    );
    const before = getGlobalRng();
    expectThrowsPirError(
      () => setGlobalSeed(Number.NaN),
      'setGlobalSeed',
      'seed',
      /^setGlobalSeed: seed must be a finite integer or a string, got NaN$/,
    );
    expect(getGlobalRng()).toBe(before); // unchanged
  });
});
