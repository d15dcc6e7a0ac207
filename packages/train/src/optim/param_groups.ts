/**
 * Parameter groups by name and shape, as the released training scripts build them for `torch.optim.AdamW`:
 * no weight decay on biases, normalisation weights and learned scalars (temperatures, logit scale), and a
 * learning-rate multiplier for parameters the user marks as newly initialised.
 *
 * **The no-decay rule** ({@link noDecayByShape}): a parameter gets no weight decay when its PyTorch shape has
 * fewer than two dimensions — biases, LayerNorm / BatchNorm weights and biases, temperatures (`temp`,
 * `temp_center`), CLIP's `logit_scale`, `class_embedding`. This is the rule of the released PIR-CLIP code
 * (open_clip's `exclude = p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n`: in these
 * models every name the keyword tests catch is already 1-D or a scalar) and it covers the BERT-style list
 * `no_decay = ['bias', 'LayerNorm.weight']` as well. Matrices and convolution kernels (and 2-D embeddings such
 * as positional tables) decay. Pass your own `noDecay` predicate to change it (e.g. Swin's
 * `relative_position_bias_table`, which the Swin authors exempt by name).
 */
import type { NamedParameter } from '@pir/nn';
import { TrainInputError } from '../errors.js';

/**
 * One group of parameters with its own weight decay and learning-rate multiplier (a PyTorch `param_group`).
 */
export interface ParamGroup {
  /** Name of the group, for logs and errors (`'decay'`, `'no_decay'`, `'decay_new'`, `'no_decay_new'`). */
  name: string;
  /** The parameters, by name. */
  params: NamedParameter[];
  /** Decoupled weight decay of the group; `undefined`: the optimiser's `weightDecay` (PyTorch's defaults). */
  weightDecay?: number;
  /** Factor on the scheduled learning rate for this group (default 1). */
  lrMultiplier?: number;
}

/** Options of {@link paramGroups}. */
export interface ParamGroupOptions {
  /** Which parameters get no weight decay (default {@link noDecayByShape}: PyTorch rank < 2). */
  noDecay?: (p: NamedParameter) => boolean;
  /**
   * Newly initialised parameters, whose learning rate is multiplied by `newLrMultiplier`: name prefixes
   * (`['head_img.', 'head_txt.']`) or a predicate. Default: none.
   */
  newParams?: readonly string[] | ((p: NamedParameter) => boolean);
  /** Learning-rate multiplier of the new parameters (default 2). */
  newLrMultiplier?: number;
}

/**
 * The released no-decay rule: no weight decay for parameters of PyTorch rank < 2 (biases, norm weights,
 * temperatures, logit scale). See the module doc.
 * @example
 * ```ts
 * noDecayByShape({ spec: { name: 'temp', shape: [], init: ZEROS }, variable }); // true
 * ```
 */
export function noDecayByShape(p: NamedParameter): boolean {
  return p.spec.shape.length < 2;
}

/** A kind of parameter that {@link noDecayOf} exempts from weight decay. */
export type NoDecayKind = 'bias' | 'norm' | 'scalar';

/**
 * A no-decay predicate from kinds of parameters (as a training recipe lists them): `'bias'` — rank-1
 * parameters whose name ends in `bias`; `'norm'` — the other rank-1 parameters (LayerNorm / BatchNorm gains,
 * CLIP's class embedding); `'scalar'` — rank-0 ones (temperatures, the logit scale).
 * `noDecayOf(['bias', 'norm', 'scalar'])` is {@link noDecayByShape}.
 * @example
 * ```ts
 * const groups = paramGroups(params, { noDecay: noDecayOf(['bias', 'norm']) }); // temperatures decay
 * ```
 */
export function noDecayOf(kinds: readonly NoDecayKind[]): (p: NamedParameter) => boolean {
  const known: readonly string[] = ['bias', 'norm', 'scalar'];
  if (!Array.isArray(kinds) || kinds.some((k) => !known.includes(k)))
    throw new TrainInputError(
      'noDecayOf',
      'kinds',
      `expected a list of 'bias', 'norm', 'scalar', got ${JSON.stringify(kinds)}`,
    );
  const set = new Set(kinds);
  return (p) => {
    const rank = p.spec.shape.length;
    if (rank === 0) return set.has('scalar');
    if (rank === 1) return set.has(/(^|\.|_)bias$/.test(p.spec.name) ? 'bias' : 'norm');
    return false;
  };
}

/** Whether a parameter trains: declared trainable (not a buffer) and its variable is trainable. */
export function isTrainable(p: NamedParameter): boolean {
  return p.spec.trainable !== false && p.variable.trainable;
}

/**
 * Split named parameters into AdamW groups: `decay` (the optimiser's weight decay), `no_decay` (weight decay
 * 0, by `noDecay`), and the same two for the new parameters (`decay_new`, `no_decay_new`) with the learning-rate
 * multiplier. Empty groups are left out; frozen parameters and buffers (`trainable` false) are left out; a
 * variable listed twice counts once.
 *
 * @param params e.g. {@link namedTrainableParameters}`(model)` or `model.namedParameters()`
 * @returns groups for {@link AdamW}, in the order decay, no_decay, decay_new, no_decay_new
 * @example
 * ```ts
 * const groups = paramGroups(params, { newParams: ['head.'] });
 * groups.map((g) => [g.name, g.params.length, g.weightDecay, g.lrMultiplier]);
 * // [['decay', 1, undefined, 1], ['no_decay', 1, 0, 1], ['decay_new', 1, undefined, 2], …]
 * ```
 */
export function paramGroups(
  params: readonly NamedParameter[],
  options: ParamGroupOptions = {},
): ParamGroup[] {
  const where = 'paramGroups';
  const noDecay = options.noDecay ?? noDecayByShape;
  const mult = options.newLrMultiplier ?? 2;
  if (!(Number.isFinite(mult) && mult >= 0))
    throw new TrainInputError(where, 'newLrMultiplier', `must be a finite number ≥ 0, got ${mult}`);
  const marks = options.newParams ?? [];
  if (typeof marks !== 'function' && !Array.isArray(marks))
    throw new TrainInputError(where, 'newParams', 'expected name prefixes (string[]) or a predicate');
  const isNew =
    typeof marks === 'function'
      ? marks
      : (p: NamedParameter) => (marks as readonly string[]).some((prefix) => p.spec.name.startsWith(prefix));
  const groups: Record<'decay' | 'no_decay' | 'decay_new' | 'no_decay_new', NamedParameter[]> = {
    decay: [],
    no_decay: [],
    decay_new: [],
    no_decay_new: [],
  };
  const seen = new Set<unknown>();
  for (const p of params) {
    if (!isTrainable(p) || seen.has(p.variable)) continue;
    seen.add(p.variable);
    const key = `${noDecay(p) ? 'no_decay' : 'decay'}${isNew(p) ? '_new' : ''}` as keyof typeof groups;
    groups[key].push(p);
  }
  if (typeof marks !== 'function') {
    const unused = marks.filter((prefix) => !params.some((p) => p.spec.name.startsWith(prefix)));
    if (unused.length > 0)
      throw new TrainInputError(
        where,
        'newParams',
        `no parameter name starts with ${unused.map((u) => `'${u}'`).join(', ')} (names look like '${params[0]?.spec.name ?? ''}')`,
      );
  }
  const out: ParamGroup[] = [];
  for (const [name, list] of Object.entries(groups)) {
    if (list.length === 0) continue;
    const group: ParamGroup = { name, params: list, lrMultiplier: name.endsWith('_new') ? mult : 1 };
    if (name.startsWith('no_decay')) group.weightDecay = 0;
    out.push(group);
  }
  return out;
}
