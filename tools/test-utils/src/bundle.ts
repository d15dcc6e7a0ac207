/**
 * What an app that imports a `@pir/*` entry point ships: the entry bundled for the browser as a user's bundler
 * would (esbuild: the packages' published `dist/` through their `exports`, `sideEffects` honoured, minified),
 * its size raw and gzip'ed, and the modules it pulled in — to check that an app importing only `@pir/metrics`
 * gets neither tfjs-layers nor a backend, and that no browser entry reaches a Node-only module.
 * Needs `npm run build` (the `dist/` folders).
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** One bundled app. */
export interface BundleReport {
  /** Minified bytes of what the app loads up front (the entry chunk and the chunks it imports statically). */
  bytes: number;
  /** The same, gzip'ed (level 9). */
  gzipBytes: number;
  /** Minified bytes of the chunks loaded only by a dynamic `import()` (a GeoTIFF decoder, a BPE vocabulary). */
  lazyBytes: number;
  /** The packages the bundle contains (up front or lazily) (`@tensorflow/tfjs-core`, `@pir/metrics`, …), from its module list. */
  packages: string[];
}

/** The package of a bundled module path (`node_modules/@scope/name/…` or a workspace `packages/name/…`). */
function packageOf(input: string): string {
  const nm = input.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = input.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
  }
  const ws = /(?:^|\/)(packages|tools)\/([^/]+)\//.exec(input);
  if (ws !== null) return ws[1] === 'packages' ? `@pir/${ws[2]}` : `tools/${ws[2]}`;
  return input;
}

/**
 * Bundle `code` (an ES module, e.g. `export * from '@pir/metrics'`) for the browser from `resolveDir`.
 * @param external packages left out (e.g. `['@tensorflow/tfjs-core']` for a package's own weight)
 * @throws when the bundle cannot be built — a Node-only import reachable from a browser entry fails here
 */
export async function bundleSize(
  code: string,
  resolveDir: string,
  external: string[] = [],
): Promise<BundleReport> {
  const r = await build({
    stdin: { contents: code, resolveDir, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external,
    // a .wasm file is an asset a page fetches, not code in the bundle
    loader: { '.wasm': 'file' },
    splitting: true,
    outdir: 'out',
  });
  // the chunks reachable from the entry through static imports are loaded up front; the rest is lazy
  const outputs = r.metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o]?.entryPoint === '<stdin>') as string;
  const eager = new Set<string>();
  const visit = (o: string): void => {
    if (eager.has(o)) return;
    eager.add(o);
    for (const i of outputs[o]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(entry);
  const js = r.outputFiles.filter((f) => f.path.endsWith('.js'));
  const isEager = (path: string) => [...eager].some((o) => path.endsWith(o.replace(/^out\//, '/')));
  const bytes = js.filter((f) => isEager(f.path)).reduce((n, f) => n + f.contents.length, 0);
  const gzipBytes = js
    .filter((f) => isEager(f.path))
    .reduce((n, f) => n + gzipSync(f.contents, { level: 9 }).length, 0);
  const lazyBytes = js.filter((f) => !isEager(f.path)).reduce((n, f) => n + f.contents.length, 0);
  const packages = [...new Set(Object.keys(r.metafile.inputs).map(packageOf))]
    .filter((p) => p !== '<stdin>')
    .sort();
  return { bytes, gzipBytes, lazyBytes, packages };
}
