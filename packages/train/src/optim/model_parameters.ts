/**
 * {@link namedTrainableParameters}: what a PIR model trains, by name — so that optimiser groups, learning-rate
 * multipliers and optimiser state are keyed by parameter names rather than by tfjs variable ids.
 */
import { hasParameters, type NamedParameter, withPrefix } from '@pir/nn';
import type * as tf from '@tensorflow/tfjs-core';
import { TrainInputError } from '../errors.js';

/**
 * The part of a PIR model this needs (`PirItr`, `PirClip`, or your own): its own named parameters, the
 * variables training updates, and the vision and text encoders.
 */
export interface NamedModel {
  /** The model's own parameters (released state-dict names). */
  namedParameters(): NamedParameter[];
  /** Everything training updates: the model's own trainable variables and the encoders'. */
  trainableVariables(): tf.Variable[];
  /** The towers (the instruction encoder is frozen, except in a `PirClip` with `trainInstruction`). */
  readonly encoders: { readonly vision: unknown; readonly text: unknown; readonly instruction?: unknown };
}

/** Options of {@link namedTrainableParameters}. */
export interface NamedTrainableOptions {
  /** Prefix of the vision encoder's parameter names (default `'encoders.vision.'`). */
  visionPrefix?: string;
  /** Prefix of the text encoder's parameter names (default `'encoders.text.'`). */
  textPrefix?: string;
  /** Prefix of the instruction encoder's (when the model trains it; default `'encoders.instruction.'`). */
  instructionPrefix?: string;
}

/**
 * Every variable of `model.trainableVariables()` with a unique name: the model's own parameters keep their
 * names (`vision_proj.weight`, `temp`, …), the encoders' get a prefix (`encoders.vision.layers.0.…`,
 * `encoders.text.embeddings.…`: the path of the encoder in the model, then its PyTorch name). A variable an
 * encoder trains but does not name (an encoder that is not a `HasParameters`) is named
 * `<prefix><variable.name>` with its tfjs shape.
 *
 * @returns one entry per trainable variable, in `trainableVariables()` order
 * @throws TrainInputError when two trainable variables would get the same name
 * @example
 * ```ts
 * const named = namedTrainableParameters(model);
 * named.length === model.trainableVariables().length; // true
 * ```
 */
export function namedTrainableParameters(
  model: NamedModel,
  options: NamedTrainableOptions = {},
): NamedParameter[] {
  const where = 'namedTrainableParameters';
  const prefixes = {
    vision: options.visionPrefix ?? 'encoders.vision.',
    text: options.textPrefix ?? 'encoders.text.',
    instruction: options.instructionPrefix ?? 'encoders.instruction.',
  };
  const byVariable = new Map<tf.Variable, NamedParameter>();
  const add = (params: readonly NamedParameter[]) => {
    for (const p of params) if (!byVariable.has(p.variable)) byVariable.set(p.variable, p);
  };
  add(model.namedParameters());
  for (const role of ['vision', 'text', 'instruction'] as const) {
    const encoder = model.encoders[role];
    if (encoder === undefined) continue;
    if (hasParameters(encoder)) add(withPrefix(prefixes[role], encoder.namedParameters()));
    const trains = (encoder as { trainableVariables?: () => tf.Variable[] }).trainableVariables;
    if (typeof trains === 'function')
      for (const v of trains.call(encoder))
        if (!byVariable.has(v))
          byVariable.set(v, {
            spec: { name: `${prefixes[role]}${v.name}`, shape: [...v.shape], init: { kind: 'zeros' } },
            variable: v,
          });
  }
  const out: NamedParameter[] = [];
  const names = new Map<string, NamedParameter>();
  for (const v of model.trainableVariables()) {
    const p = byVariable.get(v) ?? {
      spec: { name: v.name, shape: [...v.shape], init: { kind: 'zeros' } },
      variable: v,
    };
    if (names.has(p.spec.name))
      throw new TrainInputError(
        where,
        p.spec.name,
        `two trainable variables are named '${p.spec.name}'; give the encoders distinct prefixes`,
      );
    names.set(p.spec.name, p);
    out.push(p);
  }
  return out;
}
