/**
 * Evaluate saved models (model directories of `@pir/models`, as `npm run train` leaves them in
 * `<run>/<config>/model/`) on a split, with the protocol of PIR_SPEC §6: every image against every caption,
 * cosine similarity, R@1/5/10 both ways and mR (`evaluateSplit` of `@pir/train`).
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RetrievalReport } from '@pir/metrics';
import { loadModel } from '@pir/models/node';
import { type DataSplit, evaluateSplit } from '@pir/train';
import { ExampleError } from './data.js';

/** What a model directory holds and how it did. */
export interface ModelEvaluation {
  dir: string;
  /** The configuration's name and architecture (`pir-itr`, `vse`, `pir-clip`). */
  name: string;
  architecture: string;
  report: RetrievalReport;
}

/** The model directories under a run directory (`<run>/<config>/model/`), sorted by name. */
export async function modelDirsOf(runDir: string): Promise<string[]> {
  if (!existsSync(runDir)) throw new ExampleError(`the run directory ${runDir} does not exist`);
  if (existsSync(join(runDir, 'pir-model.json'))) return [runDir];
  const entries = await readdir(runDir, { withFileTypes: true });
  const dirs = entries
    .filter((e) => e.isDirectory() && existsSync(join(runDir, e.name, 'model', 'pir-model.json')))
    .map((e) => join(runDir, e.name, 'model'))
    .sort();
  if (dirs.length === 0)
    throw new ExampleError(`no model directory (<config>/model/pir-model.json) in ${runDir}`);
  return dirs;
}

/** Load a model directory and evaluate it on `split`. */
export async function evaluateModelDir(dir: string, split: DataSplit): Promise<ModelEvaluation> {
  const rm = await loadModel(dir);
  try {
    const report = await evaluateSplit(rm, split);
    return { dir, name: rm.config.name, architecture: rm.config.architecture, report };
  } finally {
    rm.dispose();
  }
}

/** A label for a table row. */
export function architectureLabel(architecture: string): string {
  return architecture === 'pir-itr' ? 'PIR-ITR' : architecture === 'vse' ? 'VSE baseline' : architecture;
}
