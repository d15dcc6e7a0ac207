/**
 * Node-only: run the TypeScript examples of a README (or of any Markdown file) as tests.
 *
 * - Every fenced block opened with ` ```ts ` is an example; a block opened with ` ```ts no-run ` is skipped
 *   (use it for code that needs files or a network the tests cannot have, and say so in the text).
 * - `import … from 'x'` lines are bound to the modules the test passes (so the example runs against the
 *   package's source, as the rest of the tests do); importing anything else fails the test.
 * - A statement line `expr; // value` (or `const x = expr; // value`) where `value` is a JS literal
 *   (number, string, array, object, `true`/`false`/`null`) that evaluates on its own is **checked**: `expr`
 *   must deep-equal `value`. (`// [B, N, D]` names variables, so it stays a comment.)
 *   `// ≈ value` checks numbers within 1e-3 (absolute + relative). Any other comment is just a comment.
 * - `console.log` output is collected and returned.
 *
 * Types are stripped with esbuild (already a dependency of tsup and vite).
 */
import { readFileSync } from 'node:fs';
import { transform } from 'esbuild';
import { expect } from 'vitest';

/** One fenced ` ```ts ` block of a Markdown file. */
export interface MarkdownExample {
  /** Source of the block. */
  code: string;
  /** 1-based line of the opening fence (for messages). */
  line: number;
  /** `true` when the fence says ` ```ts no-run `. */
  skip: boolean;
}

/** The ` ```ts ` blocks of a Markdown file, in order. */
export function markdownExamples(file: string | URL): MarkdownExample[] {
  const text = readFileSync(file, 'utf8');
  const out: MarkdownExample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)(\s+no-run)?\s*$/.exec(lines[i] as string);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] as string); i++) body.push(lines[i] as string);
    out.push({ code: body.join('\n'), line: start + 1, skip: open[2] !== undefined });
  }
  return out;
}

/** What {@link runExample} saw. */
export interface ExampleRun {
  /** The checked lines (`expr` texts), in order. */
  checks: string[];
  /** Everything passed to `console.log` / `console.info`, one string per call. */
  logs: string[];
}

const LITERAL = /^(-?[\d.]+(e-?\d+)?|\[.*\]|\{.*\}|'.*'|".*"|true|false|null)$/;

/**
 * Whether a comment is a value to check: it looks like a literal and evaluates on its own (so a shape comment
 * such as `[B, N, D]` or `[2, D=2]`, which names variables, is just a comment).
 */
function isLiteral(text: string): boolean {
  if (!LITERAL.test(text)) return false;
  try {
    new Function(`"use strict"; return (${text});`)();
    return true;
  } catch {
    return false;
  }
}

/** Rewrite `expr; // literal` lines into checks; returns the new source. */
function instrument(code: string): string {
  return code
    .split('\n')
    .map((line) => {
      const m =
        /^(\s*)(?:(const|let)\s+([A-Za-z_$][\w$]*)(\s*:\s*[^=]+?)?\s*=\s*)?(.+?);\s*\/\/\s*(≈\s*)?(.+?)\s*$/.exec(
          line,
        );
      if (m === null) return line;
      const [, indent, decl, name, type, expr, approx, literal] = m as unknown as string[];
      if (
        !isLiteral(literal as string) ||
        /^(\/\/|const |let |var |return |import |export )/.test(expr as string)
      )
        return line;
      const text = JSON.stringify(decl === undefined ? expr : `${name}`);
      const check = `__check(${text}, ${decl === undefined ? expr : name}, (${literal}), ${approx !== undefined});`;
      return decl === undefined
        ? `${indent}${check}`
        : `${indent}${decl} ${name}${type ?? ''} = ${expr}; ${check}`;
    })
    .join('\n');
}

function approxEqual(actual: unknown, expected: unknown, what: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, what).toBe('number');
    const a = actual as number;
    expect(Math.abs(a - expected) <= 1e-3 + 1e-3 * Math.abs(expected), `${what}: ${a} ≈ ${expected}`).toBe(
      true,
    );
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), what).toBe(true);
    expect((actual as unknown[]).length, what).toBe(expected.length);
    for (const [i, e] of expected.entries()) approxEqual((actual as unknown[])[i], e, `${what}[${i}]`);
  } else expect(actual, what).toEqual(expected);
}

/** Replace static imports by bindings from `__modules`; throws on a module the test did not provide. */
function bindImports(js: string, modules: Record<string, unknown>): string {
  // side-effect imports (`import '@pir/runtime';`): the test has loaded the module already
  const bare = js.replace(/^import\s+(['"])([^'"]+)\1;?$/gm, (_all, _q, spec: string) => {
    if (!(spec in modules)) throw new Error(`the example imports '${spec}', which the test did not provide`);
    return '';
  });
  return bare.replace(
    /^import\s+(?:(\*\s+as\s+[\w$]+)|([\w$]+)|\{([^}]*)\})\s+from\s+(['"])([^'"]+)\4;?$/gm,
    (
      _all,
      star: string | undefined,
      def: string | undefined,
      named: string | undefined,
      _q,
      spec: string,
    ) => {
      if (!(spec in modules))
        throw new Error(`the example imports '${spec}', which the test did not provide`);
      const m = `__modules[${JSON.stringify(spec)}]`;
      if (star !== undefined) return `const ${star.replace(/\*\s+as\s+/, '')} = ${m};`;
      if (def !== undefined) return `const ${def} = ${m}.default ?? ${m};`;
      const names = (named as string)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '' && !s.startsWith('type '))
        .map((s) => s.replace(/\s+as\s+/, ': '));
      return `const { ${names.join(', ')} } = ${m};`;
    },
  );
}

/**
 * Run one example with its imports bound to `modules`; every checked line is asserted with vitest's
 * `expect`. Resolves once the example's top-level `await`s have.
 *
 * @example
 * ```ts no-run
 * for (const ex of markdownExamples(new URL('../README.md', import.meta.url)).filter((e) => !e.skip))
 *   it(`README example at line ${ex.line}`, () => runExample(ex.code, { '@pir/metrics': metrics }));
 * ```
 */
export async function runExample(code: string, modules: Record<string, unknown>): Promise<ExampleRun> {
  const { code: js } = await transform(instrument(code), { loader: 'ts', format: 'esm', target: 'es2022' });
  const body = bindImports(js, modules);
  const checks: string[] = [];
  const logs: string[] = [];
  const log = (...args: unknown[]) => {
    logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  const consoleProxy = { ...console, log, info: log };
  const check = (what: string, actual: unknown, expected: unknown, approx: boolean) => {
    checks.push(what);
    if (approx) approxEqual(actual, expected, what);
    else expect(actual, what).toEqual(expected);
  };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('__modules', '__check', 'console', body)(modules, check, consoleProxy);
  return { checks, logs };
}
