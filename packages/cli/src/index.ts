/** `@pir/cli` — the `pir` command, and its jobs as functions. */
export type { DemoDataOptions } from './demo/data.js';
export { DemoInterruptedError, DemoOptionsError } from './demo/errors.js';
export {
  DEMO_DEFAULTS,
  type DemoOptions,
  type DemoOverrides,
  type DemoResult,
  type DemoRun,
  runDemo,
} from './demo/run.js';
