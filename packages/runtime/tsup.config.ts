import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

// tfjs-core ships its gradient registrations only as unbundled ESM with extension-less imports, which plain
// Node cannot load. Bundle them (as @tensorflow/tfjs itself does); registries are global, so the copy
// registers into the same engine as the user's tfjs-core. `global_util` (tfjs's `getGlobal`, which reaches
// those registries) is bundled for the same reason: `src/gradients/gradient_guard.ts` uses it.
export default defineConfig(
  pirTsup({
    // `@pir/runtime/errors` and `@pir/runtime/rng` have no side effects: packages that only need PirError or
    // Rng (metrics, losses, datasets) import them there, so an app using only those pulls in no backend.
    entry: { index: 'src/index.ts', errors: 'src/errors.ts', rng: 'src/rng.ts' },
    noExternal: [
      '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-core/dist/global_util',
    ],
  }),
);
