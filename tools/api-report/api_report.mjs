#!/usr/bin/env node
/**
 * API report: the public TypeScript surface of every publishable `@pir/*` package, one Markdown file per
 * `exports` entry, written by Microsoft's api-extractor from the built `.d.ts` files and checked in CI.
 *
 *   node tools/api-report/api_report.mjs [--update]   write packages/<pkg>/api/<entry>.api.md (npm run api:update)
 *   node tools/api-report/api_report.mjs --check      fail when a report differs from the build (npm run api:check)
 *   … [package…]                                      only these packages (folder names: `losses`, `datasets`)
 *
 * Needs `npm run build` first (it reads `dist/*.d.ts` through the `import.types` condition of each entry).
 * Entry names: `.` → `index`, `./a/b` → `a_b`. See `README.md` beside this file for what fails the check.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompilerState,
  ConsoleMessageId,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  ExtractorMessageCategory,
} from '@microsoft/api-extractor';
import ts from 'typescript';

const toolRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * What api-extractor may say, and what we do with it (see README.md). Only real problems with the published
 * types fail: a TypeScript error in a `.d.ts` (e.g. an import that does not resolve), an entry that is not a
 * `.d.ts`, an `import()` type that does not resolve. A forgotten export (a type reachable from an entry's
 * surface that the entry does not export) is printed as a warning and does not fail: our deprecated aliases
 * and the subpaths that use types exported by the top level trigger it by design. It is not written into the
 * report either, because there it carries a `.d.ts` line number that moves with every doc edit. TSDoc style
 * and release tags (`tsdoc-*`, `ae-missing-release-tag`, unresolved `{@link}`, …) are ignored: our JSDoc is
 * not TSDoc and we use no release tags.
 */
export const messages = {
  compilerMessageReporting: { default: { logLevel: 'error' } },
  extractorMessageReporting: {
    default: { logLevel: 'none' },
    'ae-forgotten-export': { logLevel: 'warning', addToApiReportFile: false },
    'ae-wrong-input-file-type': { logLevel: 'error' },
    'ae-unresolved-import-path': { logLevel: 'error' },
  },
  tsdocMessageReporting: { default: { logLevel: 'none' } },
};

/** The compiler options the `.d.ts` files are read with (no `@pir/source` condition: `dist`, not `src`). */
export function compilerOptions(root = toolRoot) {
  return {
    target: 'ES2022',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    module: 'ESNext',
    moduleResolution: 'Bundler',
    resolveJsonModule: true,
    strict: true,
    exactOptionalPropertyTypes: true,
    esModuleInterop: true,
    skipLibCheck: true, // for api-extractor's program; typeErrors() checks our .d.ts without it
    noEmit: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
  };
}

/** `.` → `index`, `./layers` → `layers`, `./a/b` → `a_b`. */
export function entryName(subpath) {
  if (subpath === '.') return 'index';
  return subpath.replace(/^\.\//, '').replaceAll('/', '_');
}

function importTypes(target) {
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  if (target === null || typeof target !== 'object') return undefined;
  const imp = target.import;
  if (typeof imp === 'string') return undefined;
  if (imp && typeof imp === 'object' && typeof imp.types === 'string') return imp.types;
  return typeof target.types === 'string' ? target.types : undefined;
}

/**
 * Every publishable package under `<root>/packages` (no `"private": true`) and every entry of its `exports`
 * map except `./package.json`: `{ pkgDir, pkgName, subpath, name, dts, report }` (absolute paths), or
 * `problem` when the entry has no `import.types`.
 */
export function findEntries(root, only) {
  const packagesDir = join(root, 'packages');
  const entries = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    if (only && !only.includes(dir)) continue;
    const pkgDir = join(packagesDir, dir);
    const pkgJsonPath = join(pkgDir, 'package.json');
    if (!existsSync(pkgJsonPath)) continue;
    const pkg = JSON.parse(readFileSync(pkgJsonPath, 'utf8'));
    if (pkg.private === true) continue;
    const exportsMap =
      typeof pkg.exports === 'object' && pkg.exports !== null && !Array.isArray(pkg.exports)
        ? Object.keys(pkg.exports).some((k) => k.startsWith('.'))
          ? pkg.exports
          : { '.': pkg.exports }
        : { '.': pkg.exports ?? { import: { types: pkg.types ?? pkg.typings } } };
    for (const [subpath, target] of Object.entries(exportsMap)) {
      if (subpath === './package.json') continue;
      const name = entryName(subpath);
      const types = importTypes(target);
      entries.push({
        pkgDir,
        pkgName: pkg.name,
        subpath,
        name,
        dts: types ? resolve(pkgDir, types) : undefined,
        report: join(pkgDir, 'api', `${name}.api.md`),
        ...(types ? {} : { problem: `exports["${subpath}"] has no "import": { "types": … } condition` }),
      });
    }
  }
  return entries;
}

/** Report files under `packages/<pkg>/api/` that belong to no current entry (a removed subpath or package). */
function staleReports(root, entries, only) {
  const wanted = new Set(entries.map((e) => e.report));
  const stale = [];
  const packagesDir = join(root, 'packages');
  for (const dir of readdirSync(packagesDir)) {
    if (only && !only.includes(dir)) continue;
    const apiDir = join(packagesDir, dir, 'api');
    if (!existsSync(apiDir)) continue;
    for (const f of readdirSync(apiDir)) {
      if (f.endsWith('.api.md') && !wanted.has(join(apiDir, f))) stale.push(join(apiDir, f));
    }
  }
  return stale.sort();
}

/**
 * TypeScript errors in our built `.d.ts` files (and global ones), as `file:line:col - (TSnnnn) text`.
 * api-extractor's own program runs with `skipLibCheck` (with it off, api-extractor type-checks tfjs,
 * `@types/node` and lib.dom on every call and reports their errors: tfjs-layers under
 * `exactOptionalPropertyTypes`, `@webgpu/types` against lib.dom); since all its inputs are `.d.ts`, it then
 * checks nothing of ours. So a second program, without `skipLibCheck`, checks only `packages/<pkg>/dist`.
 */
function typeErrors(files, root, tsOptions) {
  const { options, errors } = ts.convertCompilerOptionsFromJson({ ...tsOptions, skipLibCheck: false }, root);
  const program = ts.createProgram({ rootNames: files, options });
  const rootSlash = root.replaceAll('\\', '/');
  const ours = program
    .getSourceFiles()
    .filter((f) => f.fileName.startsWith(`${rootSlash}/packages/`) && f.fileName.includes('/dist/'));
  const diagnostics = [
    ...errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ours.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ];
  return diagnostics
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => {
      let where = '';
      if (d.file && d.start !== undefined) {
        const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
        where = `${relative(root, d.file.fileName)}:${line + 1}:${character + 1} - `;
      }
      return `${where}(TS${d.code}) ${ts.flattenDiagnosticMessageText(d.messageText, '\n  ')}`;
    });
}

function entryLabel(e) {
  return e.subpath === '.' ? e.pkgName : `${e.pkgName}/${e.subpath.replace(/^\.\//, '')}`;
}

/**
 * Run api-extractor on every entry. `mode`: `'update'` writes the reports, `'check'` only compares.
 * `only`: package folder names (`['losses']`) to limit the run to; `compilerOptionOverrides` replace some of
 * `compilerOptions()` (the test drops `@types/node` and lib.dom to stay fast). `log` receives one line per entry (and the warnings, errors and a short diff per changed report).
 * Returns `{ ok, entries: [{ label, report, status, warnings, errors }], stale, compilerErrors, changed }`;
 * `ok` is false on an error, and in check mode also on a changed, missing or stale report.
 */
export function runApiReport({
  root = toolRoot,
  mode = 'update',
  only,
  log = console.log,
  maxDiffLines = 40,
  compilerOptionOverrides = {},
} = {}) {
  if (mode !== 'update' && mode !== 'check') throw new Error(`api_report: mode must be 'update' or 'check'`);
  const check = mode === 'check';
  root = realpathSync(root); // TypeScript names files by their real path
  const rel = (p) => relative(root, p);
  const entries = findEntries(root, only);
  const tempRoot = mkdtempSync(join(tmpdir(), 'pir-api-report-'));
  const results = [];
  const compilerErrors = new Set();
  let ok = true;

  try {
    const missing = entries.filter((e) => e.dts && !existsSync(e.dts));
    if (missing.length > 0) {
      for (const e of missing) log(`  error    ${entryLabel(e)}: ${rel(e.dts)} does not exist`);
      log('api_report: built .d.ts files are missing; run `npm run build` first.');
      return {
        ok: false,
        entries: missing.map((e) => ({
          label: entryLabel(e),
          report: rel(e.report),
          status: 'error',
          warnings: [],
          errors: [`${rel(e.dts)} does not exist (run \`npm run build\` first)`],
        })),
        stale: [],
        compilerErrors: [],
        changed: [],
      };
    }

    const runnable = entries.filter((e) => e.dts);
    // One TypeScript program for all entries: api-extractor would otherwise parse tfjs's types once per entry.
    const tsOptions = { ...compilerOptions(toolRoot), ...compilerOptionOverrides };
    const overrideTsconfig = {
      compilerOptions: tsOptions,
      files: runnable.map((e) => e.dts),
    };
    let compilerState;
    // Names each entry exports (from the same program), to tell a forgotten export that a sibling entry of the
    // package exports (a deprecated alias, a type shared with the top level) from one that nothing exports.
    const exportNames = new Map();
    const namesOf = (dts) => {
      if (!exportNames.has(dts)) {
        const checker = compilerState.program.getTypeChecker();
        const sourceFile = compilerState.program.getSourceFile(dts);
        const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
        const names = moduleSymbol ? checker.getExportsOfModule(moduleSymbol).map((x) => x.name) : [];
        exportNames.set(dts, new Set(names));
      }
      return exportNames.get(dts);
    };
    const exportedBySibling = (e, name) => {
      const sibling = runnable.find((o) => o.pkgDir === e.pkgDir && o !== e && namesOf(o.dts).has(name));
      return sibling && entryLabel(sibling);
    };

    for (const e of entries) {
      const label = entryLabel(e);
      const result = { label, report: rel(e.report), status: 'ok', warnings: [], notes: [], errors: [] };
      results.push(result);
      if (e.problem) {
        result.status = 'error';
        result.errors.push(e.problem);
        ok = false;
        log(`  error    ${label}: ${e.problem}`);
        continue;
      }
      const tempFolder = join(tempRoot, basename(e.pkgDir));
      if (!check) mkdirSync(dirname(e.report), { recursive: true });
      const diffs = [];
      const existed = existsSync(e.report);
      try {
        const config = ExtractorConfig.prepare({
          configObject: {
            projectFolder: e.pkgDir,
            mainEntryPointFilePath: e.dts,
            compiler: { overrideTsconfig },
            apiReport: {
              enabled: true,
              reportFileName: e.name,
              reportFolder: dirname(e.report),
              reportTempFolder: tempFolder,
            },
            docModel: { enabled: false },
            dtsRollup: { enabled: false },
            tsdocMetadata: { enabled: false },
            newlineKind: 'lf',
            messages,
          },
          packageJsonFullPath: join(e.pkgDir, 'package.json'),
        });
        compilerState ??= CompilerState.create(config);
        const res = Extractor.invoke(config, {
          localBuild: !check,
          compilerState,
          printApiReportDiff: check,
          messageCallback(m) {
            m.handled = true;
            if (m.category === ExtractorMessageCategory.Console) {
              if (m.messageId === ConsoleMessageId.ApiReportDiff) diffs.push(m.text);
              m.logLevel = ExtractorLogLevel.None; // progress and "report changed" notes: we say it ourselves
              return;
            }
            if (m.category === ExtractorMessageCategory.Compiler) {
              // None expected (skipLibCheck, see typeErrors); report each once all the same.
              compilerErrors.add(m.formatMessageWithLocation(root));
              m.logLevel = ExtractorLogLevel.None;
              return;
            }
            const text = m.formatMessageWithLocation(root);
            if (m.logLevel === ExtractorLogLevel.Error) result.errors.push(text);
            else if (m.logLevel === ExtractorLogLevel.Warning) {
              const forgotten = m.messageId === 'ae-forgotten-export' && /The symbol "([^"]+)"/.exec(m.text);
              const elsewhere = forgotten && exportedBySibling(e, forgotten[1].replace(/_\d+$/, ''));
              if (elsewhere) result.notes.push({ name: forgotten[1], elsewhere });
              else result.warnings.push(text);
            }
          },
        });
        if (res.apiReportChanged) {
          if (check) result.status = existed ? 'changed' : 'missing';
          else result.status = existed ? 'updated' : 'created';
        }
      } catch (err) {
        result.errors.push(String(err?.message ?? err).split('\n')[0]);
      }
      if (result.errors.length > 0) {
        result.status = 'error';
        ok = false;
      }
      if (check && (result.status === 'changed' || result.status === 'missing')) ok = false;
      log(`  ${result.status.padEnd(8)} ${label.padEnd(28)} ${result.report}`);
      for (const w of result.warnings) log(`    warning ${w}`);
      if (result.notes.length > 0) {
        const where = [...new Set(result.notes.map((n) => n.elsewhere.slice(e.pkgName.length) || '.'))];
        log(
          `    note    ${result.notes.length} more forgotten export(s), exported by other entries of` +
            ` ${e.pkgName} (${where.join(' ')}): deprecated aliases or shared types, fine`,
        );
      }
      for (const x of result.errors) log(`    error   ${x}`);
      if (check && result.status === 'changed') {
        const lines = diffs
          .join('\n')
          .split('\n')
          .filter((l) => !/^(Changes to the API report:|=+|)$/.test(l))
          .map((l) => (l.startsWith('+++ ') ? `+++ ${e.name}.api.md from the current build` : l));
        const shown = lines.slice(0, maxDiffLines).map((l) => `    | ${l}`);
        log(
          shown.join('\n') +
            (lines.length > maxDiffLines ? `\n    | … ${lines.length - maxDiffLines} more lines` : ''),
        );
      }
    }

    for (const t of typeErrors(
      runnable.map((e) => e.dts),
      root,
      tsOptions,
    ))
      compilerErrors.add(t);
    if (compilerErrors.size > 0) {
      ok = false;
      log('  TypeScript errors in the built .d.ts files:');
      for (const c of compilerErrors) log(`    error   ${c}`);
    }

    const stale = staleReports(root, entries, only).map(rel);
    for (const s of stale) {
      if (check) {
        ok = false;
        log(`  stale    ${s} (no such entry in a publishable package's exports)`);
      } else {
        rmSync(join(root, s));
        log(`  removed  ${s} (no such entry in a publishable package's exports)`);
      }
    }

    const changed = results
      .filter((r) => r.status === 'changed' || r.status === 'missing')
      .map((r) => r.report);
    if (check && (changed.length > 0 || stale.length > 0)) {
      log('');
      log('api_report: the public API differs from the checked-in reports:');
      for (const c of [...changed, ...stale]) log(`  ${c}`);
      log('If the change is deliberate, run `npm run build && npm run api:update` and commit the diff of');
      log('packages/*/api/ with your change (a deprecation or removal also needs a changeset).');
    }
    return { ok, entries: results, stale, compilerErrors: [...compilerErrors], changed };
  } finally {
    rmSync(tempRoot, { recursive: true, force: true });
  }
}

function main(argv) {
  const args = argv.slice(2);
  const flags = args.filter((a) => a.startsWith('-'));
  const only = args.filter((a) => !a.startsWith('-')).map((a) => a.replace(/^@pir\//, ''));
  const unknown = flags.filter((a) => a !== '--check' && a !== '--update');
  if (unknown.length > 0 || (flags.includes('--check') && flags.includes('--update'))) {
    console.error('usage: node tools/api-report/api_report.mjs [--update | --check] [package…]');
    return 2;
  }
  const mode = flags.includes('--check') ? 'check' : 'update';
  const t0 = performance.now();
  console.log(`api_report (${mode}): api-extractor ${Extractor.version}`);
  const res = runApiReport({ mode, ...(only.length > 0 ? { only } : {}) });
  const n = res.entries.length;
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (res.ok)
    console.log(`api_report: ${n} entries ${mode === 'check' ? 'up to date' : 'written'} in ${secs} s`);
  else console.log(`api_report: FAILED (${secs} s)`);
  return res.ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv);
}
