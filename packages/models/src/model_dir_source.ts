/**
 * Where a model directory is read from and written to, in any JavaScript runtime: in memory (`{ name: bytes }`,
 * for tests and bundlers), over HTTP (a base URL, or a function that fetches a file by name), or any
 * {@link ModelSource}. The Node file system is `@pir/models/node`'s.
 */
import { ModelFileError } from './model_dir_format.js';

/** Reads the files of one model directory. */
export interface ModelSource {
  /** Where the directory is (a path, a URL, `'memory'`), for messages. */
  readonly location: string;
  /**
   * The bytes of a file, or `undefined` when there is no such file.
   * @param name a file name of the directory (`'pir-model.json'`)
   * @param maxBytes refuse (with a {@link ModelFileError}) a file larger than this, before or while reading it
   */
  read(name: string, maxBytes: number): Promise<Uint8Array | undefined>;
}

/** A model directory in memory: file name → contents (what {@link serializeModel} returns). */
export type ModelFiles = Readonly<Record<string, Uint8Array | ArrayBuffer>>;

/** The part of a `fetch` `Response` the loader uses. */
export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText?: string;
  readonly headers?: { get(name: string): string | null };
  /** Read in chunks when present (the size limit then applies while reading). */
  readonly body?: ReadableStream<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A `fetch`-like function: `globalThis.fetch` or your own (headers, credentials, a cache…). */
export type FetchLike = (url: string) => Promise<ResponseLike>;

/** A function that fetches one file of the directory by its name (`'model.safetensors'`). */
export type FileFetcher = (name: string) => Promise<ResponseLike>;

/**
 * Stores the files of one save. `files` come in commit order, the manifest `pir-model.json` last: a writer
 * must make each file appear whole (never a partly written file under its final name) and the manifest only
 * after the others — then a reader sees either the previous model or the new one, and a mix of the two (a
 * save interrupted between files) is refused by the loader, which checks every file against the manifest.
 */
export type ModelWriter = (files: ReadonlyArray<readonly [name: string, bytes: Uint8Array]>) => Promise<void>;

function tooLarge(name: string, bytes: number | string, maxBytes: number, location: string): ModelFileError {
  return new ModelFileError(
    name,
    '',
    `${bytes} bytes exceed the limit of ${maxBytes} bytes (raise it with { limits } if you trust the model)`,
    location,
  );
}

/**
 * A {@link ModelSource} over files in memory.
 * @param files file name → bytes (`Uint8Array` or `ArrayBuffer`)
 */
export function memorySource(files: ModelFiles, location = 'memory'): ModelSource {
  return {
    location,
    async read(name, maxBytes) {
      if (!Object.hasOwn(files, name)) return undefined;
      const f = files[name];
      const bytes = f instanceof Uint8Array ? f : f instanceof ArrayBuffer ? new Uint8Array(f) : undefined;
      if (bytes === undefined)
        throw new ModelFileError(name, '', 'must be a Uint8Array or an ArrayBuffer', location);
      if (bytes.length > maxBytes) throw tooLarge(name, bytes.length, maxBytes, location);
      return bytes;
    },
  };
}

/** The body of a response, at most `maxBytes` (checked on Content-Length first, then while reading). */
async function readBody(
  res: ResponseLike,
  name: string,
  maxBytes: number,
  location: string,
): Promise<Uint8Array> {
  const encoded = (res.headers?.get('content-encoding') ?? 'identity') !== 'identity';
  const header = res.headers?.get('content-length');
  const declared = header == null || encoded ? undefined : Number(header);
  if (declared !== undefined && Number.isFinite(declared) && declared > maxBytes)
    throw tooLarge(name, declared, maxBytes, location);
  const reader = res.body?.getReader?.();
  if (reader === undefined) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw tooLarge(name, bytes.length, maxBytes, location);
    return bytes;
  }
  // one buffer of the declared size when there is one (no second copy of a large file), else chunks
  let whole = declared !== undefined && Number.isSafeInteger(declared) ? new Uint8Array(declared) : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.length > maxBytes) {
      await reader.cancel();
      throw tooLarge(name, `more than ${maxBytes}`, maxBytes, location);
    }
    if (whole !== undefined && total + value.length <= whole.length) whole.set(value, total);
    else {
      if (whole !== undefined) chunks.push(whole.subarray(0, total)); // more than declared: keep reading
      whole = undefined;
      chunks.push(value);
    }
    total += value.length;
  }
  if (whole !== undefined) return total === whole.length ? whole : whole.subarray(0, total);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `base` + `/` + `name` for a URL or a relative path (`'models/pir/'`, `'https://…/pir'`). */
export function joinUrl(base: string | URL, name: string): string {
  const text = String(base);
  try {
    return new URL(name, text.endsWith('/') ? text : `${text}/`).href;
  } catch {
    return `${text.replace(/\/+$/, '')}/${name}`;
  }
}

/**
 * A {@link ModelSource} over HTTP.
 * @param base the directory's URL (`'https://example.org/models/pir-itr/'`, or a path relative to the page),
 *   or a function that fetches a file by name
 * @param fetchImpl the `fetch` to use with a URL (default `globalThis.fetch`)
 */
export function fetchSource(base: string | URL | FileFetcher, fetchImpl?: FetchLike): ModelSource {
  const location = typeof base === 'function' ? 'fetch' : String(base);
  const get: FileFetcher =
    typeof base === 'function'
      ? base
      : (name) => {
          const f = fetchImpl ?? (globalThis.fetch as unknown as FetchLike | undefined);
          if (f === undefined)
            throw new ModelFileError(name, '', 'no fetch in this runtime: pass { fetch }', location);
          return f(joinUrl(base, name));
        };
  return {
    location,
    async read(name, maxBytes) {
      let res: ResponseLike;
      try {
        res = await get(name);
      } catch (e) {
        if (e instanceof ModelFileError) throw e;
        throw new ModelFileError(name, '', `cannot be fetched: ${(e as Error).message}`, location, {
          cause: e,
        });
      }
      if (res.status === 404 || res.status === 410) return undefined;
      if (!res.ok)
        throw new ModelFileError(
          name,
          '',
          `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} while fetching it`,
          location,
        );
      return readBody(res, name, maxBytes, location);
    },
  };
}
