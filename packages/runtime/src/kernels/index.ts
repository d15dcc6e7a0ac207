/**
 * Kernel repairs for the wasm backend (tfjs-backend-wasm 4.22), registered over (or beside) the stock
 * kernels when `initBackend` prepares wasm:
 *
 * | kernel            | stock wasm                         | repair                                        |
 * |-------------------|------------------------------------|-----------------------------------------------|
 * | `BatchMatMul`     | scalar loop with transposes/batch  | XNNPACK GEMM; small batched slices (attention) on a SIMD kernel (`batch_mat_mul.ts`, `batched_gemm.ts`) |
 * | `UnsortedSegmentSum` | missing (no gradient of `gather`) | JS over the wasm heap                       |
 * | `Conv2DBackpropFilter` | missing                          | im2col (JS) + XNNPACK GEMM                    |
 * | `DepthwiseConv2dNativeBackpropFilter` / `…Input` | missing | JS loops over the wasm heap                 |
 * | `Einsum`          | missing                            | cpu's plan on stock wasm kernels (no GEMM)    |
 * | `Slice`, `SplitV` | copy the whole input per slice     | copy only the selected runs                   |
 * | `Conv2D`, `FusedConv2D` | XNNPACK direct convolution   | 3 × 3 stride 1: Winograd F(4×4, 3×3), 4× fewer multiply-adds (`conv_winograd.ts`) |
 */

import type { KernelConfig } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { makeBatchMatMulConfig } from './batch_mat_mul.js';
import { convBackpropConfigs } from './conv_backprop.js';
import { makeConvConfigs } from './conv_winograd.js';
import { einsumConfig } from './einsum.js';
import { makeSliceConfigs } from './slice.js';
import { unsortedSegmentSumConfig } from './unsorted_segment_sum.js';

let stockCaptured = false;
let configs: KernelConfig[] = [];

function buildConfigs(): KernelConfig[] {
  // Capture the stock kernels the repairs replace before the first registration.
  const stockMatMul = tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc;
  const stockSlice = tf.getKernel(tf.Slice, 'wasm')?.kernelFunc;
  return [
    makeBatchMatMulConfig(stockMatMul),
    unsortedSegmentSumConfig,
    ...convBackpropConfigs,
    einsumConfig,
    ...makeSliceConfigs(stockSlice),
    ...makeConvConfigs(),
  ];
}

/**
 * Register the repairs for backend `'wasm'` (idempotent: re-registering replaces them without tfjs's
 * "already registered" warning). Returns the kernel names registered, e.g. `['BatchMatMul', …]`.
 */
export function repairWasmKernels(): string[] {
  if (!stockCaptured) {
    configs = buildConfigs();
    stockCaptured = true;
  }
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, c.backendName) !== undefined)
      tf.unregisterKernel(c.kernelName, c.backendName);
    tf.registerKernel(c);
  }
  return configs.map((c) => c.kernelName);
}
