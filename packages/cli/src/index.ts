/** `@pir/cli` — the `pir` command, and its jobs as functions. */
export { DEMO_DEFAULTS, type DemoOptions, type DemoResult, runDemo } from './demo/run.js';
export {
  makeSyntheticTask,
  SCENE_CLASSES,
  SYNTHETIC_DEFAULTS,
  type SyntheticOptions,
  type SyntheticSplit,
} from './demo/synthetic.js';
