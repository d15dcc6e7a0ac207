/** Bad input to a `@pir/models` function or class: names the function, the argument and what to do. */
export class ModelInputError extends Error {
  constructor(
    readonly fn: string,
    readonly argument: string,
    detail: string,
  ) {
    super(`${fn}: ${argument}: ${detail}`);
    this.name = 'ModelInputError';
  }
}
