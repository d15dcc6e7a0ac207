/**
 * The packages as a browser app's bundler sees them (their published `dist/`, so run `npm run build` first):
 * every browser entry point bundles for the browser (no Node-only module reachable), and an app importing only
 * `@pir/metrics` or `@pir/losses` gets tfjs-core and nothing heavier — no tfjs-layers, no backend.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSize } from '@pir/test-utils/bundle';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PACKAGES = [
  'belief',
  'pae',
  'losses',
  'encoders',
  'metrics',
  'datasets',
  'runtime',
  'nn',
  'models',
  'search',
  'train',
];

/** `@pir/x` and `@pir/x/sub` for every export of every package but `./node` and `./package.json`. */
function browserEntries(): string[] {
  return PACKAGES.flatMap((p) => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    return Object.keys(pkg.exports)
      .filter((k) => k !== './package.json' && k !== './node')
      .map((k) => (k === '.' ? `@pir/${p}` : `@pir/${p}/${k.slice(2)}`));
  });
}

describe('bundles for the browser', () => {
  it('needs the packages built', () => {
    for (const p of PACKAGES)
      expect(
        existsSync(join(root, 'packages', p, 'dist/index.js')),
        `packages/${p}/dist: run npm run build`,
      ).toBe(true);
  });

  it.each(browserEntries())('%s bundles for the browser with no Node-only module', async (entry) => {
    const r = await bundleSize(`export * from '${entry}';`, root);
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.packages.filter((p) => /^(pg|usearch|sharp|node:)/.test(p))).toEqual([]);
  });

  it.each(['@pir/metrics', '@pir/losses'])(
    'an app importing only %s gets neither tfjs-layers nor a backend',
    async (entry) => {
      const r = await bundleSize(`export * from '${entry}';`, root);
      expect(r.packages).toContain('@tensorflow/tfjs-core');
      expect(r.packages.filter((p) => p.startsWith('@tensorflow/') && p !== '@tensorflow/tfjs-core')).toEqual(
        [],
      );
      // tfjs-core tree-shaken with the package: well under tfjs-core's own 300 KiB minified
      expect(r.bytes).toBeLessThan(200 * 1024);
    },
  );
});
