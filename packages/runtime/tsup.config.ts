import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

// tfjs-core ships its gradient registrations only as unbundled ESM with extension-less imports, which plain
// Node cannot load. Bundle them (as @tensorflow/tfjs itself does); registries are global, so the copy
// registers into the same engine as the user's tfjs-core. `global_util` (tfjs's `getGlobal`, which reaches
// those registries) is bundled for the same reason: `src/gradients/gradient_guard.ts` uses it.
export default defineConfig(
  pirTsup({
    noExternal: [
      '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-core/dist/global_util',
    ],
  }),
);
