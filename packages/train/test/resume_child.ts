/**
 * The training process of `resume.node.test.ts` (bundled with esbuild and run with plain Node): trains
 * `pir-itr-test` on the tiny synthetic benchmark into a run directory with a checkpoint every few steps, and
 * prints one line per checkpoint (`CHECKPOINT <name> <step>`) so the test can kill it right after one.
 *
 * argv: runDir backend resume(0|1) checkpointEvery
 * exit: 0 completed, 130 interrupted (SIGINT), 1 error
 */
import { initBackend } from '@pir/runtime';
import { runTraining } from '../src/node/index.js';
import { tinyData } from './train_data.js';

const [runDir, backend = 'cpu', resume = '0', every = '1'] = process.argv.slice(2);
await initBackend({ backend: backend as 'cpu' | 'wasm', threads: 1 });
const result = await runTraining({
  model: 'pir-itr-test',
  data: tinyData({ captionsPerImage: 2 }), // 16 training captions: 4 steps of 4 per epoch
  recipe: { epochs: 2, batchSize: 4 },
  seed: 3,
  runDir: runDir as string,
  resume: resume === '1',
  checkpointEvery: Number(every),
  progress: 'none',
  plots: false,
  onEvent: (e) => {
    if (e.type === 'checkpoint') process.stdout.write(`CHECKPOINT ${e.name} ${e.step}\n`);
    if (e.type === 'start') process.stdout.write(`START ${e.startStep}\n`);
  },
});
process.stdout.write(
  `RESULT ${JSON.stringify({ status: result.status, steps: result.steps, resumedFrom: result.resumedFrom ?? null })}\n`,
);
result.dispose();
process.exitCode = result.status === 'completed' ? 0 : 130;
