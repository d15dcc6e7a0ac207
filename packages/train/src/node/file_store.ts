/**
 * {@link fileCheckpointStore}: checkpoints on disk, written so that a crash (SIGKILL, power loss) never
 * leaves anything `resume` would take for a checkpoint:
 *
 * ```
 * <dir>/.step-00000012.<tag>.tmp/   1. every file written there, each fsync'ed; the folder fsync'ed
 * <dir>/step-00000012/              2. the folder renamed into place (atomic), <dir> fsync'ed
 * <dir>/latest.json, best.json      3. each tag: a pointer {"checkpoint": "step-00000012"} written to a
 *                                      temporary file, fsync'ed, renamed over the old one, <dir> fsync'ed
 *                                   4. checkpoints no tag points to, and temporary leftovers, removed
 * ```
 *
 * A crash before 2 leaves a temporary folder (removed by the next save); between 2 and 3 an unreferenced
 * complete checkpoint (removed likewise); during 3 each pointer is the old one or the new one, never half a
 * file. `load` follows a pointer, reads the folder's files; the trainer then checks them against the sizes and
 * SHA-256 that `trainer.json` lists. Two processes must not train into one directory at once.
 *
 * Each checkpoint folder is also a model directory of `@pir/models`: `loadModel(<dir>/step-…)` loads the
 * model it holds.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CheckpointError } from '../errors.js';
import type {
  CheckpointFiles,
  CheckpointStore,
  CheckpointTag,
  StoredCheckpoint,
} from '../trainer/checkpoint_store.js';

/** The stages of a save, in order (what `onStage` sees). */
export type SaveStage = 'files-written' | 'folder-renamed' | 'tag-written' | 'pruned';

/** Options of {@link fileCheckpointStore}. */
export interface FileCheckpointStoreOptions {
  /**
   * Called after each stage of a save (tests: throwing here, or killing the process, simulates a crash at
   * that point).
   */
  onStage?: (stage: SaveStage, detail: string) => void | Promise<void>;
}

const POINTER_FORMAT = 'pir-train-pointer';
const NAME = /^[\w.-]+$/;
const TEMP = /^\..+\.tmp$/;

function code(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

/** Flush a directory's entries (renames); skipped where the platform cannot (Windows). */
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

async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const h = await fs.open(file, 'wx', 0o644);
  try {
    await h.writeFile(bytes);
    await h.sync();
  } finally {
    await h.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if (code(e) === 'ENOENT') return false;
    throw e;
  }
}

/**
 * A {@link CheckpointStore} in a directory (created on the first save). See the module doc for the layout and
 * the crash guarantees.
 * @example
 * ```ts
 * const store = fileCheckpointStore('runs/pir-itr-rsitmd/checkpoints');
 * const result = await train({ model: 'pir-itr', data, store, resume: 'auto' });
 * ```
 */
export function fileCheckpointStore(
  dir: string,
  options: FileCheckpointStoreOptions = {},
): CheckpointStore & {
  /** The folder a tag points to, or `undefined`. */
  folderOf(tag: CheckpointTag): Promise<string | undefined>;
} {
  const location = path.resolve(dir);
  const stage = async (s: SaveStage, detail: string) => {
    await options.onStage?.(s, detail);
  };
  const pointerFile = (tag: CheckpointTag) => path.join(location, `${tag}.json`);

  const readPointer = async (tag: CheckpointTag): Promise<string | undefined> => {
    let text: string;
    try {
      text = await fs.readFile(pointerFile(tag), 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw new CheckpointError(`${tag}.json`, '', `cannot be read: ${(e as Error).message}`, location, {
        cause: e,
      });
    }
    let pointer: { format?: unknown; checkpoint?: unknown };
    try {
      pointer = JSON.parse(text);
    } catch (e) {
      throw new CheckpointError(`${tag}.json`, '', `is not JSON (${(e as Error).message})`, location, {
        cause: e,
      });
    }
    if (
      pointer?.format !== POINTER_FORMAT ||
      typeof pointer.checkpoint !== 'string' ||
      !NAME.test(pointer.checkpoint)
    )
      throw new CheckpointError(
        `${tag}.json`,
        'checkpoint',
        'is not a checkpoint pointer of @pir/train',
        location,
      );
    return pointer.checkpoint;
  };

  const writePointer = async (tag: CheckpointTag, folder: string, name: string) => {
    const tmp = path.join(location, `.${tag}.json.${randomBytes(6).toString('hex')}.tmp`);
    const body = { format: POINTER_FORMAT, checkpoint: folder, name, savedAt: new Date().toISOString() };
    await writeSynced(tmp, new TextEncoder().encode(`${JSON.stringify(body, null, 1)}\n`));
    await fs.rename(tmp, pointerFile(tag));
    await syncDir(location);
  };

  return {
    location,
    async save(name: string, files: CheckpointFiles, tags: readonly CheckpointTag[]): Promise<void> {
      if (typeof name !== 'string' || !NAME.test(name) || name.startsWith('.'))
        throw new CheckpointError(
          'CheckpointStore.save',
          'name',
          `'${name}' is not a checkpoint name ([A-Za-z0-9_.-])`,
          location,
        );
      for (const file of Object.keys(files))
        if (!NAME.test(file) || file.startsWith('.'))
          throw new CheckpointError(
            'CheckpointStore.save',
            'files',
            `'${file}' is not a plain file name`,
            location,
          );
      await fs.mkdir(location, { recursive: true });
      // leftovers of a crash: temporary folders and pointer files
      for (const entry of await fs.readdir(location))
        if (TEMP.test(entry)) await fs.rm(path.join(location, entry), { recursive: true, force: true });
      const tmp = path.join(
        location,
        `.${name}.${process.pid.toString(36)}-${randomBytes(6).toString('hex')}.tmp`,
      );
      try {
        await fs.mkdir(tmp);
        for (const [file, bytes] of Object.entries(files)) await writeSynced(path.join(tmp, file), bytes);
        await syncDir(tmp);
        await stage('files-written', tmp);
        // a folder of this name may exist (a save that crashed before its pointer moved): use a fresh name
        let folder = name;
        for (let k = 1; await exists(path.join(location, folder)); k++) folder = `${name}.${k}`;
        await fs.rename(tmp, path.join(location, folder));
        await syncDir(location);
        await stage('folder-renamed', folder);
        for (const tag of tags) {
          await writePointer(tag, folder, name);
          await stage('tag-written', tag);
        }
      } catch (e) {
        await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
        if (e instanceof CheckpointError) throw e;
        throw new CheckpointError(name, '', `cannot be written: ${(e as Error).message}`, location, {
          cause: e,
        });
      }
      // remove checkpoints no tag points to (only folders holding a trainer.json: never anything else)
      const keep = new Set<string>();
      for (const tag of ['latest', 'best'] as const) {
        const p = await readPointer(tag).catch(() => undefined);
        if (p !== undefined) keep.add(p);
      }
      for (const entry of await fs.readdir(location, { withFileTypes: true })) {
        if (!entry.isDirectory() || keep.has(entry.name) || TEMP.test(entry.name)) continue;
        if (await exists(path.join(location, entry.name, 'trainer.json')))
          await fs.rm(path.join(location, entry.name), { recursive: true, force: true });
      }
      await stage('pruned', '');
    },
    async load(tag: CheckpointTag): Promise<StoredCheckpoint | undefined> {
      const folder = await readPointer(tag);
      if (folder === undefined) return undefined;
      const at = path.join(location, folder);
      let names: string[];
      try {
        names = (await fs.readdir(at, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
      } catch (e) {
        throw new CheckpointError(
          `${tag}.json`,
          'checkpoint',
          `points at '${folder}', which cannot be read (${(e as Error).message})`,
          location,
          {
            cause: e,
          },
        );
      }
      const files: Record<string, Uint8Array> = {};
      for (const n of names) files[n] = new Uint8Array(await fs.readFile(path.join(at, n)));
      return { name: folder, files, location: at };
    },
    folderOf: async (tag) => {
      const folder = await readPointer(tag);
      return folder === undefined ? undefined : path.join(location, folder);
    },
  };
}
