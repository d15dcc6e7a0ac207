/**
 * `@pir/models/node` — model directories on the Node file system: `saveModel(model, dir)` writes atomically,
 * `loadModel(dir)` reads a path (or, as `@pir/models`' `loadModel`, a URL, a fetch function, files in memory).
 * Imports `node:fs`: never import this subpath in browser code (use `@pir/models`' `loadModel(url)` there).
 */
// @pir/runtime registers tfjs's gradients with its corrections (whatever the import order)
import '@pir/runtime';
import { fileURLToPath } from 'node:url';
import {
  type LoadModelOptions,
  loadModel as loadFrom,
  type ModelSourceLike,
  type SaveModelOptions,
  saveModel as saveTo,
} from '../model_dir.js';
import type { ModelManifest } from '../model_dir_format.js';
import type { EmbeddingModel, RetrievalModel } from '../model_dir_model.js';
import { modelDirSource, modelDirWriter } from '../model_dir_node.js';
import type { ModelWriter } from '../model_dir_source.js';

export { modelDirSource, modelDirWriter };

/** A URL that is fetched rather than read from the file system. */
const REMOTE = /^(https?|data|blob):/i;

/**
 * Save a model into a directory (created if needed), atomically: temporary files, `fsync`, renames with the
 * manifest last — a crash never leaves a directory that `loadModel` would take for a model. Or through a
 * writer, as `@pir/models`' `saveModel`.
 * @param model a `RetrievalModel`, or a model `createModel` built, with `{ config }` (and `overrides`)
 * @param target a directory path or `file:` URL, or a writer
 * @returns the manifest written
 * @example
 * ```ts
 * const model = createModel('pir-itr-test', { seed: 1 });
 * await saveModel(model, 'models/pir-itr-test', { config: 'pir-itr-test' });
 * ```
 */
export async function saveModel(
  model: RetrievalModel | EmbeddingModel,
  target: string | URL | ModelWriter,
  options: SaveModelOptions = {},
): Promise<ModelManifest> {
  if (typeof target === 'function') return saveTo(model, target, options);
  const dir = target instanceof URL || /^file:/i.test(target) ? fileURLToPath(target) : target;
  return saveTo(model, modelDirWriter(dir), options);
}

/**
 * Load a model directory from a path (or a `file:` URL) — or from anything `@pir/models`' `loadModel` takes
 * (an `http(s):` URL, a fetch function, files in memory, a `ModelSource`).
 * @example
 * ```ts
 * const loaded = await loadModel('models/pir-itr-test');
 * const t = loaded.embedTexts(['a green park']);
 * ```
 */
export async function loadModel(
  source: string | ModelSourceLike,
  options: LoadModelOptions = {},
): Promise<RetrievalModel> {
  if (source instanceof URL && source.protocol === 'file:')
    return loadFrom(modelDirSource(fileURLToPath(source)), options);
  if (typeof source === 'string' && !REMOTE.test(source))
    return loadFrom(modelDirSource(/^file:/i.test(source) ? fileURLToPath(source) : source), options);
  return loadFrom(source, options);
}
