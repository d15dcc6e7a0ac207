import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

const base = pirTsup();
export default defineConfig([
  { ...base, platform: 'node' },
  // the executable: ESM only, with a shebang
  {
    ...base,
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
    platform: 'node',
    external: [...(base.external ?? []), 'commander'],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
