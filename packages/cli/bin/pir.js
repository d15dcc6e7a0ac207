#!/usr/bin/env node
// Launcher for the `pir` command: runs the built CLI (`npm run build` first when working from a clone).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('pir: the CLI is not built yet. From the repository root run: npm run build');
  process.exit(1);
}
await import(cli.href);
