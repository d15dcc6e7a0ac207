/**
 * Runs the README's Node-only examples (fenced ` ```ts node `: they use `@pir/train/node` and the file system,
 * which `readme.node.test.ts` does not bind), on wasm, with a leak check. Temporary directories the examples
 * make are removed afterwards.
 */
import { readFileSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as datasets from '@pir/datasets';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { runExample } from '@pir/test-utils/readme';
import { afterAll, expect, it } from 'vitest';
import * as train from '../src/index.js';
import * as trainNode from '../src/node/index.js';

/** The ` ```ts node ` blocks of the README, with their line. */
function nodeExamples(): { code: string; line: number }[] {
  const lines = readFileSync(new URL('../README.md', import.meta.url), 'utf8').split('\n');
  const out: { code: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts node\s*$/.test(lines[i] as string)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] as string); i++) body.push(lines[i] as string);
    out.push({ code: body.join('\n'), line: start + 1 });
  }
  return out;
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const modules = {
  '@pir/train': train,
  '@pir/train/node': trainNode,
  '@pir/datasets': datasets,
  'node:fs/promises': {
    ...fsp,
    mkdtemp: async (prefix: string) => {
      const dir = await fsp.mkdtemp(prefix);
      made.push(dir);
      return dir;
    },
  },
  'node:os': os,
  'node:path': path,
};

const examples = nodeExamples();

it('the README has Node examples', () => {
  expect(examples.length).toBeGreaterThanOrEqual(1);
});

describeBackends('README Node examples', () => {
  for (const ex of examples) {
    it(`the example at line ${ex.line} runs, shows what it says and leaks nothing`, async () => {
      const run = await expectNoLeak(() => runExample(ex.code, modules), `README line ${ex.line}`);
      expect(run.checks.length).toBeGreaterThan(0);
    });
  }
}, ['wasm']);
