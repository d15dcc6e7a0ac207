/**
 * `Slice` for the wasm backend without the full copy. The stock kernel (tfjs-backend-wasm 4.22) starts with
 * `backend.readSync(x)` — a copy of the *whole* input out of the heap — for every slice, so `tf.split` of a
 * `[1600, 768]` activation into three costs ~11 ms instead of ~1. This one copies the selected runs straight
 * from a view of the heap. Strings go to the stock kernel.
 */

import type { KernelConfig, KernelFunc, SliceAttrs, SplitVAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { repairConfig, type StockLookup } from './repair_config.js';
import { asWasmBackend, dataOf } from './wasm_internals.js';

const WHERE = 'Slice (wasm, @pir/runtime)';

/**
 * `out = x[begin[0] : begin[0] + size[0], …]` (size −1 = to the end). Input `x` of any rank and numeric dtype;
 * strings go to `stock` (the stock wasm `Slice`), and throw without one.
 */
export function sliceWasm(
  args: {
    inputs: { x: TensorInfo };
    backend: unknown;
    attrs: SliceAttrs;
  },
  stock?: KernelFunc,
): TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === 'string') {
    if (stock === undefined) throw new Error(`${WHERE}: string tensors need the stock kernel`);
    return stock(args as never) as TensorInfo;
  }
  const backend = asWasmBackend(args.backend, WHERE);
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs.begin, args.attrs.size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  const out = backend.makeOutput(size, x.dtype);
  const total = tf.util.sizeFromShape(size);
  if (total === 0) return out;
  const bytes = x.dtype === 'bool' ? 1 : 4;
  const heap = backend.wasm.HEAPU8; // after makeOutput: the heap may have grown
  const xOff = dataOf(backend, x, WHERE).memoryOffset;
  const oOff = dataOf(backend, out, WHERE).memoryOffset;
  const strides = [...tf.util.computeStrides(x.shape), 1]; // tfjs omits the last (unit) stride
  const rank = x.shape.length;
  if (rank === 0 || tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const flat = rank === 0 ? 0 : tf.slice_util.computeFlatOffset(begin, strides.slice(0, -1));
    heap.copyWithin(oOff, xOff + flat * bytes, xOff + (flat + total) * bytes);
    return out;
  }
  // Merge trailing dims taken whole into one contiguous run.
  let inner = rank - 1;
  let run = size[inner]!;
  while (inner > 0 && size[inner] === x.shape[inner] && begin[inner] === 0) {
    inner--;
    run *= size[inner]!;
  }
  const runBytes = run * bytes;
  const outer = size.slice(0, inner);
  const idx = new Array<number>(inner).fill(0);
  const count = tf.util.sizeFromShape(outer);
  let dst = oOff;
  for (let r = 0; r < count; r++) {
    // Dims after `inner` are whole and start at 0, so only `inner` and the outer dims place the run.
    let src = begin[inner]! * strides[inner]!;
    for (let d = 0; d < inner; d++) src += (begin[d]! + idx[d]!) * strides[d]!;
    const s = xOff + src * bytes;
    heap.copyWithin(dst, s, s + runBytes);
    dst += runBytes;
    for (let d = inner - 1; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * `SplitV` (what `tf.split` runs) through {@link sliceWasm}: the stock one calls the stock slice directly.
 * Input `x`; attrs `numOrSizeSplits` (a count or sizes, one may be −1) and `axis`. Outputs the pieces.
 * `stockSlice`: the stock wasm `Slice`, for strings.
 */
export function splitVWasm(
  args: {
    inputs: { x: TensorInfo };
    backend: unknown;
    attrs: SplitVAttrs;
  },
  stockSlice?: KernelFunc,
): TensorInfo[] {
  const { x } = args.inputs;
  const axis = tf.util.parseAxisParam(args.attrs.axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const piece = sliceWasm(
      { inputs: { x }, backend: args.backend, attrs: { begin: begin.slice(), size } },
      stockSlice,
    );
    begin[axis]! += s;
    return piece;
  });
}

/**
 * Kernel configs replacing wasm `Slice` and `SplitV`, built on their stock configs (`stock` looks them up; the
 * stock `Slice` runs strings, for both; see `repair_config.ts`).
 */
export function makeSliceConfigs(stock: StockLookup): KernelConfig[] {
  const slice = stock(tf.Slice);
  const stockSlice = slice?.kernelFunc;
  const sliceFunc = (args: Parameters<typeof sliceWasm>[0]) => sliceWasm(args, stockSlice);
  const splitFunc = (args: Parameters<typeof splitVWasm>[0]) => splitVWasm(args, stockSlice);
  return [
    repairConfig(tf.Slice, sliceFunc as unknown as KernelFunc, slice),
    repairConfig(tf.SplitV, splitFunc as unknown as KernelFunc, stock(tf.SplitV)),
  ];
}
