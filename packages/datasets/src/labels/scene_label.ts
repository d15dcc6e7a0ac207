/**
 * Scene labels from file names (PIR_SPEC §4): the file-name stem before the first `_`.
 */
import { DatasetInputError } from '../errors.js';

/** How {@link sceneLabel} treats a file whose stem has no `_` (RSICD's `00578.jpg`). */
export type UnprefixedNames = 'own-class' | 'shared-class';

/** Options of {@link sceneLabel}. */
export interface SceneLabelOptions {
  /**
   * A stem without `_` (e.g. `00578`): `'own-class'` (default, PIR's behaviour: the stem is the label, so each
   * such image is its own class) or `'shared-class'` (all of them get {@link SceneLabelOptions.sharedLabel}).
   */
  unprefixed?: UnprefixedNames;
  /** The label of every unprefixed name with `unprefixed: 'shared-class'`. Default `'unlabelled'`. */
  sharedLabel?: string;
}

/**
 * The scene label of an image file: the stem (base name without directory and last extension) up to the
 * first `_`. A stem without `_` is its own class (PIR's rule; RSITMD has 33 labels, RSICD ~900 one-image
 * classes named by number).
 *
 * @param file a file name or path (`/` or `\` separated)
 * @example
 * ```ts
 * sceneLabel('test/parking_229.tif');  // 'parking'
 * sceneLabel('val/00017.jpg');         // '00017'
 * sceneLabel('00017.jpg', { unprefixed: 'shared-class' }); // 'unlabelled'
 * ```
 */
export function sceneLabel(file: string, options: SceneLabelOptions = {}): string {
  if (typeof file !== 'string' || file.length === 0) {
    throw new DatasetInputError(
      'sceneLabel',
      'file',
      `sceneLabel: file must be a non-empty string, got ${JSON.stringify(file)}`,
    );
  }
  const stem = fileStem(file);
  if (stem.length === 0) {
    throw new DatasetInputError('sceneLabel', 'file', `sceneLabel: '${file}' has an empty file name`);
  }
  const cut = stem.indexOf('_');
  if (cut > 0) return stem.slice(0, cut);
  if (cut === 0) {
    throw new DatasetInputError(
      'sceneLabel',
      'file',
      `sceneLabel: '${file}' starts with '_', so it has no scene prefix`,
    );
  }
  return options.unprefixed === 'shared-class' ? (options.sharedLabel ?? 'unlabelled') : stem;
}

/** Base name of a path without its last extension: `'train/bridge_942.tif'` → `'bridge_942'`. */
export function fileStem(file: string): string {
  const base = baseName(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Base name of a `/`- or `\`-separated path. */
export function baseName(file: string): string {
  const cut = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return cut >= 0 ? file.slice(cut + 1) : file;
}
