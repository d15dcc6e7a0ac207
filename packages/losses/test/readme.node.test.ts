/**
 * Every ` ```ts ` block of the README runs against the package source (`@pir/test-utils/readme`), on cpu and
 * wasm, leaking nothing; each `expr; // value` line is checked. This replaces the hand-written copy of the
 * README example and of the JSDoc values (`examples.test.ts`): the README now holds those values.
 */
import * as runtime from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import * as losses from '../src/index.js';

const examples = markdownExamples(new URL('../README.md', import.meta.url));
const modules = { '@pir/losses': losses, '@pir/runtime': runtime, '@tensorflow/tfjs-core': tf };

describe('README', () => {
  it('has the examples this test expects (all of them run)', () => {
    expect(examples.length).toBe(3);
    expect(examples.filter((e) => e.skip)).toEqual([]);
  });
});

describeBackends('README examples', () => {
  for (const example of examples.filter((e) => !e.skip)) {
    it(`the example at README line ${example.line} runs and returns what its comments say`, async () => {
      const run = await expectNoLeak(() => runExample(example.code, modules), 'the example');
      expect(run.checks.length, 'checked lines').toBeGreaterThanOrEqual(2);
      if (example.code.includes('optimizer.minimize')) {
        // the training step: both parts logged, and the step moved τ1
        expect(run.checks).toEqual(['logged', 'Number(tau1.variable.dataSync()[0]!.toFixed(4))']);
      }
    });
  }
});
