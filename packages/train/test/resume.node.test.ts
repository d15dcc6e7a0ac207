/**
 * Exact resume across processes: a training child process (`resume_child.ts`, bundled from source with esbuild
 * and run by plain Node) is killed with SIGKILL right after a mid-epoch checkpoint, or stopped with Ctrl-C
 * (SIGINT: it writes a checkpoint and exits with 130); a new process resumes from the run directory's
 * `latest` checkpoint and finishes. Its final weights and AdamW moments equal those of an uninterrupted run
 * bit for bit — on cpu, and on single-threaded wasm.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpointStore } from '../src/node/index.js';
import { decodeCheckpoint } from '../src/trainer/index.js';
import { expectBitwiseEqual } from './bitwise.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cache = join(root, 'node_modules/.cache/pir-train-test');
const bundle = join(cache, `resume_child.${process.pid}.mjs`);
const runs = mkdtempSync(join(tmpdir(), 'pir-train-resume-'));

/** What a child did. */
interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/**
 * Run the training child; `onLine` sees each stdout line with the process (to kill it).
 * @param args runDir backend resume(0|1) checkpointEvery
 */
function runChild(args: string[], onLine?: (line: string, child: ChildProcess) => void): Promise<ChildRun> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [bundle, ...args], {
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
  });
}

/** Kill the child with `signal` when it reports the checkpoint of step `step`. */
const stopAt = (step: number, signal: NodeJS.Signals) => (line: string, child: ChildProcess) => {
  if (line === `CHECKPOINT step-${String(step).padStart(8, '0')} ${step}`) child.kill(signal);
};

/** The final weights and moments of a run directory (its `latest` checkpoint). */
async function finalState(runDir: string) {
  const stored = await fileCheckpointStore(join(runDir, 'checkpoints')).load('latest');
  if (stored === undefined) throw new Error(`${runDir} has no latest checkpoint`);
  return decodeCheckpoint(stored);
}

const startStep = (run: ChildRun) => Number(run.lines.find((l) => l.startsWith('START '))?.slice(6));

beforeAll(async () => {
  mkdirSync(cache, { recursive: true });
  // bundle the child from source (@pir/source), as tsup bundles @pir/runtime: tfjs-core's gradient modules
  // inside, every other package external
  const inside = /^@tensorflow\/tfjs-core\/dist\/(register_all_gradients|global_util)(\.js)?$/;
  await build({
    entryPoints: [fileURLToPath(new URL('./resume_child.ts', import.meta.url))],
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
});

afterAll(() => {
  rmSync(bundle, { force: true });
  rmSync(runs, { recursive: true, force: true });
});

/**
 * The uninterrupted run and one killed with SIGKILL right after the checkpoint of step 2 (side by side), the
 * killed one resumed; with `sigint`, also a run stopped by Ctrl-C at the same point, resumed. Every final state
 * is compared with the uninterrupted one, bit for bit.
 */
async function scenario(backend: 'cpu' | 'wasm', sigint: boolean): Promise<string> {
  const t0 = performance.now();
  const dir = (name: string) => join(runs, `${backend}-${name}`);
  // 2 epochs × 4 steps, a checkpoint after every step
  const [full, killed] = await Promise.all([
    runChild([dir('full'), backend, '0', '1']),
    runChild([dir('killed'), backend, '0', '1'], stopAt(2, 'SIGKILL')),
  ]);
  expect(full.code, full.stderr).toBe(0);
  expect(killed.signal).toBe('SIGKILL');
  const resumed = await runChild([dir('killed'), backend, '1', '1']);
  expect(resumed.code, resumed.stderr).toBe(0);
  // resumed from the checkpoint seen or a later one (the child went on until the kill landed), inside epoch 1
  const fromKill = startStep(resumed);
  expect(fromKill).toBeGreaterThanOrEqual(2);
  expect(fromKill % 4, `resumed at step ${fromKill}`).not.toBe(0);
  const compared = [dir('killed')];
  let fromSigint: number | undefined;
  if (sigint) {
    const interrupted = await runChild([dir('sigint'), backend, '0', '1'], stopAt(2, 'SIGINT'));
    expect(interrupted.code, interrupted.stderr).toBe(130); // a clean exit, after writing a checkpoint
    const result = JSON.parse(interrupted.lines.find((l) => l.startsWith('RESULT '))?.slice(7) ?? '{}');
    expect(result.status).toBe('interrupted');
    // Ctrl-C lands during a later step: that step finishes, its checkpoint is the last thing written
    const last = interrupted.lines.filter((l) => l.startsWith('CHECKPOINT ')).pop();
    expect(last).toBe(`CHECKPOINT step-${String(result.steps).padStart(8, '0')} ${result.steps}`);
    const again = await runChild([dir('sigint'), backend, '1', '1']);
    expect(again.code, again.stderr).toBe(0);
    fromSigint = startStep(again);
    expect(fromSigint).toBe(result.steps);
    compared.push(dir('sigint'));
  }
  const a = await finalState(dir('full'));
  expect(a.state.progress.step).toBe(8);
  for (const d of compared) {
    const b = await finalState(d);
    const n = expectBitwiseEqual(a.weights, b.weights, `${backend} ${d}: weights`);
    expectBitwiseEqual(a.moments, b.moments, `${backend} ${d}: moments`);
    expect(n).toBeGreaterThan(10_000);
    expect(b.state.history.map((e) => e.losses.loss)).toEqual(a.state.history.map((e) => e.losses.loss));
    expect(b.state.best).toEqual(a.state.best);
  }
  return (
    `[${backend}] SIGKILL after step 2 → resumed from step ${fromKill}` +
    `${fromSigint === undefined ? '' : `; Ctrl-C → checkpoint, exit 130, resumed from step ${fromSigint}`}` +
    `; final weights and AdamW moments bitwise equal to the uninterrupted run (${((performance.now() - t0) / 1000).toFixed(1)} s)`
  );
}

describe('exact resume across processes', () => {
  it('cpu: SIGKILL after a mid-epoch checkpoint, then resume → the uninterrupted run bit for bit', async () => {
    console.log(await scenario('cpu', false));
  }, 120_000);

  it('wasm, one thread: SIGKILL, and Ctrl-C, then resume → the uninterrupted run bit for bit', async () => {
    console.log(await scenario('wasm', true));
  }, 120_000);
});
