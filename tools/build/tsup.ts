/**
 * The one tsup configuration every publishable `@pir/*` package builds with: ESM + CJS + `.d.ts`,
 * one bundle per entry, tfjs and every dependency left external (they are peers or real dependencies).
 */
import type { Options } from 'tsup';

export interface PirTsupOptions {
  /** Entry points relative to the package root (default `['src/index.ts']`). */
  entry?: string[];
  /** Extra modules to keep external beyond `dependencies`/`peerDependencies` (tsup does those itself). */
  external?: (string | RegExp)[];
  /** Modules to bundle although they match an external pattern (see `@pir/runtime`'s gradients). */
  noExternal?: (string | RegExp)[];
}

export function pirTsup(opts: PirTsupOptions = {}): Options {
  return {
    entry: opts.entry ?? ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: false, // keep `registerClass` side effects; bundlers downstream use `sideEffects`
    target: 'es2022',
    platform: 'neutral',
    external: [/^@tensorflow\//, /^@pir\//, /^node:/, ...(opts.external ?? [])],
    noExternal: opts.noExternal ?? [],
    outDir: 'dist',
  };
}
