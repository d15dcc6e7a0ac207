/** `pir bench` measures what it says (one small row here) and prints a table; `pir --version` is package.json's. */
import { readFileSync } from 'node:fs';
import { describeBackends } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { formatBench, runBench } from '../src/bench/run.js';
import { VERSION } from '../src/version.js';

describeBackends('pir bench', () => {
  it('times a PIR-ITR tiny training step (warm-up + 3 runs) and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const names: string[] = [];
    const rows = await runBench({ only: ['pir-itr-tiny'], onRow: (n) => names.push(n) });
    expect(names).toEqual(['PIR-ITR tiny (pir-itr-tiny)']);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row?.kind).toBe('training step');
    expect(row?.batch).toBe(32);
    expect(row?.ms).toHaveLength(3);
    expect(row?.ms).toEqual([...(row?.ms ?? [])].sort((a, b) => a - b));
    expect(row?.perSecond).toBeGreaterThan(0);
    expect(row?.bytes).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    const table = formatBench(rows).split('\n');
    expect(table[0]).toMatch(/^what +batch +median ms +per second +tfjs MB$/);
    expect(table[1]).toMatch(
      /^PIR-ITR tiny \(pir-itr-tiny\) — training step +32 +\d+ +[\d.]+ captions +\d+$/,
    );
  });
}, ['wasm']);

it('the version is package.json’s', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  expect(VERSION).toBe(pkg.version);
});
