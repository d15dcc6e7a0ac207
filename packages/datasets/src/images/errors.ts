/**
 * Thrown when an image cannot be read or decoded. `file` names the file (path, URL or `'<bytes>'`), and the
 * message says what was wrong with it and, where possible, what to do.
 */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  /** The file the error is about. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/** Message of an unknown thrown value. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
