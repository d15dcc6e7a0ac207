/**
 * Named parameters with PyTorch names and shapes: the store every model of `@pir/encoders` keeps its
 * weights in, so that a PyTorch state dict loads by name (see `loadStateDict`).
 *
 * Each parameter is declared by a {@link ParamSpec}: its PyTorch name (`'layer1.0.conv1.weight'`), its
 * **PyTorch** shape, how PyTorch lays it out relative to tfjs ({@link TorchLayout}), an initialiser and
 * whether it trains. The tfjs variable holds the tfjs layout:
 *
 * | layout     | PyTorch shape     | tfjs variable      |
 * |------------|-------------------|--------------------|
 * | `'same'`   | any               | same               |
 * | `'linear'` | [out, in]         | [in, out] (`x · W`) |
 * | `'conv2d'` | [O, I, kH, kW]    | [kH, kW, I, O]     |
 */
import type { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { EncoderError } from './errors.js';

/** How a PyTorch tensor maps onto the tfjs variable (see the module doc). */
export type TorchLayout = 'same' | 'linear' | 'conv2d';

/** How a parameter starts. */
export type ParamInit =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'normal'; std: number }
  /** Uniform in [-limit, limit]. */
  | { kind: 'uniform'; limit: number };

/** Declaration of one parameter or buffer. */
export interface ParamSpec {
  /** PyTorch state-dict name, e.g. `'transformer.resblocks.0.attn.in_proj_weight'`. */
  name: string;
  /** PyTorch shape. */
  shape: number[];
  /** Layout relative to tfjs; default `'same'`. */
  layout?: TorchLayout;
  init: ParamInit;
  /**
   * `false` for buffers (BatchNorm running statistics): loaded from state dicts, never trained and not
   * counted by {@link countParameters} (PyTorch's `parameters()` excludes buffers too). Default `true`.
   */
  trainable?: boolean;
}

/** The tfjs shape of a parameter with PyTorch shape `shape`. */
export function tfShape(shape: readonly number[], layout: TorchLayout = 'same'): number[] {
  if (layout === 'linear') return [shape[1] as number, shape[0] as number];
  if (layout === 'conv2d')
    return [shape[2] as number, shape[3] as number, shape[1] as number, shape[0] as number];
  return [...shape];
}

/** The tfjs permutation of the PyTorch tensor (`null` when the layouts agree). */
export function torchToTfPerm(layout: TorchLayout = 'same'): number[] | null {
  if (layout === 'linear') return [1, 0];
  if (layout === 'conv2d') return [2, 3, 1, 0];
  return null;
}

// one definition of `numel` for the whole package (the weights side owns it)
import { numel } from '../weights/types.js';

export { numel };

/**
 * Number of trainable-kind parameters (PyTorch `sum(p.numel() for p in model.parameters())`) of a list of specs,
 * without allocating anything — so the count of BERT-base can be checked in a test.
 */
export function countParameters(specs: readonly ParamSpec[]): number {
  let n = 0;
  for (const s of specs) if (s.trainable !== false) n += numel(s.shape);
  return n;
}

/** Initial values of a spec as a tfjs tensor (tfjs layout). */
function initialValue(spec: ParamSpec, rng: Rng): tf.Tensor {
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
 * A model's parameters: tfjs variables by PyTorch name, made from {@link ParamSpec}s.
 *
 * @example
 * ```ts
 * const store = new ParamStore([{ name: 'fc.weight', shape: [4, 3], layout: 'linear', init: { kind: 'normal', std: 0.02 } }], new Rng(0));
 * store.get('fc.weight').shape; // [3, 4]
 * store.dispose();
 * ```
 */
export class ParamStore {
  private readonly specMap = new Map<string, ParamSpec>();
  private readonly vars = new Map<string, tf.Variable>();
  private disposed = false;

  /**
   * @param specs the parameters and buffers (names must be unique)
   * @param rng seeded generator for the initial values
   * @param owner model name used in error messages
   */
  constructor(
    specs: readonly ParamSpec[],
    rng: Rng,
    readonly owner = 'ParamStore',
  ) {
    for (const s of specs) {
      if (this.specMap.has(s.name))
        throw new EncoderError(owner, s.name, `duplicate parameter name '${s.name}'`);
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
      throw new EncoderError(this.owner, name, `no parameter '${name}'${this.disposed ? ' (disposed)' : ''}`);
    }
    return v;
  }

  /** `[name, variable]` pairs in declaration order. */
  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
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
