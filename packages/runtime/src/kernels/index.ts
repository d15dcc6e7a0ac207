/**
 * Kernel repairs for the wasm backend (tfjs-backend-wasm 4.22), registered over (or beside) the stock
 * kernels when `initBackend` prepares wasm:
 *
 * | kernel            | stock wasm                         | repair                                        |
 * |-------------------|------------------------------------|-----------------------------------------------|
 * | `BatchMatMul`     | scalar loop with transposes/batch  | ≥ 64 rows: SIMD GEMM split over threads (`parallel_gemm.ts`); smaller: XNNPACK GEMM; small batched slices (attention) on the SIMD kernel (`batch_mat_mul.ts`, `batched_gemm.ts`) |
 * | `UnsortedSegmentSum` | missing (no gradient of `gather`) | JS over the wasm heap                       |
 * | `Conv2DBackpropFilter` | missing                          | im2col (JS) + XNNPACK GEMM                    |
 * | `DepthwiseConv2dNativeBackpropFilter` / `…Input` | missing | JS loops over the wasm heap                 |
 * | `Einsum`          | missing                            | cpu's plan on stock wasm kernels (no GEMM)    |
 * | `Slice`, `SplitV` | copy the whole input per slice     | copy only the selected runs                   |
 * | `Transpose`       | per-element addressing at rank ≥ 5 | simplified permutation; rows copied whole when the innermost dim stays (`transpose.ts`) |
 * | `Conv2D`, `FusedConv2D` | XNNPACK direct convolution   | 3 × 3 stride 1: Winograd F(4×4, 3×3), 4× fewer multiply-adds (`conv_winograd.ts`) |
 *
 * Each repair is built by a factory from the stock config it stands in for, and its config holds that stock
 * config (`repair_config.ts`): registering again, from this or another copy of `@pir/runtime`, builds on the
 * same stock kernels, and no module variable keeps them.
 */

import type { KernelConfig } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { makeBatchMatMulConfig } from './batch_mat_mul.js';
import { makeConvBackpropConfigs } from './conv_backprop.js';
import { makeConvConfigs } from './conv_winograd.js';
import { makeEinsumConfig } from './einsum.js';
import { type StockLookup, stockConfig } from './repair_config.js';
import { makeSliceConfigs } from './slice.js';
import { makeTransposeConfig } from './transpose.js';
import { makeUnsortedSegmentSumConfig } from './unsorted_segment_sum.js';

/** The repairs in registration order: each builds its configs from the stock kernels (`stock` looks them up). */
const REPAIRS: readonly ((stock: StockLookup) => KernelConfig[])[] = [
  (stock) => [makeBatchMatMulConfig(stock(tf.BatchMatMul))],
  (stock) => [makeUnsortedSegmentSumConfig(stock)],
  makeConvBackpropConfigs,
  (stock) => [makeEinsumConfig(stock)],
  makeSliceConfigs,
  (stock) => [makeTransposeConfig(stock)],
  makeConvConfigs,
];

/**
 * The repair configs for backend `'wasm'`, built on the stock kernels registered now (looking through repairs
 * registered earlier, see `repair_config.ts`). Registers nothing.
 */
export function wasmRepairConfigs(): KernelConfig[] {
  return REPAIRS.flatMap((make) => make(stockConfig));
}

/**
 * Register the repairs for backend `'wasm'` (idempotent: re-registering replaces them without tfjs's
 * "already registered" warning, built on the same stock kernels). Returns the kernel names registered,
 * e.g. `['BatchMatMul', …]`.
 */
export function repairWasmKernels(): string[] {
  // Build every config before registering any: each factory sees the stock kernels, never another repair.
  const configs = wasmRepairConfigs();
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, c.backendName) !== undefined)
      tf.unregisterKernel(c.kernelName, c.backendName);
    tf.registerKernel(c);
  }
  return configs.map((c) => c.kernelName);
}
