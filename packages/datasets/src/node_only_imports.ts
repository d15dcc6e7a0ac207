/**
 * Node-only modules (`node:fs/promises`, `node:path`, `sharp`), loaded with a non-literal dynamic `import()`
 * inside the functions that need them, so that browser bundlers never see them. Used by the annotation file
 * readers, the image decoders/encoders and the synthetic writer.
 */
import { PirError } from '@pir/runtime/errors';

// biome-ignore lint/suspicious/noExplicitAny: sharp's types are loaded only where sharp is installed
export type SharpFactory = (input?: any, options?: any) => any;

async function importNodeOnly<T>(specifier: string): Promise<T> {
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}

let sharpPromise: Promise<SharpFactory> | undefined;

/** `sharp` (Node only). Throws with an install hint when it is missing. */
export function loadSharp(): Promise<SharpFactory> {
  sharpPromise ??= importNodeOnly<{ default: SharpFactory }>('sharp').then(
    (m) => m.default,
    (e: unknown) => {
      sharpPromise = undefined;
      throw new PirError(
        '@pir/datasets',
        'sharp',
        `@pir/datasets: needs the 'sharp' package in Node (npm install sharp): ${String(e)}`,
        { cause: e },
      );
    },
  );
  return sharpPromise;
}

/** `node:fs/promises` (Node only). */
export function loadFs(): Promise<typeof import('node:fs/promises')> {
  return importNodeOnly('node:fs/promises');
}

/** `node:path` (Node only). */
export function loadPath(): Promise<typeof import('node:path')> {
  return importNodeOnly('node:path');
}
