/**
 * `indexImages` killed with SIGKILL (a real child process, bundled from source with esbuild and run by plain
 * node) at several points — right after a batch is committed, and a few milliseconds into the next one (while
 * it decodes, embeds or writes) — then run again: the store ends with every image exactly once and the same
 * vectors as an uninterrupted run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeSynthetic } from '@pir/datasets';
import { buildWordVocab } from '@pir/encoders';
import { createModel } from '@pir/models';
import { saveModel } from '@pir/models/node';
import { initBackend } from '@pir/runtime';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FileStore, openFileStore } from '../src/node/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cache = join(root, 'node_modules/.cache/pir-search-test');
const bundle = join(cache, `index_child.${process.pid}.mjs`);
const work = mkdtempSync(join(tmpdir(), 'pir-search-kill-'));
const images = join(work, 'data', 'images');
const modelDir = join(work, 'model');

function runChild(store: string, onLine?: (line: string, child: ChildProcess) => void) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string }>(
    (ok, fail) => {
      const child = spawn(process.execPath, [bundle, images, store, modelDir], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: string[] = [];
      let stderr = '';
      child.stderr?.on('data', (d) => {
        stderr += String(d);
      });
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        lines.push(line);
        onLine?.(line, child);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
      child.on('error', fail);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        ok({ code, signal, lines, stderr });
      });
    },
  );
}

function byId(store: FileStore): Map<string, number[]> {
  return new Map(store.list().map((it) => [it.id, Array.from(store.vector(it.id) as Float32Array)]));
}

beforeAll(async () => {
  mkdirSync(cache, { recursive: true });
  const inside = /^@tensorflow\/tfjs-core\/dist\/(register_all_gradients|global_util)(\.js)?$/;
  await build({
    entryPoints: [fileURLToPath(new URL('./index_child.ts', import.meta.url))],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    conditions: ['@pir/source'],
    logLevel: 'error',
    plugins: [
      {
        name: 'external-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (a) =>
            a.path.startsWith('@pir/') || inside.test(a.path) ? undefined : { path: a.path, external: true },
          );
        },
      },
    ],
  });
  await initBackend({ backend: 'cpu' });
  await writeSynthetic(join(work, 'data'), { seed: 9, count: 30, size: 32 });
  const tokenizer = buildWordVocab(['a harbour with boats'], { contextLength: 12 });
  const model = createModel('pir-itr-test', { seed: 4, tokenizer });
  await saveModel(model, modelDir, { config: 'pir-itr-test' });
  model.dispose();
}, 120_000);

afterAll(() => {
  rmSync(bundle, { force: true });
  rmSync(work, { recursive: true, force: true });
});

it('killed with SIGKILL after a commit and mid-batch, then rerun: every image once, the same vectors', async () => {
  const full = await runChild(join(work, 'full.pirdb'));
  expect(full.code, full.stderr).toBe(0);
  expect(full.lines[full.lines.length - 1]).toBe('DONE 30 0');
  const want = byId(await openFileStore(join(work, 'full.pirdb')));
  expect(want.size).toBe(30);
  for (const [name, delayMs] of [
    ['after-commit', 0],
    ['mid-batch', 15],
  ] as const) {
    const dir = join(work, `${name}.pirdb`);
    const killed = await runChild(dir, (line, child) => {
      if (line !== 'BATCH 8') return;
      if (delayMs === 0) child.kill('SIGKILL');
      else setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const partial = (await openFileStore(dir)).size();
    expect(partial).toBeGreaterThanOrEqual(8);
    expect(partial).toBeLessThan(30);
    const rerun = await runChild(dir);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.lines[rerun.lines.length - 1]).toBe(`DONE ${30 - partial} ${partial}`);
    const got = byId(await openFileStore(dir));
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [id, v] of want) expect(got.get(id), id).toEqual(v);
  }
}, 240_000);
