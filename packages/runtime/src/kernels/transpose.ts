/**
 * `Transpose` for the wasm backend, as runs of contiguous elements. The stock kernel (tfjs-backend-wasm 4.22)
 * computes every element's address alone for rank 5 and above: Swin's split of the fused q/k/v projection,
 * `[B·nW, 49, 3, heads, dh] → [3, B·nW, heads, 49, dh]`, and its gradient take ~35 ms each for 600 k elements
 * (~60 ns per element) — 1.4 s of a 7.5 s base-size PIR-ITR training step. This one first simplifies the
 * permutation (drops unit dims, merges input dims that stay adjacent and in order); below rank
 * {@link MIN_RANK} it hands the simplified transpose to the stock kernel (its loops for ranks ≤ 4 are fast), at
 * and above it copies straight on the heap — whole rows when the innermost dim stays innermost, else element by
 * element (~40× faster than the stock kernel at rank 5). Strings go to the stock kernel.
 */

import type { KernelConfig, KernelFunc, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { repairConfig, type StockLookup } from './repair_config.js';
import { asWasmBackend, dataOf } from './wasm_internals.js';

const WHERE = 'Transpose (wasm, @pir/runtime)';

/**
 * Lowest rank (after simplification) done here; below it the stock kernel's dedicated loops are 2–4× faster
 * than copying rows from JavaScript (measured on attention's `[B, L, H, dh] → [B, H, L, dh]`).
 */
export const MIN_RANK = 5;

/**
 * The same transpose on fewer dims: unit dims dropped, input dims that stay adjacent and in order merged.
 * @returns the simplified input shape and permutation (rank ≥ 1 unless the input has no elements to move)
 */
export function simplifyTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  // drop unit dims (they do not move data), renumbering the rest
  const kept = shape.map((n, i) => (n === 1 ? -1 : i)).filter((i) => i >= 0);
  const renum = new Map(kept.map((d, j) => [d, j]));
  let s = kept.map((d) => shape[d] as number);
  let p = perm.filter((d) => renum.has(d)).map((d) => renum.get(d) as number);
  // merge: output positions j, j+1 holding input dims d, d+1 become one dim
  for (let j = 0; j + 1 < p.length; ) {
    const d = p[j] as number;
    if (p[j + 1] === d + 1) {
      s = [...s.slice(0, d), (s[d] as number) * (s[d + 1] as number), ...s.slice(d + 2)];
      p = p.filter((_, k) => k !== j + 1).map((x) => (x > d ? x - 1 : x));
    } else j++;
  }
  return { shape: s, perm: p };
}

/** `out = transpose(x, perm)`; input `x` of any rank and numeric dtype (strings: `stock`). */
export function transposeWasm(
  args: { inputs: { x: TensorInfo }; backend: unknown; attrs: TransposeAttrs },
  stock?: KernelFunc,
): TensorInfo {
  const { x } = args.inputs;
  const perm = Array.from(args.attrs.perm);
  const outShape = perm.map((d) => x.shape[d] as number);
  const simple = simplifyTranspose(x.shape, perm);
  const r = simple.shape.length;
  if (x.dtype === 'string' || (r > 1 && r < MIN_RANK)) {
    if (stock === undefined) throw new Error(`${WHERE}: this case needs the stock kernel`);
    if (x.dtype === 'string' || r === x.shape.length)
      return stock({ ...args, attrs: { perm } } as never) as TensorInfo;
    // the stock kernel on the simplified view (same data, fewer dims), its result reshaped back
    const out = stock({
      inputs: { x: { ...x, shape: simple.shape } },
      backend: args.backend,
      attrs: { perm: simple.perm },
    } as never) as TensorInfo;
    return { ...out, shape: outShape };
  }
  const backend = asWasmBackend(args.backend, WHERE);
  const out = backend.makeOutput(outShape, x.dtype);
  const total = tf.util.sizeFromShape(x.shape);
  if (total === 0) return out;
  const bytes = x.dtype === 'bool' ? 1 : 4;
  const heap = backend.wasm.HEAPU8; // after makeOutput: the heap may have grown
  const xOff = dataOf(backend, x, WHERE).memoryOffset;
  const oOff = dataOf(backend, out, WHERE).memoryOffset;
  if (r <= 1) {
    heap.copyWithin(oOff, xOff, xOff + total * bytes);
    return out;
  }
  // input strides in elements; walk the output in order: a row of `run` elements per step when the innermost
  // dim stays innermost, else one element per step
  const strides = new Array<number>(r).fill(1);
  for (let d = r - 2; d >= 0; d--) strides[d] = (strides[d + 1] as number) * (simple.shape[d + 1] as number);
  const rows = simple.perm[r - 1] === r - 1;
  const run = rows ? (simple.shape[r - 1] as number) : 1;
  const outer = rows ? simple.perm.slice(0, r - 1) : simple.perm;
  const dims = outer.map((d) => simple.shape[d] as number);
  const step = outer.map((d) => strides[d] as number);
  const idx = new Array<number>(outer.length).fill(0);
  const count = total / run;
  const last = outer.length - 1;
  // element offsets (4-byte dtypes through an Int32 view: a bit copy, NaN payloads kept)
  const view = bytes === 4 ? new Int32Array(heap.buffer, heap.byteOffset, heap.byteLength >> 2) : heap;
  let src = xOff / bytes;
  let dst = oOff / bytes;
  for (let i = 0; i < count; i++) {
    if (run === 1) view[dst] = view[src] as number;
    else view.copyWithin(dst, src, src + run);
    dst += run;
    for (let k = last; k >= 0; k--) {
      src += step[k] as number;
      if (++(idx[k] as number) < (dims[k] as number)) break;
      src -= (step[k] as number) * (dims[k] as number);
      idx[k] = 0;
    }
  }
  return out;
}

/** The kernel config replacing wasm `Transpose`, built on its stock config (see `repair_config.ts`). */
export function makeTransposeConfig(stock: StockLookup): KernelConfig {
  const base = stock(tf.Transpose);
  const stockFunc = base?.kernelFunc;
  const func = (args: Parameters<typeof transposeWasm>[0]) => transposeWasm(args, stockFunc);
  return repairConfig(tf.Transpose, func as unknown as KernelFunc, base);
}
