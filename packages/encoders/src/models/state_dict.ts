/**
 * Loading and exporting the encoders' state dicts: `@pir/nn`'s one loader and exporter (every encoder
 * implements `HasParameters`). The names below are kept for one release for code written against
 * `@pir/encoders` 0.1.
 */
import { type HasParameters, type ParamStore, type StateDict, stateDict } from '@pir/nn';

export {
  type LoadReport,
  type LoadStateDictOptions,
  loadStateDict,
  type StateDictLike,
  type StateEntry,
} from '@pir/nn';

/**
 * Anything with a parameter store.
 * @deprecated every encoder implements `@pir/nn`'s `HasParameters`; pass the encoder (or its `params`) to
 * `loadStateDict` / `stateDict`.
 */
export interface HasParams {
  readonly params: ParamStore;
  /** State-dict keys the model knows but does not load. */
  readonly ignoredKeys?: readonly RegExp[];
}

/**
 * The model's parameters as a PyTorch-layout state dict.
 * @deprecated use `stateDict(model, { prefix })` of `@pir/nn` (the same result).
 */
export function stateDictOf(model: HasParameters, prefix = ''): Promise<StateDict> {
  return stateDict(model, { prefix });
}
