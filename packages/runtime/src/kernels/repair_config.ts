/**
 * Kernel configs of the wasm repairs, and how a repair finds the stock kernel it stands in for.
 *
 * A repair hands some cases back to the stock kernel (`BatchMatMul` for non-float32 inputs, `Slice` for
 * strings, `Conv2D` outside Winograd's cases). It gets that kernel explicitly: its factory is called with the
 * stock `KernelConfig`, closes over its `kernelFunc`, and the config it returns *holds* the stock config
 * (under a `Symbol.for` key, so every copy of `@pir/runtime` in a process reads it). Hence:
 *
 * - re-registering (`repairWasmKernels()` again, another copy of `@pir/runtime`) looks through a registered
 *   repair to the stock config it holds ({@link stockConfig}) instead of wrapping a repair in a repair;
 * - `tf.unregisterKernel` + `tf.registerKernel(stockConfig(name))` would restore the stock kernel exactly;
 * - the lifetime per backend instance is tfjs's own: the repair config carries the stock `setupFunc` /
 *   `disposeFunc`, which tfjs runs for every wasm backend instance it activates (they bind the stock kernel
 *   to that instance's wasm module), and the repairs keep their own per-instance state (scratch memory,
 *   compiled helper modules, transformed filters, the XNNPACK weight guard) in `WeakMap`s keyed by that
 *   module. No module variable remembers a stock kernel.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

const STOCK = Symbol.for('@pir/runtime/wasm-repair-of');

/** A kernel config registered by `@pir/runtime` over (or beside) a stock wasm kernel. */
export interface RepairConfig extends KernelConfig {
  /** The stock config this repair stands in for; `undefined` when the stock backend has no such kernel. */
  readonly [STOCK]: KernelConfig | undefined;
}

/** Looks up the stock wasm config of a kernel name (see {@link stockConfig}). */
export type StockLookup = (kernelName: string) => KernelConfig | undefined;

/** Whether `config` is one of the repair configs (of any copy of `@pir/runtime`). */
export function isRepairConfig(config: KernelConfig | undefined): config is RepairConfig {
  return config !== undefined && STOCK in config;
}

/** The stock config a repair stands in for (`undefined` if the stock backend has none). */
export function stockOf(config: RepairConfig): KernelConfig | undefined {
  return config[STOCK];
}

/**
 * The stock wasm config of `kernelName`: the registered config, or, when that is a repair, the stock config
 * it holds. `undefined` when tfjs-backend-wasm has no such kernel.
 */
export function stockConfig(kernelName: string): KernelConfig | undefined {
  const current = tf.getKernel(kernelName, 'wasm');
  return isRepairConfig(current) ? stockOf(current) : current;
}

/**
 * The wasm config of a repair of `kernelName` that stands in for `stock`: runs `kernelFunc`, and the stock
 * `setupFunc` / `disposeFunc` (so the stock kernel it hands cases back to is set up on every backend instance).
 */
export function repairConfig(
  kernelName: string,
  kernelFunc: KernelFunc,
  stock: KernelConfig | undefined,
): RepairConfig {
  const config: KernelConfig & { [STOCK]: KernelConfig | undefined } = {
    kernelName,
    backendName: 'wasm',
    kernelFunc,
    [STOCK]: stock,
  };
  if (stock?.setupFunc !== undefined) config.setupFunc = stock.setupFunc;
  if (stock?.disposeFunc !== undefined) config.disposeFunc = stock.disposeFunc;
  return config;
}
