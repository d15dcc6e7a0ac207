/**
 * Every ` ```ts ` block of the README runs against the package source (`@pir/test-utils/readme`), leaking
 * nothing; each `expr; // value` line is checked. wasm is initialised single-threaded first, as every test of
 * this shared process expects: the README's `initBackend({ backend: 'wasm' })` then finds it active and keeps
 * it (it would otherwise start wasm with one thread per core).
 */
import * as runtime from '@pir/runtime';
import { expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

const examples = markdownExamples(new URL('../README.md', import.meta.url));
const modules = { '@pir/runtime': runtime, '@tensorflow/tfjs-core': tf };

describe('README', () => {
  it('has the examples this test expects (all of them run)', () => {
    expect(examples.length).toBe(4);
    expect(examples.filter((e) => e.skip)).toEqual([]);
  });
});

describe('README examples', () => {
  beforeAll(async () => {
    await runtime.initBackend({ backend: 'wasm', threads: 1 });
  });

  for (const example of examples.filter((e) => !e.skip)) {
    it(`the example at README line ${example.line} runs and returns what its comments say`, async () => {
      const run = await expectNoLeak(() => runExample(example.code, modules), 'the example');
      expect(run.checks.length, 'checked lines').toBeGreaterThanOrEqual(2);
    });
  }
});
