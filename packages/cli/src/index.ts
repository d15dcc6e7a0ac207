/** `@pir/cli` — the `pir` command, and its jobs as functions. */
export { DEMO_DEFAULTS, type DemoOptions, type DemoResult, runDemo } from './demo/run.js';
