/**
 * Label vocabularies: label name ↔ integer id, and per-image id arrays for the affiliation loss.
 */
import { DatasetInputError } from '../errors.js';

/** A label vocabulary: `names[id]` is the label of id `id`; `ids` the reverse map. */
export interface LabelVocabulary {
  readonly names: readonly string[];
  readonly ids: ReadonlyMap<string, number>;
}

/** Options of {@link labelVocabulary}. */
export interface LabelVocabularyOptions {
  /**
   * Fixed ids to keep (e.g. the `label` numbers of a PIR JSON file: `{bridge: 0, denseresidential: 1}`).
   * Other names get the next free ids in sorted order. Default: none (all names sorted, ids 0..n-1).
   */
  fixed?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
}

/**
 * Build a vocabulary from label names (duplicates allowed). Ids are deterministic: fixed ids first, then the
 * remaining names sorted by code unit order.
 *
 * @example
 * ```ts
 * const v = labelVocabulary(['port', 'beach', 'port']);
 * v.names;            // ['beach', 'port']
 * v.ids.get('port');  // 1
 * ```
 */
export function labelVocabulary(
  labels: Iterable<string>,
  options: LabelVocabularyOptions = {},
): LabelVocabulary {
  return vocabularyWithFixed(labels, options.fixed, 'labelVocabulary', 'fixed');
}

/**
 * {@link labelVocabulary} for the loaders (internal): `where` and `argument` name the public function and the
 * option the fixed ids came from (`'loadPirJson'`, `'labelIds'`) in its errors.
 */
export function vocabularyWithFixed(
  labels: Iterable<string>,
  fixedIds: LabelVocabularyOptions['fixed'],
  where: string,
  argument: string,
): LabelVocabulary {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const fixed =
    fixedIds instanceof Map
      ? [...fixedIds.entries()]
      : Object.entries((fixedIds ?? {}) as Record<string, number>);
  const option = argument === 'fixed' ? '' : `${argument}: `;
  for (const [name, id] of fixed) {
    if (!Number.isInteger(id) || id < 0) {
      throw new DatasetInputError(
        where,
        argument,
        `${option}fixed id of '${name}' must be a non-negative integer, got ${id}`,
      );
    }
    if (names[id] !== undefined && names[id] !== name) {
      throw new DatasetInputError(
        where,
        argument,
        `${option}fixed id ${id} is given to both '${names[id]}' and '${name}'`,
      );
    }
    names[id] = name;
    ids.set(name, id);
  }
  const rest = [...new Set(labels)].filter((n) => !ids.has(n)).sort();
  let next = 0;
  for (const name of rest) {
    while (names[next] !== undefined) next++;
    names[next] = name;
    ids.set(name, next);
  }
  for (let i = 0; i < names.length; i++) if (names[i] === undefined) names[i] = `<unused ${i}>`;
  return { names, ids };
}

/**
 * Label ids of a list of label names, as the `Int32Array` the losses take.
 * @throws DatasetInputError naming the first label missing from the vocabulary
 * @example
 * ```ts
 * labelIds(['port', 'beach'], labelVocabulary(['beach', 'port'])); // Int32Array [1, 0]
 * ```
 */
export function labelIds(labels: readonly string[], vocabulary: LabelVocabulary): Int32Array {
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const id = vocabulary.ids.get(labels[i] as string);
    if (id === undefined) {
      throw new DatasetInputError(
        'labelIds',
        `labels[${i}]`,
        `labelIds: labels[${i}] = '${labels[i]}' is not in the vocabulary`,
      );
    }
    out[i] = id;
  }
  return out;
}
