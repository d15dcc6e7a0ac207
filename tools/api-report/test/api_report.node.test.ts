/**
 * The API report tool on a tiny fixture repository in a temp dir: `packages/fixture` (entries `.` and
 * `./extra/deep`), a private package that is skipped; update writes the reports, check passes, a changed
 * `.d.ts` makes check fail and name the report, a type error in a `.d.ts` fails, a missing `.d.ts` asks for
 * `npm run build`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryName, findEntries, runApiReport } from '../api_report.mjs';

const entry = (name: string) => ({
  import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
  require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
});

// Written like tsup's .d.ts output: local declarations, one export list (so `Hidden` is not exported).
const indexDts = `/** Options of {@link scale}. */
interface ScaleOptions {
  /** Multiplier (default 2). */
  factor?: number;
}
/** Multiply. */
declare function scale(x: number, options?: ScaleOptions): number;
interface Hidden {
  a: number;
}
/** Uses a type the entry does not export. */
declare function hidden(): Hidden;
export { type ScaleOptions, hidden, scale };
`;

let root: string;
const lines: string[] = [];
const log = (l: string) => lines.push(l);
// Without @types/node and lib.dom each run parses a few hundred kB instead of a few MB.
const compilerOptionOverrides = { types: [], lib: ['ES2022'] };
const run = (mode: 'update' | 'check', logTo: (l: string) => void = log) =>
  runApiReport({ root, mode, log: logTo, compilerOptionOverrides });
const write = (path: string, text: string) => {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'api-report-test-'));
  write(
    'packages/fixture/package.json',
    JSON.stringify({
      name: '@pir/fixture',
      version: '0.0.0',
      type: 'module',
      exports: { '.': entry('index'), './extra/deep': entry('deep'), './package.json': './package.json' },
    }),
  );
  write('packages/fixture/dist/index.d.ts', indexDts);
  write('packages/fixture/dist/deep.d.ts', 'export declare const DEEP: 3;\n');
  write('packages/internal/package.json', JSON.stringify({ name: '@pir/internal', private: true }));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('api_report', () => {
  it('names entries: . → index, ./a/b → a_b; skips private packages and ./package.json', () => {
    expect(entryName('.')).toBe('index');
    expect(entryName('./extra/deep')).toBe('extra_deep');
    const entries = findEntries(root);
    expect(entries.map((e) => `${e.pkgName} ${e.subpath} ${e.name}`)).toEqual([
      '@pir/fixture . index',
      '@pir/fixture ./extra/deep extra_deep',
    ]);
  });

  it('update writes the reports; check then passes', () => {
    const up = run('update');
    expect(up.ok).toBe(true);
    expect(up.entries.map((e) => e.status)).toEqual(['created', 'created']);
    const report = readFileSync(join(root, 'packages/fixture/api/index.api.md'), 'utf8');
    expect(report).toContain('export function scale(x: number, options?: ScaleOptions): number;');
    expect(readFileSync(join(root, 'packages/fixture/api/extra_deep.api.md'), 'utf8')).toContain('DEEP: 3');
    // A forgotten export is a warning, not a failure.
    expect(up.entries[0]!.warnings.join('\n')).toMatch(/ae-forgotten-export.*"Hidden"/);

    const check = run('check');
    expect(check.ok).toBe(true);
    expect(check.entries.map((e) => e.status)).toEqual(['ok', 'ok']);
  });

  it('check fails on a changed surface, names the report and shows the diff', () => {
    write(
      'packages/fixture/dist/index.d.ts',
      indexDts.replace('factor?: number;', 'factor?: number;\n  bias?: number;'),
    );
    const out: string[] = [];
    const check = run('check', (l) => out.push(l));
    expect(check.ok).toBe(false);
    expect(check.changed).toEqual(['packages/fixture/api/index.api.md']);
    expect(check.entries.map((e) => e.status)).toEqual(['changed', 'ok']);
    const text = out.join('\n');
    expect(text).toContain('+    bias?: number;');
    expect(text).toContain('npm run api:update');
    // Check mode leaves the checked-in report alone.
    expect(readFileSync(join(root, 'packages/fixture/api/index.api.md'), 'utf8')).not.toContain('bias');
  });

  it('a TypeScript error in a built .d.ts fails (an import that does not resolve)', () => {
    write(
      'packages/fixture/dist/deep.d.ts',
      "import type { Gone } from 'no-such-package';\nexport declare const DEEP: Gone;\n",
    );
    const check = run('check');
    expect(check.ok).toBe(false);
    expect(check.compilerErrors.join('\n')).toMatch(
      /packages\/fixture\/dist\/deep\.d\.ts:1:\d+ - \(TS2307\)/,
    );
    write('packages/fixture/dist/deep.d.ts', 'export declare const DEEP: 3;\n');
  });

  it('update removes a stale report; a missing .d.ts asks for a build', () => {
    write('packages/fixture/api/gone.api.md', 'old\n');
    const up = run('update');
    expect(up.ok).toBe(true);
    expect(up.stale).toEqual(['packages/fixture/api/gone.api.md']);
    expect(up.entries.map((e) => e.status)).toEqual(['updated', 'ok']);

    rmSync(join(root, 'packages/fixture/dist/deep.d.ts'));
    const out: string[] = [];
    const check = run('check', (l) => out.push(l));
    expect(check.ok).toBe(false);
    expect(out.join('\n')).toContain('npm run build');
  });
});
