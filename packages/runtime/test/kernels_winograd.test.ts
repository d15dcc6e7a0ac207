/**
 * The Winograd F(4×4, 3×3) path of the wasm `Conv2D` / `FusedConv2D` kernels (`src/kernels/conv_winograd.ts`):
 * values against PyTorch (`tools/golden/winograd_conv.py`: 'same', 'valid' and explicit padding, bias, relu,
 * relu6), tiles processed in several chunks, agreement with the stock XNNPACK kernel it replaces, exact stock
 * results for every case it declines, the transformed-filter cache (dispose, `Variable.assign`, reuse), leaks,
 * gradients against cpu, and tfjs's own errors for bad input.
 *
 * Tolerance: Winograd F(4, 3) is exact in real arithmetic; in float32 its transforms (entries up to 8 and 1/24)
 * add rounding of ≈ 1e-6 of the output scale (max |y|), against ≈ 1e-7 for direct convolution. The checks
 * use |got − want| ≤ 1e-4·scale + 1e-4·|want| — 100× that, while a wrong tap, tile offset or padding moves
 * outputs by ≈ 0.1·scale.
 */
import { seededValues as data, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { _setParallelGemmMin } from '../src/kernels/batch_mat_mul.js';
import {
  _setWinogradChunkBytes,
  _winogradCachedFilters,
  setWinogradConv,
  winogradPlan,
} from '../src/kernels/conv_winograd.js';
import { _parallelGemmCalls } from '../src/kernels/parallel_gemm.js';
import fx from './fixtures/winograd-conv.json';
import { caseLabel, decodeWinogradCases, type WinogradCase } from './winograd_fixture.js';

const CASES = decodeWinogradCases(fx);
const DEFAULT_CHUNK_BYTES = _setWinogradChunkBytes(0);
_setWinogradChunkBytes(DEFAULT_CHUNK_BYTES); // only read the default

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];
type Activation = 'linear' | 'relu' | 'relu6' | 'prelu' | 'leakyrelu' | 'sigmoid' | 'elu';

interface ConvSpec {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  bias?: tf.Tensor | undefined;
  pad: Pad;
  strides?: number;
  dilations?: number;
  activation?: Activation;
  preluActivationWeights?: tf.Tensor;
}

/** `tf.fused.conv2d` (or `tf.conv2d` when `plain`) of `s`; the caller disposes the result. */
function conv(s: ConvSpec, plain = false): tf.Tensor4D {
  const strides = s.strides ?? 1;
  const dilations = s.dilations ?? 1;
  if (plain) return tf.conv2d(s.x, s.filter, strides, s.pad, 'NHWC', dilations);
  return tf.fused.conv2d({
    x: s.x,
    filter: s.filter,
    strides,
    pad: s.pad,
    dilations,
    ...(s.bias !== undefined ? { bias: s.bias } : {}),
    activation: s.activation ?? 'linear',
    ...(s.preluActivationWeights !== undefined ? { preluActivationWeights: s.preluActivationWeights } : {}),
  });
}

async function values(s: ConvSpec, plain = false): Promise<Float32Array> {
  const y = conv(s, plain);
  const v = (await y.data()) as Float32Array;
  y.dispose();
  return v;
}

function plan(s: ConvSpec) {
  return winogradPlan(s.x, s.filter, {
    strides: s.strides ?? 1,
    pad: s.pad,
    dilations: s.dilations ?? 1,
    dataFormat: 'NHWC',
  });
}

/** The fixture case as tensors (the caller disposes them with {@link disposeSpec}). */
function specOf(c: WinogradCase): ConvSpec {
  return {
    x: tf.tensor4d(c.x.values, c.x.shape as [number, number, number, number]),
    filter: tf.tensor4d(c.filter.values, c.filter.shape as [number, number, number, number]),
    bias: c.bias ? tf.tensor1d(c.bias.values) : undefined,
    pad: c.pad as Pad,
    activation: c.activation,
  };
}

function disposeSpec(s: ConvSpec): void {
  tf.dispose([s.x, s.filter, s.bias, s.preluActivationWeights].filter((t) => t !== undefined));
}

/** Seeded random convolution operands; `wScale` keeps outputs O(1). */
function randomSpec(
  xShape: [number, number, number, number],
  fShape: [number, number, number, number],
  seed: number,
  extra: Partial<ConvSpec> = {},
): ConvSpec {
  const wScale = 1 / Math.sqrt(fShape[0] * fShape[1] * fShape[2]);
  return {
    x: tf.tensor4d(data(tf.util.sizeFromShape(xShape), seed), xShape),
    filter: tf.tidy(() =>
      tf.mul(tf.tensor4d(data(tf.util.sizeFromShape(fShape), seed + 1), fShape), wScale),
    ) as tf.Tensor4D,
    pad: 'same',
    ...extra,
  };
}

function cachedFilters(): number {
  const n = _winogradCachedFilters(tf.backend());
  expect(n, 'the Winograd kernels must be loaded on this wasm backend').toBeTypeOf('number');
  return n as number;
}

function tol(c: WinogradCase) {
  return { atol: 1e-4 * c.scale, rtol: 1e-4 };
}

function bitwiseEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

/** Tiles of the F(4×4, 3×3) tiling (ceil(Ho/4)·ceil(Wo/4) per image) and a chunk size not dividing them. */
function tiling(c: WinogradCase): { tiles: number; awkward: number } {
  const [n, ho, wo] = c.y.shape as [number, number, number, number];
  const tiles = n * Math.ceil(ho / 4) * Math.ceil(wo / 4);
  let awkward = Math.max(2, Math.floor(tiles / 3));
  while (tiles % awkward === 0) awkward++;
  return { tiles, awkward };
}

/** Chunk budget (bytes) for `rows` tiles per chunk, as conv_winograd.ts sizes it: 36·4·(Cin + Cout) per tile. */
function chunkBytes(c: WinogradCase, rows: number): number {
  const [, , cin, cout] = c.filter.shape as [number, number, number, number];
  return rows * 36 * 4 * (cin + cout);
}

describe('wasm Conv2D / FusedConv2D: Winograd F(4×4, 3×3)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    // bind the kernels (they load on the first Winograd call) so that every test can count cached filters
    const s = randomSpec([1, 8, 8, 16], [3, 3, 16, 16], 1);
    await values(s);
    disposeSpec(s);
  });
  afterEach(async () => {
    setWinogradConv(true);
    _setWinogradChunkBytes(DEFAULT_CHUNK_BYTES);
    await tf.setBackend('wasm');
  });

  it('loads on the wasm heap: the first Winograd convolution binds the kernels and caches its filter', async () => {
    await tf.setBackend('wasm');
    const s = randomSpec([1, 8, 8, 16], [3, 3, 16, 16], 1);
    expect(plan(s)).toBeDefined();
    const n = _winogradCachedFilters(tf.backend()) ?? 0;
    await values(s);
    expect(cachedFilters()).toBe(n + 1);
    disposeSpec(s);
    expect(cachedFilters()).toBe(n);
  });

  it('fixture decodes to the four PyTorch cases, which cpu reproduces exactly', async () => {
    // The inputs are k/2^s with |k| ≤ 127: every partial sum of a direct convolution is an integer multiple
    // of 2^-16 below 2^24 of them, so float32 direct convolution is exact and must equal PyTorch's float64.
    expect(CASES.map((c) => c.name)).toEqual(['a', 'b', 'c', 'd']);
    await tf.setBackend('cpu');
    for (const c of CASES) {
      expect(c.y.values.length).toBe(tf.util.sizeFromShape(c.y.shape));
      expect(c.scale).toBeGreaterThan(1);
      const s = specOf(c);
      const y = await values(s);
      disposeSpec(s);
      expect(bitwiseEqual(y, c.y.values), `cpu ${c.name} equals the fixture`).toBe(true);
    }
  });

  describe('matches PyTorch (tools/golden/winograd_conv.py)', () => {
    for (const c of CASES) {
      it(caseLabel(c), async () => {
        const s = specOf(c);
        try {
          const p = plan(s);
          expect(p, 'winogradPlan: this case must take the Winograd path').toBeDefined();
          expect(p?.outShape).toEqual(c.y.shape);
          const before = cachedFilters();
          const y = conv(s);
          expect(y.shape).toEqual(c.y.shape);
          await expectAllClose(y, c.y.values, tol(c), `fused.conv2d ${c.name}`);
          y.dispose();
          // the Winograd kernel really ran: it cached the transformed filter
          expect(cachedFilters()).toBe(before + 1);
          if (c.activation === 'linear' && c.bias === null) {
            await expectAllClose(await values(s, true), c.y.values, tol(c), `conv2d ${c.name}`);
          }
        } finally {
          disposeSpec(s);
        }
      });
    }
  });

  it('matches PyTorch with its 36 GEMMs on the parallel kernel (every size admitted)', async () => {
    const prev = _setParallelGemmMin({ rows: 1, flops: 0 });
    try {
      for (const c of CASES) {
        const s = specOf(c);
        try {
          const before = _parallelGemmCalls();
          const y = conv(s);
          await expectAllClose(y, c.y.values, tol(c), `fused.conv2d ${c.name} (parallel GEMM)`);
          y.dispose();
          expect(_parallelGemmCalls() - before, c.name).toBeGreaterThanOrEqual(36);
        } finally {
          disposeSpec(s);
        }
      }
    } finally {
      _setParallelGemmMin(prev);
    }
  });

  describe('tiles processed in several chunks give the same result', () => {
    for (const c of CASES) {
      const { tiles, awkward } = tiling(c);
      it(`${c.name}: ${tiles} tiles in chunks of 1 and of ${awkward}`, async () => {
        const s = specOf(c);
        try {
          const whole = await values(s);
          for (const rows of [1, awkward]) {
            _setWinogradChunkBytes(chunkBytes(c, rows));
            const got = await values(s);
            await expectAllClose(got, c.y.values, tol(c), `${c.name} in chunks of ${rows}`);
            await expectAllClose(got, whole, tol(c), `${c.name} chunks of ${rows} vs one chunk`);
            if (c.activation === 'linear' && c.bias === null) {
              const plain = await values(s, true);
              await expectAllClose(plain, c.y.values, tol(c), `conv2d ${c.name} in chunks of ${rows}`);
            }
          }
          // a budget below one tile still makes progress (one tile per chunk)
          _setWinogradChunkBytes(1);
          await expectAllClose(await values(s), c.y.values, tol(c), `${c.name} with a 1-byte budget`);
        } finally {
          disposeSpec(s);
        }
      });
    }
  });

  describe('other geometries match cpu', () => {
    const geometries: {
      name: string;
      x: [number, number, number, number];
      f: [number, number, number, number];
      pad: Pad;
      bias?: boolean;
      activation?: 'linear' | 'relu' | 'relu6';
    }[] = [
      {
        name: 'asymmetric explicit padding (top 2, right 2)',
        x: [1, 9, 11, 16],
        f: [3, 3, 16, 16],
        pad: [
          [0, 0],
          [2, 0],
          [0, 2],
          [0, 0],
        ],
      },
      {
        name: 'numeric pad 3 (tiles entirely in the padding)',
        x: [1, 6, 7, 16],
        f: [3, 3, 16, 16],
        pad: 3,
        bias: true,
      },
      {
        name: "'same', odd sizes, batch 4, Cin 20, Cout 28",
        x: [4, 5, 7, 20],
        f: [3, 3, 20, 28],
        pad: 'same',
        bias: true,
        activation: 'relu',
      },
      { name: 'smallest accepted output (3 × 3)', x: [2, 5, 5, 16], f: [3, 3, 16, 16], pad: 'valid' },
      {
        name: 'Cin 36, relu6',
        x: [1, 17, 13, 36],
        f: [3, 3, 36, 16],
        pad: 'same',
        bias: true,
        activation: 'relu6',
      },
      { name: 'one tile row (4 × 31 output)', x: [1, 6, 33, 16], f: [3, 3, 16, 16], pad: 'valid' },
    ];
    for (const g of geometries) {
      it(g.name, async () => {
        const run = async (backend: 'wasm' | 'cpu', activation: Activation) => {
          await tf.setBackend(backend);
          const s = randomSpec(g.x, g.f, 70, {
            pad: g.pad,
            activation,
            ...(g.bias ? { bias: tf.tensor1d(data(g.f[3], 72)) } : {}),
          });
          if (backend === 'wasm') expect(plan(s), 'takes the Winograd path').toBeDefined();
          const before = backend === 'wasm' ? cachedFilters() : 0;
          const v = await values(s);
          if (backend === 'wasm') expect(cachedFilters()).toBe(before + 1);
          disposeSpec(s);
          return v;
        };
        const activation = g.activation ?? 'linear';
        const got = await run('wasm', activation);
        const want = await run('cpu', activation);
        let scale = 0;
        for (const v of await run('cpu', 'linear')) scale = Math.max(scale, Math.abs(v));
        await tf.setBackend('wasm');
        await expectAllClose(got, want, { atol: 1e-4 * scale, rtol: 1e-4 }, g.name);
      });
    }
  });

  it('agrees with the stock kernel (setWinogradConv(false)), and the switch really changes the path', async () => {
    let differs = 0;
    for (const c of CASES) {
      const s = specOf(c);
      try {
        expect(plan(s)).toBeDefined();
        const wino = await values(s);
        expect(setWinogradConv(false)).toBe(true);
        expect(plan(s), 'winogradPlan is undefined while the path is off').toBeUndefined();
        const before = cachedFilters();
        const stock = await values(s);
        expect(cachedFilters(), 'the stock path caches no transformed filter').toBe(before);
        setWinogradConv(true);
        await expectAllClose(stock, c.y.values, tol(c), `stock ${c.name} vs PyTorch`);
        await expectAllClose(wino, stock, tol(c), `Winograd vs stock ${c.name}`);
        if (!bitwiseEqual(wino, stock)) differs++;
      } finally {
        setWinogradConv(true);
        disposeSpec(s);
      }
    }
    expect(differs, 'Winograd and stock results differ in rounding somewhere').toBeGreaterThan(0);
  });

  describe('declined cases run the stock kernel (bitwise the same with the path on or off)', () => {
    // `geometry`: winogradPlan itself declines; otherwise (activation) the FusedConv2D kernel does
    const fallbacks: { name: string; make: () => ConvSpec; plainToo: boolean; geometry?: false }[] = [
      {
        name: 'stride 2',
        make: () => randomSpec([1, 12, 12, 16], [3, 3, 16, 16], 11, { strides: 2 }),
        plainToo: true,
      },
      {
        name: 'dilation 2',
        make: () => randomSpec([1, 12, 12, 16], [3, 3, 16, 16], 12, { dilations: 2 }),
        plainToo: true,
      },
      { name: '5×5 filter', make: () => randomSpec([1, 12, 12, 16], [5, 5, 16, 16], 13), plainToo: true },
      { name: '3×1 filter', make: () => randomSpec([1, 12, 12, 16], [3, 1, 16, 16], 14), plainToo: true },
      {
        name: 'Cin = 6 (not a multiple of 4)',
        make: () => randomSpec([1, 12, 12, 6], [3, 3, 6, 16], 15),
        plainToo: true,
      },
      { name: 'Cin = 8 (< 16)', make: () => randomSpec([1, 12, 12, 8], [3, 3, 8, 16], 16), plainToo: true },
      {
        name: 'Cout = 18 (not a multiple of 4)',
        make: () => randomSpec([1, 12, 12, 16], [3, 3, 16, 18], 17),
        plainToo: true,
      },
      { name: 'Cout = 8 (< 16)', make: () => randomSpec([1, 12, 12, 16], [3, 3, 16, 8], 18), plainToo: true },
      {
        name: '2×2 output (too small to gain)',
        make: () => randomSpec([1, 4, 4, 16], [3, 3, 16, 16], 19, { pad: 'valid' }),
        plainToo: true,
      },
      {
        name: '1×8 output (too small to gain)',
        make: () => randomSpec([1, 3, 10, 16], [3, 3, 16, 16], 20, { pad: 'valid' }),
        plainToo: true,
      },
      {
        name: 'prelu activation',
        make: () =>
          randomSpec([1, 12, 12, 16], [3, 3, 16, 16], 21, {
            activation: 'prelu',
            preluActivationWeights: tf.tensor1d(data(16, 22)),
          }),
        plainToo: false,
        geometry: false,
      },
      {
        name: 'leakyrelu activation',
        make: () => randomSpec([1, 12, 12, 16], [3, 3, 16, 16], 23, { activation: 'leakyrelu' }),
        plainToo: false,
        geometry: false,
      },
      {
        name: 'sigmoid activation',
        make: () => randomSpec([1, 12, 12, 16], [3, 3, 16, 16], 24, { activation: 'sigmoid' }),
        plainToo: false,
        geometry: false,
      },
    ];
    for (const f of fallbacks) {
      it(f.name, async () => {
        const s = f.make();
        try {
          if (f.geometry === false) expect(plan(s), 'the geometry alone would qualify').toBeDefined();
          else expect(plan(s), 'winogradPlan must decline').toBeUndefined();
          for (const plain of f.plainToo ? [false, true] : [false]) {
            const before = cachedFilters();
            const on = await values(s, plain);
            expect(cachedFilters(), 'no transformed filter cached').toBe(before);
            setWinogradConv(false);
            const off = await values(s, plain);
            setWinogradConv(true);
            expect(
              bitwiseEqual(on, off),
              `${f.name}${plain ? ' (conv2d)' : ''}: on and off bitwise equal`,
            ).toBe(true);
          }
        } finally {
          setWinogradConv(true);
          disposeSpec(s);
        }
      });
    }

    it('NCHW is declined by the planner (the wasm backend runs no NCHW convolution at all)', () => {
      const x = tf.zeros([1, 16, 12, 12]);
      const w = tf.zeros([3, 3, 16, 16]);
      expect(winogradPlan(x, w, { strides: 1, pad: 'same', dataFormat: 'NCHW' })).toBeUndefined();
      expect(winogradPlan(x, w, { strides: 1, pad: 'same', dataFormat: 'channelsFirst' })).toBeUndefined();
      tf.dispose([x, w]);
    });

    it('bias of length 1 (broadcast) or rank 2 keeps the stock kernel (which rejects it)', async () => {
      for (const biasShape of [[1], [1, 16]]) {
        const s = randomSpec([1, 12, 12, 16], [3, 3, 16, 16], 25, { bias: tf.ones(biasShape) });
        try {
          const before = cachedFilters();
          const on = await Promise.resolve()
            .then(() => values(s))
            .then(
              (v) => ({ ok: true as const, v }),
              (e: unknown) => ({ ok: false as const, e: String(e) }),
            );
          setWinogradConv(false);
          const off = await Promise.resolve()
            .then(() => values(s))
            .then(
              (v) => ({ ok: true as const, v }),
              (e: unknown) => ({ ok: false as const, e: String(e) }),
            );
          setWinogradConv(true);
          expect(on.ok).toBe(off.ok);
          if (on.ok && off.ok) expect(bitwiseEqual(on.v, off.v)).toBe(true);
          else expect(on).toEqual(off);
          expect(cachedFilters()).toBe(before);
        } finally {
          setWinogradConv(true);
          disposeSpec(s);
        }
      }
    });
  });

  describe('transformed-filter cache', () => {
    it('one entry per filter: added by the first call, reused by later calls, freed with the filter', async () => {
      const s = randomSpec([2, 9, 11, 16], [3, 3, 16, 32], 30);
      const before = cachedFilters();
      const y1 = await values(s);
      expect(cachedFilters()).toBe(before + 1);
      const y2 = await values(s);
      const y3 = await values(s, true);
      expect(cachedFilters(), 'the same filter adds no entry').toBe(before + 1);
      expect(bitwiseEqual(y1, y2)).toBe(true);
      expect(bitwiseEqual(y1, y3)).toBe(true);
      // a second filter adds its own entry; disposing each frees exactly its own
      const other = tf.mul(s.filter, 2) as tf.Tensor4D;
      const y4 = await values({ ...s, filter: other });
      expect(cachedFilters()).toBe(before + 2);
      await expectAllClose(
        y4,
        y1.map((v) => 2 * v),
        { atol: 1e-5, rtol: 1e-5 },
        '2·filter',
      );
      other.dispose();
      expect(cachedFilters()).toBe(before + 1);
      s.filter.dispose();
      expect(cachedFilters(), 'disposing the filter frees its entry').toBe(before);
      s.x.dispose();
    });

    it('a filter shared with a reshape is freed only when its data is (the last reference)', async () => {
      const s = randomSpec([1, 9, 9, 16], [3, 3, 16, 16], 31);
      const before = cachedFilters();
      const view = tf.reshape(s.filter, [3, 3, 16, 16]) as tf.Tensor4D;
      const want = await values(s);
      expect(cachedFilters()).toBe(before + 1);
      s.filter.dispose();
      expect(cachedFilters(), 'the reshape still holds the data').toBe(before + 1);
      const got = await values({ ...s, filter: view });
      expect(bitwiseEqual(got, want)).toBe(true);
      expect(cachedFilters()).toBe(before + 1);
      view.dispose();
      expect(cachedFilters()).toBe(before);
      s.x.dispose();
    });

    it('a tf.Variable filter that is assigned new values gives the new result (no stale filter)', async () => {
      const s = randomSpec([1, 10, 10, 16], [3, 3, 16, 16], 32, {
        bias: tf.tensor1d(data(16, 34)),
        activation: 'relu',
      });
      const w2 = tf.tensor4d(data(3 * 3 * 16 * 16, 33), [3, 3, 16, 16]);
      const before = cachedFilters();
      const v = tf.variable(s.filter);
      s.filter.dispose(); // the variable holds the only reference to the first values
      try {
        const y1 = await values({ ...s, filter: v as tf.Tensor4D });
        expect(cachedFilters()).toBe(before + 1);
        v.assign(w2);
        expect(cachedFilters(), 'assign frees the transformed old values').toBe(before);
        const y2 = await values({ ...s, filter: v as tf.Tensor4D });
        expect(cachedFilters()).toBe(before + 1);
        setWinogradConv(false);
        const want2 = await values({ ...s, filter: w2 }); // stock result for the new values
        setWinogradConv(true);
        await expectAllClose(y2, want2, { atol: 1e-4, rtol: 1e-4 }, 'conv with the assigned values');
        expect(bitwiseEqual(y1, y2)).toBe(false);
        // the assigned tensor itself shares the data: same entry, no new one
        await values({ ...s, filter: w2 });
        expect(cachedFilters()).toBe(before + 1);
        w2.dispose();
        expect(cachedFilters(), 'the variable still holds the data').toBe(before + 1);
      } finally {
        tf.dispose([v, w2, s.x, s.bias as tf.Tensor]);
      }
      expect(cachedFilters()).toBe(before);
    });
  });

  describe('filters moving between backends', () => {
    it('a filter read on cpu (moved off wasm) frees its entry, and is transformed again when it returns', async () => {
      const s = randomSpec([1, 9, 9, 16], [3, 3, 16, 16], 35);
      const before = cachedFilters();
      const want = await values(s);
      expect(cachedFilters()).toBe(before + 1);
      await tf.setBackend('cpu');
      const onCpu = tf.sum(s.filter); // moves the filter's data to cpu (tfjs disposes it on wasm)
      onCpu.dispose();
      await tf.setBackend('wasm');
      expect(cachedFilters(), 'moving the data off wasm frees the entry').toBe(before);
      const got = await values(s); // moves it back: a new heap copy, transformed again
      expect(cachedFilters()).toBe(before + 1);
      expect(bitwiseEqual(got, want)).toBe(true);
      disposeSpec(s);
      expect(cachedFilters()).toBe(before);
    });
  });

  describe('wasm heap', () => {
    it('repeated calls and fresh filters (each disposed) do not grow the heap', async () => {
      const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
      const s = randomSpec([1, 8, 8, 128], [3, 3, 128, 128], 80, { bias: tf.tensor1d(data(128, 82)) });
      const churn = async (k: number) => {
        // a new 3×3×128×128 filter each time: 2.4 MB transformed (+ XNNPACK's packed copy) if it were kept
        const w = tf.add(s.filter, k) as tf.Tensor4D;
        await values({ ...s, filter: w });
        w.dispose();
        await values(s);
      };
      for (let k = 0; k < 3; k++) await churn(k);
      const before = cachedFilters();
      const h0 = heap();
      for (let k = 0; k < 50; k++) await churn(k);
      expect(cachedFilters()).toBe(before);
      // leaking the transformed filters would take ≥ 50 × 2.4 MB; allow for allocator slack only
      expect(heap() - h0, 'wasm heap growth (bytes)').toBeLessThanOrEqual(16 * 2 ** 20);
      disposeSpec(s);
    });
  });

  describe('leaks', () => {
    it('conv2d / fused.conv2d leave no tensor; a filter made and disposed inside leaves no cache entry', async () => {
      const s = randomSpec([2, 8, 8, 16], [3, 3, 16, 16], 40, {
        bias: tf.tensor1d(data(16, 42)),
        activation: 'relu',
      });
      conv(s).dispose(); // warm up (kernel binding, scratch)
      await expectNoLeak(() => conv(s).dispose(), 'fused.conv2d');
      await expectNoLeak(() => conv(s, true).dispose(), 'conv2d');
      await expectNoLeak(() => tf.tidy(() => tf.sum(conv(s))).dispose(), 'fused.conv2d in tidy');
      const before = cachedFilters();
      await expectNoLeak(async () => {
        const w = tf.tensor4d(data(3 * 3 * 16 * 16, 41), [3, 3, 16, 16]);
        const y = conv({ ...s, filter: w });
        await y.data();
        expect(cachedFilters()).toBe(before + 1);
        tf.dispose([w, y]);
      }, 'fused.conv2d with a fresh filter');
      expect(cachedFilters(), 'the fresh filter’s entry is gone').toBe(before);
      // a filter that lives only inside tidy
      await expectNoLeak(
        () => tf.tidy(() => tf.sum(conv({ ...s, filter: tf.mul(s.filter, 3) }))).dispose(),
        'tidy',
      );
      expect(cachedFilters()).toBe(before);
      disposeSpec(s);
    });
  });

  describe('gradients (stock backprop kernels) match cpu', () => {
    async function grads(backend: 'wasm' | 'cpu', fused: boolean): Promise<Float32Array[]> {
      await tf.setBackend(backend);
      const x = tf.tensor4d(data(2 * 9 * 10 * 16, 50), [2, 9, 10, 16]);
      const w = tf.tensor4d(data(3 * 3 * 16 * 20, 51), [3, 3, 16, 20]);
      const b = tf.tensor1d(data(20, 52));
      const r = tf.tensor4d(data(2 * 9 * 10 * 20, 53), [2, 9, 10, 20]);
      if (backend === 'wasm') {
        expect(winogradPlan(x, w, { strides: 1, pad: 'same', dataFormat: 'NHWC' })).toBeDefined();
      }
      const f = fused
        ? (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
            tf.sum(
              tf.mul(
                tf.fused.conv2d({
                  x: p as tf.Tensor4D,
                  filter: q as tf.Tensor4D,
                  strides: 1,
                  pad: 'same',
                  bias: c,
                  activation: 'relu',
                }),
                r,
              ),
            )
        : (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
            tf.sum(tf.mul(tf.add(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 1, 'same'), c), r));
      const { value, grads: g } = tf.valueAndGrads(f)([x, w, b]);
      const out = await Promise.all([value, ...g].map(async (t) => Float32Array.from(await t.data())));
      tf.dispose([x, w, b, r, value, ...g]);
      return out;
    }

    for (const fused of [false, true]) {
      it(`${fused ? 'fused.conv2d (bias, relu)' : 'conv2d'}: value and d/dx, d/dw, d/dbias`, async () => {
        const got = await grads('wasm', fused);
        const want = await grads('cpu', fused);
        await tf.setBackend('wasm');
        const names = ['value', 'd/dx', 'd/dw', 'd/dbias'];
        for (let i = 0; i < 4; i++) {
          let scale = 0;
          for (const v of want[i]!) scale = Math.max(scale, Math.abs(v));
          await expectAllClose(got[i]!, want[i]!, { atol: 1e-4 * scale, rtol: 1e-4 }, names[i]);
        }
      });
    }
  });

  describe('non-finite values', () => {
    // x [1,12,12,16] of 0.5 with one bad value at pixel (5, 5), channel 0; filter 0.01; 'same' padding.
    // Direct convolution: only the outputs whose 3×3 window holds (5, 5) — pixels (4..6, 4..6) — see it.
    // Winograd: every output of a 4×4 tile whose 6×6 input window holds it — here tile (1, 1), pixels (4..7, 4..7).
    async function badPixels(bad: number, winograd: boolean): Promise<string[]> {
      const xv = new Float32Array(12 * 12 * 16).fill(0.5);
      xv[(5 * 12 + 5) * 16] = bad;
      const s: ConvSpec = {
        x: tf.tensor4d(xv, [1, 12, 12, 16]),
        filter: tf.fill([3, 3, 16, 16], 0.01) as tf.Tensor4D,
        pad: 'same',
      };
      expect(plan(s)).toBeDefined();
      setWinogradConv(winograd);
      const y = await values(s, true);
      setWinogradConv(true);
      disposeSpec(s);
      const pixels = new Set<string>();
      for (let i = 0; i < y.length; i++) {
        const p = Math.floor(i / 16);
        if (!Number.isFinite(y[i]!)) pixels.add(`${Math.floor(p / 12)},${p % 12}`);
      }
      return [...pixels].sort();
    }
    const window3 = (lo: number, hi: number) => {
      const out: string[] = [];
      for (let r = lo; r <= hi; r++) for (let c = lo; c <= hi; c++) out.push(`${r},${c}`);
      return out.sort();
    };

    it('a NaN or Inf input stays inside the 4×4 output tile(s) whose input windows hold it', async () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(await badPixels(bad, false), `stock, ${bad}`).toEqual(window3(4, 6));
        const wino = await badPixels(bad, true);
        for (const p of window3(4, 6))
          expect(wino, `Winograd, ${bad}: every stock non-finite output`).toContain(p);
        for (const p of wino)
          expect(window3(4, 7), `Winograd, ${bad}: no further than tile (1, 1)`).toContain(p);
      }
    });

    // Documented behaviour of the Winograd path (conv_winograd.ts, "Non-finite values"), inherent to its
    // transforms: Bᵀ·d·B mixes all 36 inputs of a 6×6 window (coefficients up to 25), so one non-finite input
    // reaches all 16 outputs of its tile, and inputs of |x| ≳ 1e36 overflow where a direct convolution stays
    // finite. If the kernel ever changes this, these tests fail and the documentation must change with them.
    it('documented: a NaN input makes its whole 4×4 output tile NaN (stock: only its 3×3 windows)', async () => {
      expect(await badPixels(Number.NaN, false)).toEqual(window3(4, 6));
      expect(await badPixels(Number.NaN, true)).toEqual(window3(4, 7));
    });
    it('documented: a finite input of 1e38 overflows on Winograd, not on stock (1e38 · 0.01 is finite)', async () => {
      expect(await badPixels(1e38, false)).toEqual([]);
      expect(await badPixels(1e38, true)).toEqual(window3(4, 7));
    });
  });

  describe('bad input keeps tfjs’s own errors', () => {
    async function message(f: () => unknown): Promise<string> {
      try {
        const y = f();
        if (y instanceof tf.Tensor) {
          await y.data();
          y.dispose();
        }
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
      return '(no error)';
    }

    const bad: { name: string; make: () => ConvSpec }[] = [
      {
        name: 'FusedConv2D bias of the wrong length (20 for 16 channels)',
        make: () => randomSpec([1, 8, 8, 16], [3, 3, 16, 16], 60, { bias: tf.ones([20]) }),
      },
      {
        name: 'filter input depth 32 for a 16-channel input',
        make: () => ({ ...randomSpec([1, 8, 8, 16], [3, 3, 32, 16], 61) }),
      },
      {
        name: 'rank-3 filter',
        make: () => {
          const s = randomSpec([1, 8, 8, 16], [3, 3, 16, 16], 62);
          const f3 = tf.reshape(s.filter, [9, 16, 16]);
          s.filter.dispose();
          return { ...s, filter: f3 as unknown as tf.Tensor4D };
        },
      },
    ];
    for (const b of bad) {
      it(`${b.name} throws, with the same message whichever path is on`, async () => {
        const s = b.make();
        try {
          const on = await message(() => conv(s));
          setWinogradConv(false);
          const off = await message(() => conv(s));
          setWinogradConv(true);
          expect(on).not.toBe('(no error)');
          expect(on).toBe(off);
        } finally {
          setWinogradConv(true);
          disposeSpec(s);
        }
      });
    }
  });
});
