/**
 * {@link ParamStore}: tfjs variables by PyTorch name, made from {@link ParamSpec}s — where the encoders and
 * the models keep their weights.
 */
import type { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { NnInputError } from './errors.js';
import { countParameters, type ParamSpec, tfShape } from './param_spec.js';
import type { HasParameters, NamedParameter } from './parameters.js';

/** Initial value of a spec as a tfjs tensor (tfjs layout); random kinds draw one seed from `rng`. */
export function initialValue(spec: ParamSpec, rng: Rng): tf.Tensor {
  const shape = tfShape(spec.shape, spec.layout);
  const init = spec.init;
  switch (init.kind) {
    case 'zeros':
      return tf.zeros(shape);
    case 'ones':
      return tf.ones(shape);
    case 'normal':
      return tf.randomNormal(shape, 0, init.std, 'float32', rng.nextSeed());
    case 'uniform':
      return tf.randomUniform(shape, -init.limit, init.limit, 'float32', rng.nextSeed());
  }
}

/**
 * A model's parameters: tfjs variables by PyTorch name, made from {@link ParamSpec}s (tfjs layout inside,
 * see `param_spec.ts`).
 *
 * @example
 * ```ts
 * const store = new ParamStore(linearSpecs('fc', 3, 4), new Rng(0));
 * store.get('fc.weight').shape; // [3, 4]
 * store.count(); // 16
 * store.dispose();
 * ```
 */
export class ParamStore implements HasParameters {
  private readonly specMap = new Map<string, ParamSpec>();
  private readonly vars = new Map<string, tf.Variable>();
  private disposed = false;

  /**
   * @param specs the parameters and buffers (names must be unique)
   * @param rng seeded generator for the initial values (one seed per random parameter, in order)
   * @param owner model name used in error messages
   */
  constructor(
    specs: readonly ParamSpec[],
    rng: Rng,
    readonly owner = 'ParamStore',
  ) {
    for (const s of specs) {
      if (this.specMap.has(s.name))
        throw new NnInputError(owner, s.name, `duplicate parameter name '${s.name}'`);
      this.specMap.set(s.name, s);
    }
    for (const s of specs) {
      const v = tf.tidy(() => initialValue(s, rng));
      this.vars.set(s.name, tf.variable(v, s.trainable !== false));
      v.dispose();
    }
  }

  /** The specs, in declaration order. */
  specs(): ParamSpec[] {
    return [...this.specMap.values()];
  }

  /** Spec of a parameter (undefined when unknown). */
  spec(name: string): ParamSpec | undefined {
    return this.specMap.get(name);
  }

  /** Whether `name` is a parameter or buffer of this store. */
  has(name: string): boolean {
    return this.specMap.has(name);
  }

  /** The variable of `name` (tfjs layout). */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (v === undefined) {
      throw new NnInputError(this.owner, name, `no parameter '${name}'${this.disposed ? ' (disposed)' : ''}`);
    }
    return v;
  }

  /** `[name, variable]` pairs in declaration order. */
  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  /** Every parameter and buffer with its spec, in declaration order ({@link HasParameters}). */
  namedParameters(): NamedParameter[] {
    return [...this.vars.entries()].map(([name, variable]) => ({
      spec: this.specMap.get(name) as ParamSpec,
      variable,
    }));
  }

  /** The variables that currently train (buffers and frozen parameters excluded). */
  trainableVariables(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /**
   * Freeze (`false`) or unfreeze (`true`) every parameter whose name passes `filter` (all by default).
   * Buffers stay non-trainable.
   */
  setTrainable(trainable: boolean, filter: (name: string) => boolean = () => true): void {
    for (const [name, v] of this.vars) {
      if (this.specMap.get(name)?.trainable === false) continue;
      if (filter(name)) v.trainable = trainable;
    }
  }

  /** Parameter count (PyTorch `parameters()`, buffers excluded). */
  count(): number {
    return countParameters(this.specs());
  }

  /** Free every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.disposed = true;
  }
}
