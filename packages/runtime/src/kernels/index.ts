/**
 * Kernel repairs for the wasm backend: registered over (or beside) the stock kernels when `initBackend`
 * prepares wasm. Each returns the kernel names it registered.
 */
export function repairWasmKernels(): string[] {
  return [];
}
