/**
 * What the three commands share: options (`node:util` `parseArgs`), the backend, the data the options name, and
 * a `main` that prints errors as one line (a `PirError`'s `where` and `argument`, or the example's own) and exits.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type BackendName, initBackend, PirError } from '@pir/runtime';
import {
  type AnnotationOptions,
  type ExampleData,
  ExampleError,
  realData,
  type SplitName,
  syntheticData,
} from './data.js';
import type { DatasetName } from './published.js';

/** Options every command takes. */
export const COMMON_OPTIONS = {
  synthetic: { type: 'boolean' },
  dataset: { type: 'string' },
  'data-dir': { type: 'string' },
  annotations: { type: 'string' },
  train: { type: 'string' },
  val: { type: 'string' },
  test: { type: 'string' },
  images: { type: 'string' },
  'data-seed': { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** The values of parsed options: strings, and booleans for flags. */
export type OptionValues<S extends OptionSpec> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string;
};

/** Parse `argv` (`process.argv.slice(2)`) against `spec`; unknown options are errors. */
export function parseOptions<S extends OptionSpec>(spec: S, argv: readonly string[]): OptionValues<S> {
  try {
    return parseArgs({ options: spec, args: [...argv], strict: true, allowPositionals: false })
      .values as OptionValues<S>;
  } catch (e) {
    throw new ExampleError((e as Error).message);
  }
}

/** An integer option (or `fallback` when absent). */
export function intOption(name: string, value: unknown, fallback: number, min?: number): number;
export function intOption(
  name: string,
  value: unknown,
  fallback: undefined,
  min?: number,
): number | undefined;
export function intOption(name: string, value: unknown, fallback: number | undefined, min = 0) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new ExampleError(`--${name} must be an integer ≥ ${min}, got ${String(value)}`);
  return n;
}

/** The dataset option. */
export function datasetOption(value: unknown): DatasetName {
  const d = String(value ?? 'rsitmd').toLowerCase();
  if (d !== 'rsitmd' && d !== 'rsicd')
    throw new ExampleError(`--dataset must be rsitmd or rsicd, got ${String(value)}`);
  return d;
}

/** Start the tfjs backend the options ask for (default wasm, one thread per core). */
export async function startBackend(values: {
  backend?: unknown;
  threads?: unknown;
  'gradient-checkpointing'?: unknown;
}): Promise<string> {
  const threads = intOption('threads', values.threads, undefined, 1);
  const info = await initBackend({
    backend: (values.backend as BackendName | undefined) ?? 'wasm',
    ...(threads === undefined ? {} : { threads }),
    // the low-memory mode: no packed copy of every weight matrix in the wasm heap
    ...(values['gradient-checkpointing'] === true ? { cachePackedWeights: false } : {}),
  });
  return `backend: ${info.name}${info.threads ? ` (${info.threads} threads)` : ''}`;
}

/** Where the data of a run come from (saved as `example.json` in the run directory). */
export type DataSource =
  | { kind: 'synthetic'; count: number; size: number; seed: number }
  | ({ kind: 'real'; dataset: DatasetName; dataDir: string } & AnnotationOptions);

/**
 * The data source the options name: RSITMD/RSICD when `--data-dir` is given (and not `--synthetic`), else the
 * synthetic benchmark at `size` px.
 */
export function dataSource(values: Record<string, unknown>, size: number, defaultCount = 300): DataSource {
  const seed = intOption('data-seed', values['data-seed'], 0);
  if (values.synthetic === true || values['data-dir'] === undefined)
    return { kind: 'synthetic', count: intOption('images', values.images, defaultCount, 10), size, seed };
  // absolute paths: example.json is read again from elsewhere
  const pick = (k: 'annotations' | 'train' | 'val' | 'test') =>
    typeof values[k] === 'string' ? { [k]: resolve(values[k] as string) } : {};
  return {
    kind: 'real',
    dataset: datasetOption(values.dataset),
    dataDir: resolve(String(values['data-dir'])),
    ...pick('annotations'),
    ...pick('train'),
    ...pick('val'),
    ...pick('test'),
  };
}

/** Load the splits of a data source. */
export async function loadData(source: DataSource, splits: readonly SplitName[]): Promise<ExampleData> {
  if (source.kind === 'synthetic') return syntheticData(source);
  const { kind: _, ...options } = source;
  return realData({ ...options, splits });
}

/** Run a command: print an error as one line and exit 1; exit 0 after (wasm threads keep Node alive). */
export async function main(run: () => Promise<void>): Promise<void> {
  try {
    await run();
    process.exit(0);
  } catch (e) {
    if (e instanceof ExampleError) console.error(`error: ${e.message}`);
    else if (e instanceof PirError)
      console.error(`error: ${e.message}${e.argument ? ` (argument: ${e.argument})` : ''}`);
    else console.error(e);
    process.exit(1);
  }
}
