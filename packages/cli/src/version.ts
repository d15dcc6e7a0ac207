/** The version of `@pir/cli`, read from its package.json (next to `src/` and `dist/` alike). */
import { createRequire } from 'node:module';

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
