/**
 * Runs the README's Node-only examples (fenced ` ```ts node `: they use `@pir/models/node` and the file
 * system, which `readme.node.test.ts` — the runner of the plain ` ```ts ` blocks, in both backends — does not
 * bind). Temporary directories the examples make are removed afterwards.
 */

import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as encoders from '@pir/encoders';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import * as models from '../src/index.js';
import * as modelsNode from '../src/node/index.js';

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
const modules = {
  '@pir/models': models,
  '@pir/models/node': modelsNode,
  '@pir/encoders': encoders,
  '@tensorflow/tfjs-core': tf,
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

afterAll(async () => {
  for (const dir of made) await fsp.rm(dir, { recursive: true, force: true });
});

const examples = nodeExamples();

it('the README has a Node-only example of model directories on disk', () => {
  expect(examples.length).toBeGreaterThanOrEqual(1);
  expect(examples.some((e) => e.code.includes("from '@pir/models/node'"))).toBe(true);
});

describeBackends('README Node-only examples', () => {
  for (const ex of examples) {
    it(`the example at line ${ex.line} runs, prints what it says and leaks nothing`, async () => {
      const run = await expectNoLeak(() => runExample(ex.code, modules), `README line ${ex.line}`);
      expect(run.checks.length).toBeGreaterThan(0);
    });
  }
}, ['cpu']);
