/** `@pir/cli` — the `pir` command, and its jobs as functions. */
export { DemoOptionsError } from './demo/errors.js';
export { DEMO_DEFAULTS, type DemoOptions, type DemoResult, runDemo } from './demo/run.js';
