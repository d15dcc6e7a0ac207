/** `@pir/datasets` — see README.md. */
export const PACKAGE = '@pir/datasets';
