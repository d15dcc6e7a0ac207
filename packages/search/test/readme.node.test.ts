/**
 * The README's runnable ` ```ts ` block (`exactTopK`) runs against the package source and its `// value`
 * lines are checked; the model-directory block is `no-run` (it needs a trained model on disk:
 * `store.node.test.ts` covers the same calls).
 */

import { initBackend } from '@pir/runtime';
import * as search from '@pir/search';
import { expectNoLeak } from '@pir/test-utils';
import { markdownExamples, runExample } from '@pir/test-utils/readme';
import { beforeAll, expect, it } from 'vitest';

const examples = markdownExamples(new URL('../README.md', import.meta.url));

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

it('README: one runnable example; it runs and its checked values hold', async () => {
  const runnable = examples.filter((e) => !e.skip);
  expect(runnable).toHaveLength(1);
  expect(examples).toHaveLength(2);
  await expectNoLeak(async () => {
    const run = await runExample((runnable[0] as { code: string }).code, { '@pir/search': search });
    expect(run.checks).toEqual(['top[0]?.map((h) => h.index)']);
  });
});
