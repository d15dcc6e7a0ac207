/** Pieces shared by the PIR models. */
import { linearSpecs, type ParamSpec } from '@pir/encoders';
import type { Ids, Labels } from '@pir/losses';
import type { StateDict } from '@pir/pae';
import * as tf from '@tensorflow/tfjs-core';
import { ModelInputError } from './errors.js';
import { exportVariables, loadVariables, type VariableSource } from './state.js';

/** Variables an encoder exposes for training: `trainableVariables()` or a `params` store; else none. */
export function encoderVariables(e: object): tf.Variable[] {
  const x = e as {
    trainableVariables?: () => tf.Variable[];
    params?: { trainableVariables?: () => tf.Variable[] };
  };
  if (typeof x.trainableVariables === 'function') return x.trainableVariables();
  if (x.params !== undefined && typeof x.params.trainableVariables === 'function')
    return x.params.trainableVariables();
  return [];
}

/** `@pir/encoders`' Linear specs, initialised as PyTorch's `nn.Linear` (U(±1/√in) for weight and bias). */
export function torchLinearSpecs(name: string, inDim: number, outDim: number): ParamSpec[] {
  const limit = 1 / Math.sqrt(inDim);
  return linearSpecs(name, inDim, outDim).map((s) => ({ ...s, init: { kind: 'uniform', limit } }));
}

/** What the PIR models share: the disposed guard, their own variables, state dicts, trainable variables. */
export abstract class PirModelBase {
  private disposed = false;

  constructor(
    /** Class name used in errors. */
    private readonly modelName: string,
    private readonly towers: { vision: object; text: object },
  ) {}

  /** The model's own variables by state-dict name, PyTorch layout described per variable. */
  protected abstract ownVariables(): VariableSource[];

  /** Free the model's own variables (called once by {@link dispose}). */
  protected abstract disposeOwn(): void;

  protected check(): void {
    if (this.disposed) throw new ModelInputError(this.modelName, 'model', 'the model has been disposed');
  }

  /** Throws unless every per-caption input has `b` rows (`fn` names the method in the error). */
  protected checkRows(fn: string, b: number, rows: Record<string, tf.Tensor | Ids | Labels>): void {
    for (const [key, x] of Object.entries(rows)) {
      const n = x instanceof tf.Tensor ? (x.shape[0] as number) : x.length;
      if (n !== b)
        throw new ModelInputError(fn, key, `${key} has ${n} rows but images has ${b}: one row per caption`);
    }
  }

  /**
   * What training updates: the model's own trainable variables, then those of the vision and text towers
   * (via `trainableVariables()` or a `params` store; a tower with neither stays frozen). The instruction
   * encoder is never included.
   */
  trainableVariables(): tf.Variable[] {
    this.check();
    const own = this.ownVariables()
      .map((s) => s.variable)
      .filter((v) => v.trainable);
    return [...own, ...encoderVariables(this.towers.vision), ...encoderVariables(this.towers.text)];
  }

  /** The model's own weights as a PyTorch-layout state dict of new tensors (the caller disposes them). */
  stateDict(): StateDict {
    this.check();
    return exportVariables(this.ownVariables());
  }

  /**
   * Load the model's own weights from a PyTorch-layout state dict (released names); the towers load theirs
   * with `@pir/encoders`' `loadStateDict`. Strict by default: missing or unexpected keys and shape mismatches
   * are all listed in one error and nothing is written.
   */
  loadStateDict(
    sd: StateDict,
    options: { strict?: boolean } = {},
  ): { loaded: string[]; missing: string[]; unexpected: string[] } {
    this.check();
    return loadVariables(`${this.modelName}.loadStateDict`, this.ownVariables(), sd, options.strict ?? true);
  }

  /** Free the model's own variables (the encoders belong to the caller). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeOwn();
  }
}
