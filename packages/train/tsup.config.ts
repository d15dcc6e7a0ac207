import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

export default defineConfig(
  pirTsup({
    entry: {
      index: 'src/index.ts',
      optim: 'src/optim/index.ts',
      grad_cache: 'src/grad_cache/index.ts',
      trainer: 'src/trainer/index.ts',
      node: 'src/node/index.ts',
    },
    external: ['cli-progress', 'sharp', 'vega', 'vega-lite'],
  }),
);
