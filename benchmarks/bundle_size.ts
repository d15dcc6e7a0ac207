/**
 * Bundle sizes: what an app pays for each `@pir/*` package (its browser entry bundled alone with esbuild,
 * minified and gzip'ed: with tfjs, and without it — the package's own weight), and what the search page of
 * `examples/browser-search` ships (`vite build`: JS up front, lazy chunks, the wasm binaries, the demo model).
 *
 *   npm run build && npx tsx benchmarks/bundle_size.ts
 *
 * Sizes, not speed: no quiet machine needed. Writes `benchmarks/results/bundle-size.json`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleSize } from '@pir/test-utils/bundle';
import { machine, writeResult } from './lib/report.js';

const root = resolve(import.meta.dirname, '..');
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

const packages = [
  'metrics',
  'losses',
  'belief',
  'pae',
  'nn',
  'runtime',
  'datasets',
  'encoders',
  'models',
  'search',
];
const rows: Record<string, unknown>[] = [];
console.log(
  'package (browser entry)   up front, min / gzip      lazy chunks   without tfjs, min / gzip   tfjs parts pulled in',
);
for (const p of packages) {
  const code = `export * from '@pir/${p}';`;
  const all = await bundleSize(code, root);
  const own = await bundleSize(code, root, ['@tensorflow/*']);
  const tfjs = all.packages
    .filter((x) => x.startsWith('@tensorflow/'))
    .map((x) => x.replace('@tensorflow/', ''));
  rows.push({ package: `@pir/${p}`, withTfjs: all, withoutTfjs: own, tfjs });
  console.log(
    `@pir/${p}`.padEnd(26),
    `${kb(all.bytes)} / ${kb(all.gzipBytes)}`.padEnd(26),
    kb(all.lazyBytes).padEnd(13),
    `${kb(own.bytes)} / ${kb(own.gzipBytes)}`.padEnd(26),
    tfjs.join(', '),
  );
}

// the page, built as its users build it
const out = mkdtempSync(join(tmpdir(), 'pir-page-size-'));
const example = join(root, 'examples/browser-search');
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/vite/bin/vite.js'),
    'build',
    '--outDir',
    out,
    '--emptyOutDir',
    '--logLevel',
    'warn',
  ],
  {
    cwd: example,
    stdio: 'inherit',
  },
);
const files: { file: string; bytes: number; gzipBytes: number }[] = [];
const walk = (dir: string, rel: string) => {
  for (const e of readdirSync(dir)) {
    const f = join(dir, e);
    if (statSync(f).isDirectory()) walk(f, `${rel}${e}/`);
    else {
      const b = readFileSync(f);
      files.push({ file: `${rel}${e}`, bytes: b.length, gzipBytes: gzipSync(b, { level: 9 }).length });
    }
  }
};
walk(out, '');
rmSync(out, { recursive: true, force: true });
const sum = (pred: (f: string) => boolean) => {
  const fs = files.filter((f) => pred(f.file));
  return { bytes: fs.reduce((n, f) => n + f.bytes, 0), gzipBytes: fs.reduce((n, f) => n + f.gzipBytes, 0) };
};
const page = {
  // the page script and the worker, loaded at start; the lazy chunks (GeoTIFF codecs, the CLIP BPE vocabulary)
  // only when a TIFF is dropped or a CLIP model is loaded
  html: sum((f) => f.endsWith('.html')),
  mainJs: sum((f) => /^assets\/index-.*\.js$/.test(f)),
  workerJs: sum((f) => /^assets\/worker-.*\.js$/.test(f)),
  css: sum((f) => f.endsWith('.css')),
  lazyJs: sum((f) => f.endsWith('.js') && !/^assets\/(index|worker)-/.test(f)),
  wasmThreadedSimd: sum((f) => /threaded-simd.*\.wasm$/.test(f)),
  wasmAll: sum((f) => f.endsWith('.wasm')),
  model: sum((f) => f.startsWith('model/')),
};
console.log('\nexamples/browser-search (vite build), min / gzip:');
for (const [k, v] of Object.entries(page))
  console.log(`  ${k.padEnd(18)} ${kb(v.bytes)} / ${kb(v.gzipBytes)}`);
const start =
  page.html.gzipBytes +
  page.mainJs.gzipBytes +
  page.workerJs.gzipBytes +
  page.css.gzipBytes +
  page.wasmThreadedSimd.gzipBytes +
  page.model.gzipBytes;
console.log(`  first visit (page + worker + one wasm binary + model), gzip: ${kb(start)}`);

writeResult('bundle-size', {
  machine: machine(),
  bundler: 'esbuild (packages, platform browser, minified, ESM, code splitting); vite 7 (the page)',
  packages: rows,
  page: { ...page, firstVisitGzipBytes: start, files },
});
