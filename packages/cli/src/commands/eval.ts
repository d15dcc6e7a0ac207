/**
 * `pir eval`: a model directory (`pir train`'s `model/`, `pir convert`'s output) scored on one split — every
 * image against every caption, R@1/5/10 both ways, mR (PIR_SPEC §6) — with `evaluateSplit` of `@pir/train`.
 */
import type { RetrievalReport } from '@pir/metrics';
import { loadModel } from '@pir/models/node';
import { evaluateSplit } from '@pir/train';
import { type DataSource, readEvalSplit } from './data.js';

/** Options of {@link evalCommand} (the flags of `pir eval`). */
export interface EvalCommandOptions {
  /** The model directory. */
  model: string;
  data: DataSource;
  /** The split (default `'test'`). */
  split?: 'train' | 'val' | 'test';
  /** Images per forward pass (default 32). */
  imageBatch?: number;
}

/** What {@link evalCommand} measured. */
export interface EvalResult {
  /** The model's name and architecture, from its manifest. */
  model: { name: string; architecture: string; dir: string };
  /** What was evaluated, in words. */
  data: string;
  report: RetrievalReport;
  seconds: number;
}

/**
 * Run `pir eval`.
 * @throws ModelFileError (a damaged or foreign model directory), CommandOptionError (a flag), the annotation
 *   readers' errors (which file, which line)
 */
export async function evalCommand(o: EvalCommandOptions): Promise<EvalResult> {
  const t0 = performance.now();
  const { split, describe } = await readEvalSplit(o.data, o.split ?? 'test');
  const model = await loadModel(o.model);
  try {
    const report = await evaluateSplit(model, split, {
      ...(o.imageBatch === undefined ? {} : { imageBatch: o.imageBatch }),
    });
    return {
      model: { name: model.config.name, architecture: model.config.architecture, dir: o.model },
      data: describe,
      report,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    model.dispose();
  }
}
