/**
 * Node-only test helpers: run a script in a fresh Node process. The wasm backend initialises once per process,
 * and the shared test process (`isolate: false`) already runs it single-threaded, so threaded wasm is tested
 * in a child; so is anything that depends on which modules a process has loaded, and in which order.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const runtimeDir = join(root, 'packages/runtime');

/** The repository's tsx binary (a root devDependency). */
export const TSX = join(root, 'node_modules/.bin/tsx');

function run<T>(file: string, args: string[]): Promise<T> {
  return new Promise((ok, fail) => {
    execFile(file, args, { cwd: root, timeout: 120_000, maxBuffer: 256 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) {
        fail(new Error(`child process failed: ${err.message}\n${stderr}`));
        return;
      }
      ok(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
    });
  });
}

/** Evaluate `source` with tsx from the repository root; resolves with its last stdout line parsed as JSON. */
export function runTsxChild<T>(source: string): Promise<T> {
  return run<T>(TSX, ['--eval', source]);
}

/**
 * Evaluate `source` with plain Node (no loader hooks) from the repository root, as an ES module or as
 * CommonJS; resolves with its last stdout line parsed as JSON. `@pir/runtime` resolves to its built `dist`
 * there: see {@link assertRuntimeDistFresh}.
 */
export function runNodeChild<T>(source: string, type: 'module' | 'commonjs'): Promise<T> {
  return run<T>(process.execPath, [`--input-type=${type}`, '--eval', source]);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Throw unless `packages/runtime/dist` exists and is newer than every file of `packages/runtime/src`: a child
 * that imports `@pir/runtime` by name loads `dist`, and a stale one would test old code.
 */
export function assertRuntimeDistFresh(): void {
  const built = [join(runtimeDir, 'dist/index.js'), join(runtimeDir, 'dist/index.cjs')];
  const missing = built.filter((f) => !existsSync(f));
  const hint = 'build it first: cd packages/runtime && npx tsup';
  if (missing.length > 0) throw new Error(`@pir/runtime dist is missing (${missing.join(', ')}): ${hint}`);
  const oldest = Math.min(...built.map((f) => statSync(f).mtimeMs));
  if (oldest < newestMtime(join(runtimeDir, 'src'))) {
    throw new Error(`@pir/runtime dist is older than its src: ${hint}`);
  }
}
