/**
 * Node only (`@pir/models/node`): model directories on the file system — a {@link ModelSource} over a
 * directory, and the atomic writer.
 *
 * The writer's protocol: every file is written to a temporary file in the directory
 * (`.<name>.<tag>.tmp`), flushed (`fsync`) and closed; then the temporary files are renamed over the final
 * names in commit order — `model.safetensors`, `tokenizer.json`, and `pir-model.json` last — and the
 * directory is flushed. A rename replaces a file whole, so at any moment each name holds a complete file of
 * one save; a crash between two renames leaves files of two saves side by side, which the loader refuses
 * (the manifest records the size, SHA-256 and save id of the others). A crash before the first rename leaves
 * the previous model as it was. Temporary files left by a crash are removed by the next save of the directory
 * (two processes must not save into one directory at once).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MODEL_FILES, ModelFileError } from './model_dir_format.js';
import type { ModelSource, ModelWriter } from './model_dir_source.js';

/** `.<name>.<tag>.tmp`: the temporary files of a save in progress. */
const TEMP = /^\.(pir-model\.json|model\.safetensors|tokenizer\.json)\.[0-9a-z-]+\.tmp$/;

function code(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

/**
 * A {@link ModelSource} over a directory: files are opened, their size checked against the limit from
 * `stat`, then read whole.
 * @param dir the model directory
 */
export function modelDirSource(dir: string): ModelSource {
  const location = path.resolve(dir);
  return {
    location,
    async read(name, maxBytes) {
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(path.join(location, name), 'r');
      } catch (e) {
        if (code(e) === 'ENOENT' || code(e) === 'ENOTDIR') return undefined;
        throw new ModelFileError(name, '', `cannot be opened: ${(e as Error).message}`, location, {
          cause: e,
        });
      }
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw new ModelFileError(name, '', 'is not a regular file', location);
        if (stat.size > maxBytes)
          throw new ModelFileError(
            name,
            '',
            `${stat.size} bytes exceed the limit of ${maxBytes} bytes (raise it with { limits } if you trust the model)`,
            location,
          );
        const out = new Uint8Array(stat.size);
        let at = 0;
        while (at < out.length) {
          const { bytesRead } = await handle.read(out, at, out.length - at, at);
          if (bytesRead === 0) break;
          at += bytesRead;
        }
        if (at !== out.length)
          throw new ModelFileError(
            name,
            '',
            `shrank while being read (${at} of ${out.length} bytes)`,
            location,
          );
        return out;
      } finally {
        await handle.close();
      }
    },
  };
}

/** Test hooks of {@link writeModelDir} (not part of the public API). */
export interface WriteHooks {
  /** Called after each rename, with the file name (a test throws here to simulate a crash between files). */
  afterRename?: (name: string) => void | Promise<void>;
}

/** Flush a directory's entries (renames) to disk; not every platform can (Windows): then it is skipped. */
async function syncDir(dir: string): Promise<void> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch (e) {
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF'].includes(code(e) ?? '')) throw e;
  } finally {
    await h?.close();
  }
}

/**
 * Write the files of one save into `dir` atomically (see the module documentation): temporary files,
 * `fsync`, renames in the given order (the manifest last), directory `fsync`.
 * @param dir created if needed
 * @param files in commit order, as a {@link ModelWriter} receives them
 * @throws ModelFileError naming the file that could not be written (the temporary files are removed)
 */
export async function writeModelDir(
  dir: string,
  files: ReadonlyArray<readonly [name: string, bytes: Uint8Array]>,
  hooks: WriteHooks = {},
): Promise<void> {
  const location = path.resolve(dir);
  const names = Object.values(MODEL_FILES) as string[];
  for (const [name] of files)
    if (!names.includes(name))
      throw new ModelFileError(
        name,
        '',
        `is not a file of a model directory (${names.join(', ')})`,
        location,
      );
  if (files.length > 0 && files[files.length - 1]?.[0] !== MODEL_FILES.manifest)
    throw new ModelFileError(
      MODEL_FILES.manifest,
      '',
      'must be the last file of a save (it commits it)',
      location,
    );
  let current: string = MODEL_FILES.manifest;
  const pending: string[] = [];
  try {
    await fs.mkdir(location, { recursive: true });
    for (const entry of await fs.readdir(location))
      if (TEMP.test(entry)) await fs.rm(path.join(location, entry), { force: true }); // left by a crash
    const tag = `${process.pid.toString(36)}-${randomBytes(6).toString('hex')}`;
    const temps: [string, string, string][] = [];
    for (const [name, bytes] of files) {
      current = name;
      const tmp = path.join(location, `.${name}.${tag}.tmp`);
      const h = await fs.open(tmp, 'wx', 0o644);
      pending.push(tmp);
      try {
        await h.writeFile(bytes);
        await h.sync();
      } finally {
        await h.close();
      }
      temps.push([name, tmp, path.join(location, name)]);
    }
    for (const [name, tmp, final] of temps) {
      current = name;
      await fs.rename(tmp, final);
      pending.splice(pending.indexOf(tmp), 1);
      await hooks.afterRename?.(name);
    }
    await syncDir(location);
  } catch (e) {
    for (const tmp of pending) await fs.rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(current, '', `cannot be written: ${(e as Error).message}`, location, {
      cause: e,
    });
  }
}

/** A {@link ModelWriter} into a directory (atomic, see {@link writeModelDir}). */
export function modelDirWriter(dir: string): ModelWriter {
  return (files) => writeModelDir(dir, files);
}
