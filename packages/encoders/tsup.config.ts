import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

export default defineConfig(
  pirTsup({
    entry: {
      index: 'src/index.ts',
      models: 'src/models/index.ts',
      layers: 'src/layers/index.ts',
      tokenizers: 'src/tokenizers/index.ts',
      weights: 'src/weights/index.ts',
    },
  }),
);
