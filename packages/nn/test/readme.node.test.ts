/** Runs every TypeScript example of the README against the package source (values in `// …` comments checked). */
import * as runtime from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import * as nn from '../src/index.js';

const examples = markdownExamples(new URL('../README.md', import.meta.url)).filter((e) => !e.skip);

describeBackends('README examples', () => {
  it('there are examples to run', () => expect(examples.length).toBeGreaterThanOrEqual(2));
  for (const ex of examples) {
    it(`the example at line ${ex.line} runs, prints what it says and leaks nothing`, async () => {
      const run = await expectNoLeak(
        () => runExample(ex.code, { '@pir/nn': nn, '@pir/runtime': runtime, '@tensorflow/tfjs-core': tf }),
        `README line ${ex.line}`,
      );
      expect(run.checks.length).toBeGreaterThan(0);
    });
  }
});
