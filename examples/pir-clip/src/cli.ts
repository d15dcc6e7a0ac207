/** What the two commands share: option parsing, the backend, the data the options name, errors as one line. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RetrievalReport } from '@pir/metrics';
import { type BackendName, initBackend, PirError } from '@pir/runtime';
import type { RetrievalSummary } from '@pir/train';
import {
  type DatasetName,
  type ExampleData,
  ExampleError,
  realData,
  type SplitName,
  syntheticData,
} from './data.js';

export const DATA_OPTIONS = {
  'image-dir': { type: 'string' },
  dataset: { type: 'string' },
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

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parse `argv` against `spec` (unknown options are errors). */
export function parseOptions<S extends Spec>(
  spec: S,
  argv: readonly string[],
): { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string } {
  try {
    return parseArgs({ options: spec, args: [...argv], strict: true }).values as never;
  } catch (e) {
    throw new ExampleError((e as Error).message);
  }
}

/** An integer option ≥ `min`, or `fallback`. */
export function intOption<F extends number | undefined>(
  name: string,
  value: unknown,
  fallback: F,
  min = 0,
): number | F {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new ExampleError(`--${name} must be an integer ≥ ${min}, got ${String(value)}`);
  return n;
}

/** Start the backend (default wasm, a thread per core); the line to print. */
export async function startBackend(values: { backend?: string; threads?: string }): Promise<string> {
  const threads = intOption('threads', values.threads, undefined, 1);
  const info = await initBackend({
    backend: (values.backend ?? 'wasm') as BackendName,
    ...(threads === undefined ? {} : { threads }),
  });
  return `backend: ${info.name}${info.threads ? ` (${info.threads} threads)` : ''}`;
}

/** The data the options name: RSITMD/RSICD with `--image-dir`, else the synthetic benchmark at `size` px. */
export async function loadData(
  values: Record<string, unknown>,
  splits: readonly SplitName[],
  size: number,
): Promise<ExampleData & { dataset: DatasetName | 'synthetic' }> {
  if (values['image-dir'] === undefined) {
    const count = intOption('images', values.images, 300, 72);
    return {
      ...syntheticData(count, size, intOption('data-seed', values['data-seed'], 0)),
      dataset: 'synthetic',
    };
  }
  const dataset = String(values.dataset ?? 'rsitmd').toLowerCase();
  if (dataset !== 'rsitmd' && dataset !== 'rsicd')
    throw new ExampleError(`--dataset must be rsitmd or rsicd, got ${dataset}`);
  const files: Partial<Record<SplitName, string>> = {};
  for (const s of splits) if (typeof values[s] === 'string') files[s] = resolve(values[s] as string);
  const data = await realData({
    dataset,
    imageDir: resolve(String(values['image-dir'])),
    splits,
    files,
    ...(typeof values.annotations === 'string' ? { annotations: resolve(values.annotations) } : {}),
  });
  return { ...data, dataset };
}

/** PIR_SPEC §7: the strongest published open-domain model (PIR-CLIP's own table was not available). */
export const GEORSCLIP_FT: Record<DatasetName, { i2t: number[]; t2i: number[]; mR: number }> = {
  rsicd: { i2t: [22.14, 40.53, 51.78], t2i: [15.26, 40.46, 57.79], mR: 38.0 },
  rsitmd: { i2t: [30.09, 51.55, 63.27], t2i: [23.54, 57.52, 74.6], mR: 50.1 },
};

/** A row of the results table. */
export interface Row {
  label: string;
  i2t: number[];
  t2i: number[];
  mR: number;
}

/** A row from a trainer summary or a metrics report. */
export function row(label: string, r: RetrievalSummary | RetrievalReport): Row {
  const pick = (x: Record<number, number> | { recall: Record<number, number> }) => {
    const m = ('recall' in x ? x.recall : x) as Record<number, number>;
    return [m[1] ?? Number.NaN, m[5] ?? Number.NaN, m[10] ?? Number.NaN];
  };
  return { label, i2t: pick(r.i2t), t2i: pick(r.t2i), mR: r.mR };
}

/** The published reference row for a dataset (RSITMD's, marked, for the synthetic benchmark). */
export function referenceRow(dataset: DatasetName | 'synthetic'): Row {
  const d = dataset === 'synthetic' ? 'rsitmd' : dataset;
  return { label: `GeoRSCLIP-FT (published, ${d.toUpperCase()})`, ...GEORSCLIP_FT[d] };
}

/** The rows as a fixed-width table: I2T and T2I R@1/5/10, mR. */
export function formatTable(rows: readonly Row[]): string {
  const w = Math.max(30, ...rows.map((r) => r.label.length)) + 1;
  const n = (x: number | undefined) =>
    (x !== undefined && Number.isFinite(x) ? x.toFixed(2) : '—').padStart(6);
  return [
    `${''.padEnd(w)} I2T R@1    R@5   R@10 | T2I R@1    R@5   R@10 |     mR`,
    ...rows.map(
      (r) =>
        `${r.label.padEnd(w)} ${n(r.i2t[0]).padStart(7)} ${n(r.i2t[1])} ${n(r.i2t[2])} | ${n(r.t2i[0]).padStart(7)} ${n(r.t2i[1])} ${n(r.t2i[2])} | ${n(r.mR)}`,
    ),
  ].join('\n');
}

/** Run a command: an error as one line and exit 1; exit 0 after (wasm threads keep Node alive). */
export async function main(run: () => Promise<void>): Promise<void> {
  try {
    await run();
    process.exit(0);
  } catch (e) {
    if (e instanceof ExampleError || e instanceof PirError) console.error(`error: ${e.message}`);
    else console.error(e);
    process.exit(1);
  }
}
