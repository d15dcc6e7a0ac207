/** `@pir/pae` — see README.md. */
export const PACKAGE = '@pir/pae';
