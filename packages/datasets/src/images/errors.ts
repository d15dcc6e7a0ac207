import { PirError } from '@pir/runtime/errors';

/** Options of {@link ImageDecodeError}. */
export interface ImageDecodeErrorOptions {
  /** The lower-level error (sharp's, geotiff's, the file system's, fetch's). */
  cause?: unknown;
  /** The option at fault (`'bands'`), when the file is fine but the request is not; default `''`. */
  argument?: string;
}

/**
 * Thrown when an image cannot be read, decoded or written. `where` (and `file`) name the file (path, URL or
 * `'<bytes>'`), `argument` the option at fault when there is one (`'bands'`), and the message says what was
 * wrong with the file and, where possible, what to do: `a/b.png: corrupt or truncated PNG (…)`.
 *
 * @example
 * ```ts
 * try {
 *   await loadImage('L7_ETMs.tif');
 * } catch (e) {
 *   if (e instanceof ImageDecodeError) console.error(e.where, e.argument, e.message);
 *   // 'L7_ETMs.tif' 'bands' "L7_ETMs.tif: has 6 bands; choose three with `bands` …"
 * }
 * ```
 */
export class ImageDecodeError extends PirError {
  /** The file the error is about (the same as {@link PirError.where}). */
  readonly file: string;

  constructor(file: string, message: string, options: ImageDecodeErrorOptions = {}) {
    // the message is `${file}: ${message}` exactly as before (also for a message that repeats the file)
    super(file, options.argument ?? '', `${file}: ${message}`, { cause: options.cause });
    this.name = 'ImageDecodeError';
    this.file = file;
  }
}

/** Message of an unknown thrown value. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
