/** `@pir/encoders` — see README.md. */
export const PACKAGE = '@pir/encoders';
