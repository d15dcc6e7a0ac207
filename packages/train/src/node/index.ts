/**
 * `@pir/train/node` — training runs on the Node file system: {@link runTraining} (a run directory with
 * progress, JSONL log, curves, atomic checkpoints, Ctrl-C, resume), {@link fileCheckpointStore},
 * {@link readTrainingData} (annotation files + an image folder), the progress display, the log and the curves
 * (Vega-Lite → SVG → PNG). Imports `node:fs`: never import this subpath in browser code.
 */
import '@pir/runtime';

export {
  type CurveFiles,
  type CurveOptions,
  drawCurves,
  lossSpec,
  recallSpec,
  renderSpec,
  type VegaLiteSpec,
} from './curves.js';
export { type FileCheckpointStoreOptions, fileCheckpointStore, type SaveStage } from './file_store.js';
export {
  formatBytes,
  formatDuration,
  formatSummary,
  type ProgressMode,
  type ProgressOptions,
  type ProgressReporter,
  progressReporter,
} from './progress.js';
export { type ReadTrainingDataOptions, readTrainingData } from './read_data.js';
export { historyOf, type LogRecord, type RunHistory, type RunLog, readRunLog, runLog } from './run_log.js';
export { type RunTrainingOptions, type RunTrainingResult, runTraining } from './run_training.js';
