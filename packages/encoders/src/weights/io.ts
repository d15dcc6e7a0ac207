/**
 * Format detection and the Node convenience to read a weight file by path.
 */

import type { StateDict } from '@pir/nn';
import { importOptional } from '@pir/runtime';
import { WeightsError } from './errors.js';
import { readSafetensors } from './safetensors.js';
import { readTorch, type TorchReadOptions } from './torch.js';

/** The weight formats this package reads. */
export type WeightsFormat = 'safetensors' | 'torch';

/** Guesses the format from the first bytes: zip magic → torch, a JSON header → safetensors. */
export function detectWeightsFormat(bytes: Uint8Array): WeightsFormat | undefined {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4)
    return 'torch';
  if (bytes.length >= 9 && bytes[8] === 0x7b) return 'safetensors';
  return undefined;
}

/**
 * Reads a state dict from safetensors or torch bytes, whichever they are.
 * @example
 * ```ts
 * const sd = readWeights(new Uint8Array(await (await fetch(url)).arrayBuffer()), { name: url });
 * ```
 */
export function readWeights(bytes: Uint8Array, options: TorchReadOptions = {}): StateDict {
  const format = detectWeightsFormat(bytes);
  if (format === 'torch') return readTorch(bytes, options);
  if (format === 'safetensors') return readSafetensors(bytes, options);
  throw new WeightsError(options.name ?? 'weights', 'neither a safetensors file nor a torch zip file');
}

/**
 * Node only: reads a weight file by path (`.safetensors`, `.pth`, `.pt`, `.bin`). `node:fs` is imported
 * dynamically, so browser bundles never see it.
 * @example
 * ```ts
 * const sd = await loadWeightsFile('checkpoints/pir_rsitmd.pth', { key: 'model' });
 * ```
 */
export async function loadWeightsFile(path: string, options: TorchReadOptions = {}): Promise<StateDict> {
  const fs = await importOptional<typeof import('node:fs/promises')>('node:fs/promises');
  const buf = await fs.readFile(path);
  return readWeights(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), { name: path, ...options });
}

/** Node only: writes bytes (e.g. from `writeSafetensors`) to a path. */
export async function saveWeightsFile(path: string, bytes: Uint8Array): Promise<void> {
  const fs = await importOptional<typeof import('node:fs/promises')>('node:fs/promises');
  await fs.writeFile(path, bytes);
}
