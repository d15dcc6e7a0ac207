/**
 * Every ` ```ts ` block of the README runs against the package source (`@pir/test-utils/readme`): each
 * `expr; // value` line is checked, and a `console.log(…)` followed by `// …` comment lines must print exactly
 * those lines. Blocks fenced ` ```ts no-run ` (the signature list) are skipped.
 */
import * as metrics from '@pir/metrics';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

const examples = markdownExamples(new URL('../README.md', import.meta.url));
const modules = { '@pir/metrics': metrics, '@tensorflow/tfjs-core': tf };

/** What each `console.log(…);` line that is followed by `// …` lines says it prints, in order. */
function printedOutputs(code: string): string[] {
  const lines = code.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*console\.log\(.*\);\s*$/.test(lines[i] as string)) continue;
    const shown: string[] = [];
    for (let j = i + 1; j < lines.length && /^\s*\/\/( |$)/.test(lines[j] as string); j++)
      shown.push((lines[j] as string).replace(/^\s*\/\/ ?/, ''));
    if (shown.length > 0) out.push(shown.join('\n'));
  }
  return out;
}

describe('README', () => {
  it('has the examples this test expects (2 run, the signature list is no-run)', () => {
    expect(examples.filter((e) => !e.skip).length).toBe(2);
    expect(examples.filter((e) => e.skip).length).toBe(1);
  });
});

describeBackends('README examples', () => {
  for (const example of examples.filter((e) => !e.skip)) {
    it(`the example at README line ${example.line} runs, prints and returns what its comments say`, async () => {
      const run = await expectNoLeak(() => runExample(example.code, modules), 'the example');
      expect(run.checks.length, 'checked lines').toBeGreaterThanOrEqual(4);
      const printed = printedOutputs(example.code);
      expect(run.logs.slice(0, printed.length)).toEqual(printed);
      if (example.code.includes('formatReport')) {
        // the first example: what the hand-written README test checked before
        expect(run.checks).toEqual(
          expect.arrayContaining(['report.i2t.recall[1]', 'report.t2i.recall[1]', 'report.mR']),
        );
        expect(run.logs[0]).toContain('Image→Text (I2T)');
      }
    });
  }
});
