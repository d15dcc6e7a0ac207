/**
 * Shared benchmark plumbing: machine description, robust timing, and JSON results under `results/`.
 * Benchmarks are scripts run with `npx tsx benchmarks/<name>.ts`; they never run in the test suite.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** What the numbers were measured on. */
export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model ?? 'unknown',
    logicalCores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** Median and spread of `reps` timed runs of `fn` after `warmup` untimed runs (milliseconds). */
export async function time(
  fn: () => unknown | Promise<unknown>,
  { warmup = 2, reps = 5 }: { warmup?: number; reps?: number } = {},
): Promise<{ medianMs: number; minMs: number; maxMs: number; reps: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return {
    medianMs: t[Math.floor(t.length / 2)] as number,
    minMs: t[0] as number,
    maxMs: t[t.length - 1] as number,
    reps,
  };
}

/**
 * Run this benchmark script again in a child process (`script`: its `import.meta.url`; the wasm backend
 * initialises once per process) with `args`; returns its last stdout line parsed as JSON.
 */
export function runSelfChild<T>(script: string, args: string[]): T {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(script), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

/** Run a Python script with Debian's interpreter (PyTorch/numpy baselines); returns its stdout parsed as JSON. */
export function runPython(script: string, args: string[] = [], env: Record<string, string> = {}): unknown {
  const out = execFileSync('/usr/bin/python3', [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 2 ** 20,
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string);
}

/** Write `results/<name>.json` atomically with the machine description attached. */
export function writeResult(name: string, data: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ benchmark: name, machine: machine(), ...data }, null, 2)}\n`);
  renameSync(tmp, path);
  return path;
}

/**
 * The 1-minute load average before a run, and whether the machine is quiet (< 0.5). A busy machine skews the
 * ratios (one published figure was off by 2×): unless `argv` has `--force`, a run on a busy machine is refused
 * with what to do; with it, the run goes on, loudly marked, and the result records `quiet: false`.
 */
export function quietStart(argv: readonly string[] = process.argv): { load0: number; quiet: boolean } {
  const load0 = os.loadavg()[0] as number;
  const quiet = load0 < 0.5;
  if (!quiet && !argv.includes('--force')) {
    console.error(
      `load average ${load0.toFixed(2)} ≥ 0.5: the machine is not quiet and the ratios would be off. Stop other work (and background jobs), wait for the load to fall, and rerun — or pass --force to record a run marked not quiet`,
    );
    process.exit(2);
  }
  if (!quiet) console.error(`!! NOT QUIET: load average ${load0.toFixed(2)} — figures are indicative only`);
  return { load0, quiet };
}

/** One kernel of a `tf.profile` result (the fields used here). */
export interface ProfiledKernel {
  name: string;
  kernelTimeMs: number | { error: string } | unknown;
  inputShapes?: unknown;
}

/**
 * Kernel time of a `tf.profile` run summed per `keyOf(kernel)` (default: the kernel's name), largest first:
 * the `top` entries, milliseconds rounded to `digits` decimals.
 */
export function kernelTimes(
  kernels: readonly ProfiledKernel[],
  top: number,
  {
    keyOf = (k: ProfiledKernel) => k.name,
    digits = 0,
  }: { keyOf?: (k: ProfiledKernel) => string | undefined; digits?: number } = {},
): { kernel: string; ms: number; calls: number }[] {
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of kernels) {
    const key = keyOf(k);
    if (key === undefined) continue;
    const e = by.get(key) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls += 1;
    by.set(key, e);
  }
  const f = 10 ** digits;
  return [...by.entries()]
    .map(([kernel, e]) => ({ kernel, ms: Math.round(e.ms * f) / f, calls: e.calls }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}
