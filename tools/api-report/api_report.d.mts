/** Types of `api_report.mjs` (plain Node ESM, so that it runs without a TypeScript build). */

export interface ApiEntry {
  pkgDir: string;
  pkgName: string;
  /** The `exports` key: `.`, `./layers`, … */
  subpath: string;
  /** The report's base name: `index` for `.`, the subpath with `/` → `_` otherwise. */
  name: string;
  /** Absolute path of the `import.types` `.d.ts`; undefined when the entry has none (see `problem`). */
  dts: string | undefined;
  /** Absolute path of `packages/<pkg>/api/<name>.api.md`. */
  report: string;
  problem?: string;
}

export interface ApiEntryResult {
  /** `@pir/<pkg>` or `@pir/<pkg>/<subpath>`. */
  label: string;
  /** The report's path relative to the root. */
  report: string;
  /** check mode: ok | changed | missing | error; update mode: ok | updated | created | error. */
  status: 'ok' | 'changed' | 'missing' | 'updated' | 'created' | 'error';
  warnings: string[];
  /** Forgotten exports that a sibling entry of the package exports (not warned about). */
  notes: { name: string; elsewhere: string }[];
  errors: string[];
}

export interface ApiReportResult {
  /** False on an error; in check mode also on a changed, missing or stale report. */
  ok: boolean;
  entries: ApiEntryResult[];
  /** Reports (relative paths) that belong to no entry: flagged by check, deleted by update. */
  stale: string[];
  compilerErrors: string[];
  /** check mode: the reports (relative paths) that differ from the build or are missing. */
  changed: string[];
}

export interface ApiReportOptions {
  /** The monorepo root holding `packages/*` (default: this repository). */
  root?: string;
  mode?: 'update' | 'check';
  /** Package folder names to limit the run to. */
  only?: string[];
  log?: (line: string) => void;
  /** Lines of diff shown per changed report in check mode (default 40). */
  maxDiffLines?: number;
  /** Replace some of `compilerOptions()` (tsconfig JSON form: `{ types: [], lib: ['ES2022'] }`). */
  compilerOptionOverrides?: Record<string, unknown>;
}

export const messages: Record<string, unknown>;
export function compilerOptions(root?: string): Record<string, unknown>;
export function entryName(subpath: string): string;
export function findEntries(root: string, only?: string[]): ApiEntry[];
export function runApiReport(options?: ApiReportOptions): ApiReportResult;
