/**
 * Every ` ```ts ` block of the README runs against the package source (`@pir/test-utils/readme`), on cpu and
 * wasm, leaking nothing; each `expr; // value` line is checked.
 */
import * as runtime from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import * as belief from '../src/index.js';

const examples = markdownExamples(new URL('../README.md', import.meta.url));
const modules = {
  '@pir/belief': belief,
  '@pir/runtime': runtime,
  '@tensorflow/tfjs-core': tf,
  '@tensorflow/tfjs-layers': tfl,
};

describe('README', () => {
  it('has the examples this test expects (all of them run)', () => {
    expect(examples.length).toBe(5);
    expect(examples.filter((e) => e.skip)).toEqual([]);
  });
});

describeBackends('README examples', () => {
  for (const example of examples.filter((e) => !e.skip)) {
    it(`the example at README line ${example.line} runs and returns what its comments say`, async () => {
      const run = await expectNoLeak(() => runExample(example.code, modules), 'the example');
      expect(run.checks.length, 'checked lines').toBeGreaterThanOrEqual(3);
    });
  }
});
