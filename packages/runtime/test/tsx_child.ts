/**
 * Node-only test helper: run a script in a fresh Node process through tsx. The wasm backend initialises once
 * per process, and the shared test process (`isolate: false`) already runs it single-threaded, so threaded
 * wasm is tested in a child.
 */
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The repository's tsx binary (a root devDependency). */
export const TSX = join(root, 'node_modules/.bin/tsx');

/** Evaluate `source` with tsx from the repository root; resolves with its last stdout line parsed as JSON. */
export function runTsxChild<T>(source: string): Promise<T> {
  return new Promise((ok, fail) => {
    execFile(
      TSX,
      ['--eval', source],
      { cwd: root, timeout: 120_000, maxBuffer: 256 * 2 ** 20 },
      (err, stdout, stderr) => {
        if (err) {
          fail(new Error(`child wasm process failed: ${err.message}\n${stderr}`));
          return;
        }
        ok(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      },
    );
  });
}
