/**
 * Runs every TypeScript example of the README against the package source (imports bound to the modules below;
 * `expr; // value` lines are asserted), on cpu and wasm, with a leak check. The ` ```ts no-run ` block reads
 * published checkpoint files, which this repository does not have.
 */
import * as nn from '@pir/nn';
import * as runtime from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import * as encoders from '../src/index.js';
import * as layers from '../src/layers/index.js';
import * as models from '../src/models/index.js';
import * as tokenizers from '../src/tokenizers/index.js';
import * as weights from '../src/weights/index.js';

const modules = {
  '@pir/encoders': encoders,
  '@pir/encoders/layers': layers,
  '@pir/encoders/models': models,
  '@pir/encoders/tokenizers': tokenizers,
  '@pir/encoders/weights': weights,
  '@pir/nn': nn,
  '@pir/runtime': runtime,
  '@tensorflow/tfjs-core': tf,
};

const examples = markdownExamples(new URL('../README.md', import.meta.url));

it('the README has runnable examples; the no-run one reads checkpoint files', () => {
  expect(examples.filter((e) => !e.skip).length).toBeGreaterThanOrEqual(7);
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
