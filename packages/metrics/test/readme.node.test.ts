/**
 * Runs the README's first example and checks every `expression; // value` line in it.
 */
import { readFileSync } from 'node:fs';
import * as metrics from '@pir/metrics';
import { describeBackends } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

describeBackends('README example', () => {
  it('runs and prints what its comments say', async () => {
    expect(example).toContain('evaluateRetrieval');
    const body = example
      .split('\n')
      .filter((line) => !line.startsWith('import '))
      .map((line) => {
        const m = /^([^/]+);\s*\/\/\s*([\d.]+)/.exec(line);
        return m ? `__check(${JSON.stringify(m[1])}, ${m[1]}, ${m[2]});` : line;
      })
      .join('\n');
    const checks: string[] = [];
    const printed: string[] = [];
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...a: unknown[]) => Promise<void>;
    const run = new AsyncFunction(
      'tf',
      'captionToImageMap',
      'evaluateRetrieval',
      'formatReport',
      '__check',
      'console',
      body,
    );
    await run(
      tf,
      metrics.captionToImageMap,
      metrics.evaluateRetrieval,
      metrics.formatReport,
      (what: string, actual: unknown, expected: number) => {
        checks.push(what);
        expect(actual, what).toBe(expected);
      },
      { log: (s: string) => printed.push(s) },
    );
    expect(checks.length).toBe(3);
    expect(printed[0]).toContain('Image→Text (I2T)');
  });
});
