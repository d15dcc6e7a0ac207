/**
 * `Conv2D` / `FusedConv2D` for the wasm backend with 3 × 3, stride-1 convolutions computed by Winograd's
 * minimal filtering F(4 × 4, 3 × 3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
 *
 * A 3 × 3 convolution costs 9·Cin·Cout multiply-adds per output pixel; F(4×4, 3×3) turns each 6 × 6 input
 * tile into 36 transformed values, multiplies them by the transformed filter and folds the 36 products back
 * into a 4 × 4 output tile: 36/16 = 2.25·Cin·Cout per pixel, 4× fewer. The products over input channels are
 * 36 GEMMs `[tiles, Cin] × [Cin, Cout]`, run by XNNPACK (threaded; the packed transformed filter is cached
 * per weight tensor); the three transforms are SIMD C (`tools/wasm-kernels/winograd.c`) on tfjs's heap, with
 * the bias and ReLU/ReLU6 of `FusedConv2D` folded into the output transform.
 *
 * | used when                                                | otherwise |
 * |----------------------------------------------------------|-----------|
 * | float32, NHWC, filter 3 × 3, stride 1, dilation 1         | stock XNNPACK convolution |
 * | Cin and Cout multiples of 4 and ≥ 16                      | |
 * | activation linear / relu / relu6, no PReLU weights, bias rank 1 | |
 * | the 4 × 4 tiling saves ≥ 2× multiply-adds (not for outputs smaller than 3 × 3) | |
 * | `initBackend({ winograd: true })` (the default)           | |
 *
 * Accuracy: Winograd F(4, 3) is exact in real arithmetic; in float32 its transforms (entries up to 8 and
 * 1/24) add rounding error, measured ≈ 1e-6 relative to the output scale for random data (see the tests),
 * against ≈ 1e-7 for direct convolution — harmless for inference and training (the gradients use the stock
 * backprop kernels, which do not depend on how the forward pass was computed).
 *
 * Non-finite values: the transforms mix all 36 inputs of a 6 × 6 window (coefficients up to 25), so a NaN or
 * Inf input makes its whole 4 × 4 output tile non-finite (a direct convolution: only the outputs whose 3 × 3
 * window holds it), and inputs of magnitude ≳ 1e36 can overflow where a direct convolution stays finite.
 * `initBackend({ winograd: false })` restores the stock kernel exactly.
 *
 * Memory: the transformed filter is 36/9 = 4× the 3 × 3 weights, kept (with XNNPACK's packed copy) until the
 * weight tensor is disposed — for ResNet-50 ≈ 130 MB + 130 MB. Per call, tiles are processed in chunks whose
 * transformed input and output take ≤ 16 MB (2–32 MB measured the same on ResNet-50).
 */

import type {
  FusedConv2DAttrs,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { gemmWeights } from './batch_mat_mul.js';
import { heapInstance, heapScratch } from './heap_module.js';
import { repairConfig, type StockLookup } from './repair_config.js';
import { asWasmBackend, dataOf, makeAlias, releaseAlias, type WasmBackend } from './wasm_internals.js';
import { PLAIN_WASM, SHARED_WASM } from './winograd_wasm.js';

const WHERE = 'Conv2D (wasm Winograd, @pir/runtime)';
let CHUNK_BYTES = 16 * 1024 * 1024;

let enabled = true;

/** Turn the Winograd path on or off (`initBackend({ winograd })`); returns the previous setting. */
export function setWinogradConv(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Test hook: set the workspace budget per chunk of tiles (bytes); returns the previous value. */
export function _setWinogradChunkBytes(bytes: number): number {
  const prev = CHUNK_BYTES;
  CHUNK_BYTES = bytes;
  return prev;
}

/** Test hook: how many transformed filters are cached on `backend` (`undefined`: kernels not loaded there). */
export function _winogradCachedFilters(backend: unknown): number | undefined {
  const b = bound.get((backend as WasmBackend).wasm);
  return b == null ? undefined : b.filters.size;
}

// --- the C kernels ----------------------------------------------------------------------------------------

interface WinogradExports {
  wino_filter(g: number, cin: number, cout: number, u: number): void;
  wino_input(
    x: number,
    h: number,
    w: number,
    cin: number,
    padT: number,
    padL: number,
    th: number,
    tw: number,
    t0: number,
    t1: number,
    v: number,
    ld: number,
    zeros: number,
    scr: number,
  ): void;
  wino_output(
    m: number,
    ld: number,
    cout: number,
    th: number,
    tw: number,
    ho: number,
    wo: number,
    t0: number,
    t1: number,
    bias: number,
    act: number,
    y: number,
    scr: number,
  ): void;
}

/** The transformed filter of one weight tensor: 36 `[Cin, Cout]` matrices, each a registered C++ id. */
interface FilterEntry {
  base: number;
  ids: number[];
  cin: number;
  cout: number;
}

interface Bound {
  k: WinogradExports;
  scratch: { ensure(bytes: number): number };
  zeros: { ensure(bytes: number): number };
  /** Filter data id → transformed filter; freed when the backend disposes the filter's data. */
  filters: Map<object, FilterEntry>;
}

const bound = new WeakMap<object, Bound | null>();

function freeEntry(backend: WasmBackend, e: FilterEntry): void {
  for (const id of e.ids) releaseAlias(backend, id); // also drops XNNPACK's packed copy
  backend.wasm._free(e.base);
}

function bind(backend: WasmBackend): Bound | null {
  const inst = heapInstance(backend, { name: 'winograd', plain: PLAIN_WASM, shared: SHARED_WASM });
  if (inst === undefined) return null;
  const filters = new Map<object, FilterEntry>();
  // Free a transformed filter together with its source tensor's data (dispose, Variable.assign, moveData).
  const dispose = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force?: boolean) => {
    const gone = dispose(dataId, force);
    if (gone) {
      const e = filters.get(dataId);
      if (e !== undefined) {
        filters.delete(dataId);
        freeEntry(backend, e);
      }
    }
    return gone;
  };
  return {
    k: inst.exports as unknown as WinogradExports,
    scratch: heapScratch(backend, WHERE),
    zeros: heapScratch(backend, WHERE),
    filters,
  };
}

function transformedFilter(backend: WasmBackend, b: Bound, filter: TensorInfo, cin: number, cout: number) {
  const cached = b.filters.get(filter.dataId);
  if (cached !== undefined && cached.cin === cin && cached.cout === cout) return cached;
  if (cached !== undefined) {
    b.filters.delete(filter.dataId);
    freeEntry(backend, cached);
  }
  const plane = cin * cout;
  const base = backend.wasm._malloc(36 * plane * 4);
  if (base === 0) {
    throw new Error(
      `${WHERE}: could not allocate ${36 * plane * 4} bytes for the transformed 3×3×${cin}×${cout} filter`,
    );
  }
  b.k.wino_filter(dataOf(backend, filter, WHERE).memoryOffset, cin, cout, base);
  const ids: number[] = [];
  for (let i = 0; i < 36; i++) ids.push(makeAlias(backend, base + i * plane * 4, plane));
  const e = { base, ids, cin, cout };
  b.filters.set(filter.dataId, e);
  return e;
}

// --- planning ---------------------------------------------------------------------------------------------

const ACT: Record<string, number> = { linear: 0, relu: 1, relu6: 2 };

interface Plan {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  ho: number;
  wo: number;
  padT: number;
  padL: number;
  th: number;
  tw: number;
  outShape: number[];
}

/** The Winograd plan for this convolution, or `undefined` when it should run on the stock kernel. */
export function winogradPlan(
  x: TensorInfo,
  filter: TensorInfo,
  attrs: {
    strides: number | [number, number];
    pad: unknown;
    dilations?: number | [number, number];
    dataFormat?: string;
    dimRoundingMode?: unknown;
  },
): Plan | undefined {
  if (!enabled || x.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC' && attrs.dataFormat !== 'channelsLast')
    return undefined;
  const [fh, fw, cin, cout] = filter.shape as [number, number, number, number];
  if (fh !== 3 || fw !== 3 || cin !== x.shape[3]) return undefined;
  if (cin % 4 !== 0 || cout % 4 !== 0 || cin < 16 || cout < 16) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'round' | undefined,
  );
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return undefined;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const ho = info.outHeight;
  const wo = info.outWidth;
  if (ho <= 0 || wo <= 0 || info.batchSize === 0) return undefined;
  const th = Math.ceil(ho / 4);
  const tw = Math.ceil(wo / 4);
  // 36 products per 4 × 4 tile against 9 per output pixel: require at least a 2× saving.
  if (2 * 36 * th * tw > 9 * ho * wo) return undefined;
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    cin,
    cout,
    ho,
    wo,
    padT: info.padInfo.top,
    padL: info.padInfo.left,
    th,
    tw,
    outShape: info.outShape,
  };
}

/**
 * Distance in floats between consecutive transformed matrices holding `size` floats each: rounded up to 16
 * floats, then moved off multiples of 4 KiB (36 streams 4 KiB apart all land on the same cache sets).
 */
function padded(size: number): number {
  const ld = Math.ceil(size / 16) * 16;
  return ld % 1024 < 64 ? ld + 64 - (ld % 1024) + 16 : ld + 16;
}

/** Run the plan; returns the output, or `undefined` when the C kernels are not available here. */
function runWinograd(
  backend: WasmBackend,
  plan: Plan,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  act: number,
): TensorInfo | undefined {
  let b = bound.get(backend.wasm);
  if (b === undefined) {
    b = bind(backend);
    bound.set(backend.wasm, b);
  }
  if (b === null) return undefined;
  const { n, h, w, cin, cout, ho, wo, padT, padL, th, tw } = plan;
  const u = transformedFilter(backend, b, filter, cin, cout);
  const tiles = n * th * tw;
  const chunk = Math.max(1, Math.min(tiles, Math.floor(CHUNK_BYTES / (36 * 4 * (cin + cout)))));
  const vBytes = 36 * padded(chunk * cin) * 4;
  const mBytes = 36 * padded(chunk * cout) * 4;
  const v = backend.wasm._malloc(vBytes);
  const m = v === 0 ? 0 : backend.wasm._malloc(mBytes);
  if (v === 0 || m === 0) {
    if (v !== 0) backend.wasm._free(v);
    throw new Error(
      `${WHERE}: could not allocate ${vBytes + mBytes} bytes of Winograd workspace on the wasm heap`,
    );
  }
  const out = backend.makeOutput(plan.outShape, 'float32');
  try {
    const scr = b.scratch.ensure(192 * 4);
    const zeros = b.zeros.ensure(cin * 4);
    new Float32Array(backend.wasm.HEAPF32.buffer, zeros, cin).fill(0);
    const xOff = dataOf(backend, x, WHERE).memoryOffset;
    const yOff = dataOf(backend, out, WHERE).memoryOffset;
    const biasOff = bias === undefined ? 0 : dataOf(backend, bias, WHERE).memoryOffset;
    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const t1 = Math.min(tiles, t0 + chunk);
      const rows = t1 - t0;
      const ldv = padded(rows * cin);
      const ldm = padded(rows * cout);
      b.k.wino_input(xOff, h, w, cin, padT, padL, th, tw, t0, t1, v, ldv, zeros, scr);
      for (let i = 0; i < 36; i++) {
        gemmWeights(
          backend,
          v + i * ldv * 4,
          u.base + i * cin * cout * 4,
          u.ids[i]!,
          m + i * ldm * 4,
          rows,
          cin,
          cout,
        );
      }
      b.k.wino_output(m, ldm, cout, th, tw, ho, wo, t0, t1, biasOff, act, yOff, scr);
    }
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    backend.wasm._free(v);
    backend.wasm._free(m);
  }
  return out;
}

// --- kernels ----------------------------------------------------------------------------------------------

interface ConvArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs: NamedAttrMap;
}

function conv2d(stock: KernelFunc, args: ConvArgs) {
  const { x, filter } = args.inputs;
  if (x !== undefined && filter !== undefined) {
    const plan = winogradPlan(x, filter, args.attrs as never);
    if (plan !== undefined) {
      const out = runWinograd(asWasmBackend(args.backend, WHERE), plan, x, filter, undefined, 0);
      if (out !== undefined) return out;
    }
  }
  return stock(args as never);
}

function fusedConv2d(stock: KernelFunc, args: ConvArgs) {
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const attrs = args.attrs as unknown as FusedConv2DAttrs;
  const act = ACT[attrs.activation ?? 'linear'];
  const biasOk = bias == null || (bias.dtype === 'float32' && bias.shape.length === 1);
  if (
    x !== undefined &&
    filter !== undefined &&
    act !== undefined &&
    preluActivationWeights == null &&
    biasOk
  ) {
    const plan = winogradPlan(x, filter, attrs as never);
    if (plan !== undefined && (bias == null || bias.shape[0] === plan.cout)) {
      const out = runWinograd(asWasmBackend(args.backend, WHERE), plan, x, filter, bias ?? undefined, act);
      if (out !== undefined) return out;
    }
  }
  return stock(args as never);
}

/**
 * Kernel configs replacing wasm `Conv2D` and `FusedConv2D`, built on their stock configs (`stock` looks them
 * up; the stock kernels run every case Winograd does not take; see `repair_config.ts`). A kernel the stock
 * backend lacks is left alone.
 */
export function makeConvConfigs(stock: StockLookup): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const [name, impl] of [
    [tf.Conv2D, conv2d],
    [tf.FusedConv2D, fusedConv2d],
  ] as const) {
    const config = stock(name);
    if (config === undefined) continue;
    const stockFunc = config.kernelFunc;
    const kernelFunc = (args: ConvArgs) => impl(stockFunc, args);
    configs.push(repairConfig(name, kernelFunc as unknown as KernelFunc, config));
  }
  return configs;
}
