import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

// one entry per subpath export (package.json `exports`); shared code goes into dist/chunk-*
export default defineConfig(
  pirTsup({
    entry: {
      index: 'src/index.ts',
      annotations: 'src/annotations/index.ts',
      labels: 'src/labels/index.ts',
      captions: 'src/captions/index.ts',
      images: 'src/images/index.ts',
      transforms: 'src/transforms/index.ts',
      batching: 'src/batching/index.ts',
      dedup: 'src/dedup/index.ts',
      synthetic: 'src/synthetic/index.ts',
    },
  }),
);
