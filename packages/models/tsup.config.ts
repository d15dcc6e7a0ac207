import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

// `@pir/models/node` is the only entry that imports node:fs (model directories on disk).
export default defineConfig(pirTsup({ entry: { index: 'src/index.ts', node: 'src/node/index.ts' } }));
