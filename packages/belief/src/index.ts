/** `@pir/belief` — see README.md. */
export const PACKAGE = '@pir/belief';
