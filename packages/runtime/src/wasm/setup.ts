/**
 * Preparing the wasm backend before `tf.setBackend('wasm')`: binary paths, SIMD and threads.
 * (Threads in Node need the worker written to a file — see the notes in DESIGN.md.)
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

export interface WasmSetupOptions {
  /** Worker threads for XNNPACK; 1 disables threading. */
  threads: number;
  /** Use the SIMD binary when the engine supports it. */
  simd: boolean;
  /** Where the `.wasm` binaries are served from (browser bundles); a prefix or a map per file. */
  wasmPaths?: string | Record<string, string>;
}

export interface WasmSetupResult {
  simd: boolean;
  threads: number;
}

/** Configure flags and paths for the wasm backend. Must run before the backend is first initialised. */
export async function setupWasm(opts: WasmSetupOptions): Promise<WasmSetupResult> {
  if (opts.wasmPaths !== undefined) {
    setWasmPaths(opts.wasmPaths as string);
  }
  tf.env().set('WASM_HAS_SIMD_SUPPORT', opts.simd);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return { simd: opts.simd, threads: 1 };
}
