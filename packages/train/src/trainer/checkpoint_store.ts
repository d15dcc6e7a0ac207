/**
 * Where checkpoints go: a {@link CheckpointStore} keeps named checkpoints (a few files each) and two tags,
 * `latest` (what `resume` loads) and `best` (the selected epoch). The trainer only talks to this interface;
 * {@link memoryCheckpointStore} keeps them in memory (any platform), `fileCheckpointStore` of
 * `@pir/train/node` on disk, atomically.
 */
import { CheckpointError } from '../errors.js';

/** The tags a store keeps: `latest` — the newest checkpoint; `best` — the selected epoch's. */
export type CheckpointTag = 'latest' | 'best';

/** A checkpoint's files by name (`trainer.json`, `optimizer.safetensors`, the model directory's three). */
export type CheckpointFiles = Readonly<Record<string, Uint8Array>>;

/** A checkpoint read back from a store. */
export interface StoredCheckpoint {
  /** Its name (e.g. `step-00000012`). */
  name: string;
  files: CheckpointFiles;
  /** Where it is (a directory, or `memory:<name>`). */
  location: string;
}

/**
 * Storage of checkpoints. `save` must be atomic for each tag it moves: a reader (`load`) sees either the old
 * checkpoint or the new one complete, never a mix — whatever happens during the save (a crash, SIGKILL).
 */
export interface CheckpointStore {
  /** Where the store is (shown in logs and errors). */
  readonly location: string;
  /**
   * Store `files` under `name` and point each of `tags` at it. Checkpoints no tag points to may be removed.
   * `files` are given in commit order (`trainer.json` last).
   */
  save(name: string, files: CheckpointFiles, tags: readonly CheckpointTag[]): Promise<void>;
  /** The checkpoint a tag points to, or `undefined` when there is none. */
  load(tag: CheckpointTag): Promise<StoredCheckpoint | undefined>;
}

/**
 * A {@link CheckpointStore} in memory (Node and browser): the default of `train` when no store is given — it
 * keeps the `best` checkpoint for the final test report and `latest` for a resume within the process.
 * @example
 * ```ts
 * const store = memoryCheckpointStore();
 * await store.save('step-1', { 'trainer.json': bytes }, ['latest']);
 * (await store.load('latest'))?.name; // 'step-1'
 * ```
 */
export function memoryCheckpointStore(): CheckpointStore & {
  /** Names of the checkpoints held. */
  names(): string[];
} {
  const held = new Map<string, CheckpointFiles>();
  const tags = new Map<CheckpointTag, string>();
  return {
    location: 'memory',
    async save(name, files, newTags) {
      if (typeof name !== 'string' || !/^[\w.-]+$/.test(name))
        throw new CheckpointError(
          'CheckpointStore.save',
          'name',
          `'${name}' is not a checkpoint name ([A-Za-z0-9_.-])`,
          'memory',
        );
      // copies: the caller may reuse its buffers
      held.set(name, Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.slice()])));
      for (const tag of newTags) tags.set(tag, name);
      const referenced = new Set(tags.values());
      for (const n of [...held.keys()]) if (!referenced.has(n)) held.delete(n);
    },
    async load(tag) {
      const name = tags.get(tag);
      const files = name === undefined ? undefined : held.get(name);
      return name === undefined || files === undefined
        ? undefined
        : { name, files, location: `memory:${name}` };
    },
    names: () => [...held.keys()],
  };
}
