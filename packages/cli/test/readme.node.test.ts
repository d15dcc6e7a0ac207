/**
 * Every ` ```ts ` block of the README runs against the package source (`@pir/test-utils/readme`): each
 * `expr; // value` line is checked. (` ```sh ` and ` ```text ` blocks are shell commands and output: not run.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cli from '@pir/cli';
import { initBackend } from '@pir/runtime';
import { expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import { beforeAll, describe, expect, it } from 'vitest';

const examples = markdownExamples(new URL('../README.md', import.meta.url));

describe('README', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('has the one runnable example this test expects', () => {
    expect(examples.filter((e) => !e.skip)).toHaveLength(1);
  });

  for (const example of examples.filter((e) => !e.skip)) {
    it(`the example at README line ${example.line} runs, returns what its comments say and leaks nothing`, async () => {
      const run = await expectNoLeak(
        () => runExample(example.code, { '@pir/cli': cli, 'node:fs': fs, 'node:os': os, 'node:path': path }),
        'the example',
      );
      // every checked line ran, those in the catch block too
      expect(run.checks).toEqual([
        'DEMO_DEFAULTS.data',
        'result.epochLoss.length',
        "lines.some((line) => line.includes('PIR-ITR: Swin (64-d, 17 tokens, belief keeps 14)'))",
        "result.pirItr.modelDir === join(out, 'pir-itr', 'model')",
        'result.after.t2i.recall[10] >= 0',
        'error instanceof DemoOptionsError',
        '(error as DemoOptionsError).argument',
      ]);
    }, 120_000);
  }
});
