/**
 * {@link HasParameters}: what every `@pir/*` layer, encoder and model implements so that one loader
 * ({@link loadStateDict}) and one exporter ({@link stateDict}) serve them all — PyTorch's `named_parameters()`
 * plus buffers, with the tfjs variable behind each name.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from './param_spec.js';

/** One parameter or buffer: its declaration (PyTorch name, shape, layout) and the variable holding it. */
export interface NamedParameter {
  /** PyTorch name and shape, layout of the variable, initialiser, buffer or not. */
  readonly spec: ParamSpec;
  /** The tfjs variable (tfjs layout: `tfShape(spec.shape, spec.layout)`); optimisers update it. */
  readonly variable: tf.Variable;
}

/**
 * Anything whose weights are PyTorch-named parameters: a {@link ParamStore}, a PAE layer, an encoder, a model.
 * @example
 * ```ts
 * const store = new ParamStore(linearSpecs('fc', 3, 4), new Rng(0));
 * store.namedParameters().map((p) => p.spec.name); // ['fc.weight', 'fc.bias']
 * store.dispose();
 * ```
 */
export interface HasParameters {
  /** Every parameter and buffer, in state-dict order (names unique). */
  namedParameters(): NamedParameter[];
  /** State-dict keys it knows but does not load (buffers it recomputes, e.g. CLIP's `attn_mask`). */
  readonly ignoredKeys?: readonly RegExp[];
}

/** Whether `x` implements {@link HasParameters}. */
export function hasParameters(x: unknown): x is HasParameters {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { namedParameters?: unknown }).namedParameters === 'function'
  );
}

/**
 * The parameters of `holder` with `prefix` put before each name (e.g. `'visual.'` to place an image tower
 * inside a whole-model state dict). The variables are shared, not copied.
 */
export function withPrefix(prefix: string, params: readonly NamedParameter[]): NamedParameter[] {
  if (prefix === '') return [...params];
  return params.map((p) => ({ spec: { ...p.spec, name: `${prefix}${p.spec.name}` }, variable: p.variable }));
}

/**
 * The variables that currently train (`variable.trainable`; buffers and frozen parameters excluded), in
 * order, each once.
 */
export function trainableVariablesOf(params: readonly NamedParameter[]): tf.Variable[] {
  const seen = new Set<tf.Variable>();
  const out: tf.Variable[] = [];
  for (const { spec, variable } of params) {
    if (spec.trainable === false || !variable.trainable || seen.has(variable)) continue;
    seen.add(variable);
    out.push(variable);
  }
  return out;
}
