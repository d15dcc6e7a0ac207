import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

// `@pir/nn/layers` is the only entry that imports @tensorflow/tfjs-layers (an optional peer).
export default defineConfig(pirTsup({ entry: { index: 'src/index.ts', layers: 'src/layers/index.ts' } }));
