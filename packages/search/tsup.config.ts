import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

export default defineConfig(pirTsup({ entry: { index: 'src/index.ts', node: 'src/node/index.ts' } }));
