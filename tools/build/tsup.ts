/**
 * The one tsup configuration every publishable `@pir/*` package builds with: ESM + CJS + `.d.ts`, tfjs and
 * every dependency left external (they are peers or real dependencies).
 *
 * Subpath exports (`@pir/encoders/layers`, …) are further named entries. Code shared by several entries goes
 * into `dist/chunk-*.{js,cjs}` (code splitting, for CJS too), so that `@pir/encoders` and
 * `@pir/encoders/layers` hand out the *same* classes: one copy of each class, one `registerClass` call, and
 * `instanceof` works across subpaths. A package whose modules register classes lists `./dist/chunk-*` in its
 * `sideEffects`.
 */
import type { Options } from 'tsup';

export interface PirTsupOptions {
  /**
   * Entry points relative to the package root (default `['src/index.ts']`); an object names the output files:
   * `{ index: 'src/index.ts', layers: 'src/layers/index.ts' }` → `dist/index.*`, `dist/layers.*`.
   */
  entry?: string[] | Record<string, string>;
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
    shims: true, // `import.meta.url` in CJS chunks (code splitting skips tsup's default CJS rewrite)
    splitting: true, // shared chunks between subpath entries (ESM and CJS), see the module doc
    treeshake: false, // keep `registerClass` side effects; bundlers downstream use `sideEffects`
    target: 'es2022',
    platform: 'neutral',
    external: [/^@tensorflow\//, /^@pir\//, /^node:/, ...(opts.external ?? [])],
    noExternal: opts.noExternal ?? [],
    outDir: 'dist',
  };
}
