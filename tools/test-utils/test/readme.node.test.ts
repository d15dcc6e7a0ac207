import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownExamples, runExample } from '../src/readme.js';

const md = [
  '# t',
  '```ts',
  "import { add, type N } from 'm';",
  'const x: N = add(1, 2); // 3',
  'add(0.1, 0.2); // ≈ 0.3',
  "console.log('hi', [1]);",
  '```',
  '```ts no-run',
  'fetch("https://example.com");',
  '```',
].join('\n');

describe('README example runner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'readme-'));
  const file = join(dir, 'README.md');
  writeFileSync(file, md);
  const mod = { add: (a: number, b: number) => a + b };

  it('finds the ts blocks and the no-run ones', () => {
    const ex = markdownExamples(file);
    expect(ex.map((e) => [e.line, e.skip])).toEqual([
      [2, false],
      [8, true],
    ]);
  });

  it('binds imports, checks `// value` lines, collects console.log', async () => {
    const [ex] = markdownExamples(file);
    const run = await runExample(ex?.code ?? '', { m: mod });
    expect(run.checks).toEqual(['x', 'add(0.1, 0.2)']);
    expect(run.logs).toEqual(['hi [1]']);
  });

  it('fails when a checked value is wrong, or an import is not provided', async () => {
    await expect(runExample('1 + 1; // 3', {})).rejects.toThrow();
    await expect(runExample("import { a } from 'x';\na;", {})).rejects.toThrow(/imports 'x'/);
    await expect(runExample("import 'y';", {})).rejects.toThrow(/imports 'y'/);
  });

  it('keeps shape comments as comments and drops side-effect imports of provided modules', async () => {
    const run = await runExample(
      "import 'm';\nconst B = 2;\nconst x = [B, 3]; // [B, N]\nconst y = [1]; // [2, D=2]\nx.length; // 2",
      { m: {} },
    );
    expect(run.checks).toEqual(['x.length']);
  });
});
