/**
 * Runs every TypeScript example of the README against the package source (imports bound to the modules below;
 * `expr; // value` lines are asserted), on cpu and wasm, with a leak check. The ` ```ts no-run ` block reads
 * published checkpoint files, which this repository does not have.
 */
import * as encoders from '@pir/encoders';
import * as weights from '@pir/encoders/weights';
import * as nn from '@pir/nn';
import * as runtime from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import * as models from '../src/index.js';

const modules = {
  '@pir/models': models,
  '@pir/encoders': encoders,
  '@pir/encoders/weights': weights,
  '@pir/nn': nn,
  '@pir/runtime': runtime,
  '@tensorflow/tfjs-core': tf,
};

const examples = markdownExamples(new URL('../README.md', import.meta.url));

it('the README has runnable examples; the no-run one reads checkpoint files', () => {
  expect(examples.filter((e) => !e.skip).length).toBeGreaterThanOrEqual(6);
  for (const e of examples.filter((x) => x.skip))
    expect(e.code, `line ${e.line}`).toMatch(/loadWeightsFile\(/);
});

describeBackends('README examples', () => {
  for (const ex of examples.filter((e) => !e.skip)) {
    it(`the example at line ${ex.line} runs, prints what it says and leaks nothing`, async () => {
      const run = await expectNoLeak(() => runExample(ex.code, modules), `README line ${ex.line}`);
      expect(run.checks.length, 'an example checks at least one value').toBeGreaterThan(0);
    });
  }
});
