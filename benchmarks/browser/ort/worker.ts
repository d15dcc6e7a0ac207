/** `benchTfjs` of `tfjs_bench.ts` in a module Worker: `{ model, reps, threads, parallelGemm }` in, `{ result }` out. */
import { benchTfjs, type ModelName } from './tfjs_bench.js';

self.onmessage = async (
  e: MessageEvent<{ model: ModelName; reps: number; threads: number; parallelGemm: boolean }>,
) => {
  try {
    const { model, reps, threads, parallelGemm } = e.data;
    self.postMessage({ result: await benchTfjs(model, reps, threads, parallelGemm) });
  } catch (err) {
    self.postMessage({ error: String((err as Error).stack ?? err) });
  }
};
