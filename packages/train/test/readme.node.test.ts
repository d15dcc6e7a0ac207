/**
 * Runs every TypeScript example of the README against the package source (imports bound to the modules below;
 * `expr; // value` lines are asserted), on cpu and wasm, with a leak check.
 */
import * as datasets from '@pir/datasets';
import * as models from '@pir/models';
import * as nn from '@pir/nn';
import * as runtime from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import * as gradCache from '../src/grad_cache/index.js';
import * as train from '../src/index.js';
import * as optim from '../src/optim/index.js';
import * as trainer from '../src/trainer/index.js';

const modules = {
  '@pir/train': train,
  '@pir/train/optim': optim,
  '@pir/train/grad_cache': gradCache,
  '@pir/train/trainer': trainer,
  '@pir/datasets': datasets,
  '@pir/models': models,
  '@pir/nn': nn,
  '@pir/runtime': runtime,
  '@tensorflow/tfjs-core': tf,
};

const examples = markdownExamples(new URL('../README.md', import.meta.url));

it('the README has runnable examples and no skipped one', () => {
  expect(examples.filter((e) => !e.skip).length).toBeGreaterThanOrEqual(6);
  expect(examples.filter((e) => e.skip)).toEqual([]);
});

describeBackends('README examples', () => {
  for (const ex of examples.filter((e) => !e.skip)) {
    it(`the example at line ${ex.line} runs, prints what it says and leaks nothing`, async () => {
      await runExample(ex.code, modules); // warm-up: the encoders build lazy constants on their first call
      const run = await expectNoLeak(() => runExample(ex.code, modules), `README line ${ex.line}`);
      expect(run.checks.length, 'an example checks at least one value').toBeGreaterThan(0);
    });
  }
});
