/** Thrown for bad transform arguments: the message names the function, the argument and the shape. */
export class TransformInputError extends Error {
  override readonly name = 'TransformInputError';
  constructor(
    readonly fn: string,
    readonly argument: string,
    message: string,
  ) {
    super(`${fn}: ${argument} ${message}`);
  }
}
