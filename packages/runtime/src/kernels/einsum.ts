/**
 * `Einsum` for the wasm backend (stock tfjs-backend-wasm 4.22 has none). The same plan as tfjs's cpu kernel —
 * per operand a transpose and reshape to a common broadcast layout, elementwise products, and sums over the
 * contracted axes — run with the stock wasm `Transpose`/`Reshape`/`Multiply`/`Sum` kernels. Fine for the
 * small contractions tfjs's einsum supports; large products should use `matMul` (GEMM).
 */

import type { EinsumAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { repairConfig, type StockLookup } from './repair_config.js';
import { asWasmBackend, runStock } from './wasm_internals.js';

const WHERE = 'Einsum (wasm, @pir/runtime)';

/**
 * Inputs: the operands (`tensors` are the kernel's positional inputs), attr `equation` (e.g. `'ij,jk->ik'`).
 * Output: the contraction, as `tf.einsum` documents it.
 */
export function einsumWasm(args: { inputs: TensorInfo[]; backend: unknown; attrs: EinsumAttrs }): TensorInfo {
  const backend = asWasmBackend(args.backend, WHERE);
  const tensors = args.inputs;
  const { equation } = args.attrs;
  const bu = tf.backend_util;
  const { allDims, summedDims, idDims } = bu.decodeEinsumEquation(equation, tensors.length);
  bu.checkEinsumDimSizes(allDims.length, idDims, tensors as tf.Tensor[]);
  const { path, steps } = bu.getEinsumComputePath(summedDims, idDims);
  let out: TensorInfo | null = null;
  let remaining = allDims.length;
  const temps: TensorInfo[] = [];
  try {
    for (let i = 0; i < steps.length; i++) {
      for (const term of steps[i]!) {
        const { permutationIndices: perm, expandDims } = bu.getEinsumPermutation(remaining, idDims[term]!);
        let x = tensors[term]!;
        if (!bu.isIdentityPermutation(perm)) {
          x = runStock(backend, 'Transpose', { x }, { perm });
          temps.push(x);
        }
        const target = x.shape.slice();
        for (const d of expandDims) target.splice(d, 0, 1);
        if (!tf.util.arraysEqual(x.shape, target)) {
          x = runStock(backend, 'Reshape', { x }, { shape: target });
          temps.push(x);
        }
        if (out === null) {
          out = x;
        } else {
          out = runStock(backend, 'Multiply', { a: x, b: out });
          temps.push(out);
        }
      }
      if (i < steps.length - 1) {
        if (path[i]! >= 0 && out !== null) {
          out = runStock(
            backend,
            'Sum',
            { x: out },
            { axis: path[i]! - (allDims.length - remaining), keepDims: false },
          );
          temps.push(out);
        }
        remaining--;
      }
    }
    if (out === null) throw new Error(`${WHERE}: equation '${equation}' has no operands`);
    // Never hand back an input (or a reshape sharing its data) as the output: copy it.
    const result = tensors.some((t) => t.dataId === out?.dataId)
      ? runStock(backend, 'Identity', { x: out })
      : out;
    const at = temps.indexOf(result);
    if (at >= 0) temps.splice(at, 1);
    return result;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Kernel config adding wasm `Einsum` (tfjs-backend-wasm 4.22 has none). */
export function makeEinsumConfig(stock: StockLookup): KernelConfig {
  return repairConfig(tf.Einsum, einsumWasm as unknown as KernelFunc, stock(tf.Einsum));
}
