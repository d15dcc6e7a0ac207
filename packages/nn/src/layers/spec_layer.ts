/**
 * {@link SpecLayer}: a `tf.layers.Layer` whose weights are `@pir/nn` {@link ParamSpec}s — PyTorch names and
 * shapes, tfjs layout inside, seeded initialisation — so every Layer of the `@pir/*` packages is a
 * {@link HasParameters}: `loadStateDict(layer, torchStateDict)` and `stateDict(layer)` serve it like any model,
 * and `model.save()` / `tf.loadLayersModel()` round-trip it like any tfjs Layer.
 *
 * This is `@pir/nn/layers`, the one part of `@pir/nn` that needs `@tensorflow/tfjs-layers` (an optional peer).
 */
import { getGlobalRng, Rng } from '@pir/runtime';
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { NnInputError } from '../errors.js';
import { type ParamInit, type ParamSpec, tfShape } from '../param_spec.js';
import type { HasParameters, NamedParameter } from '../parameters.js';

/** An input shape as tfjs-layers passes it to `build` (one tensor or several). */
export type InputShape = tfl.Shape | tfl.Shape[];

/** Config fields of every {@link SpecLayer} (plus tfjs's `name`, `trainable`, `inputShape`, …). */
export interface SpecLayerArgs {
  /** Seed of the layer's initial weights (and of its dropout, where it has some); default: the global Rng's next. */
  seed?: number;
  name?: string;
  trainable?: boolean;
  inputShape?: (number | null)[];
  batchInputShape?: (number | null)[];
}

/** A tfjs-layers initializer. */
export type Initializer = ReturnType<typeof tfl.initializers.ones>;

/** The tfjs initializer of a {@link ParamInit}; random kinds take the next seed of `seeds`. */
export function initializerOf(init: ParamInit, seeds: Rng): Initializer {
  switch (init.kind) {
    case 'ones':
      return tfl.initializers.ones();
    case 'zeros':
      return tfl.initializers.zeros();
    case 'uniform':
      return tfl.initializers.randomUniform({
        minval: -init.limit,
        maxval: init.limit,
        seed: seeds.nextSeed(),
      });
    case 'normal':
      return tfl.initializers.randomNormal({ mean: 0, stddev: init.std, seed: seeds.nextSeed() });
  }
}

/** The first input's shape. */
export function firstShape(inputShape: InputShape): tfl.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
}

/**
 * The base of the `@pir/*` Layers with weights. A subclass says which parameters it has for an input shape
 * ({@link SpecLayer.specsFor}); `build` makes them (in declaration order, seeded), and the layer reads them by
 * PyTorch name with {@link SpecLayer.weight}.
 *
 * @example
 * ```ts
 * class Scale extends SpecLayer {
 *   static className = 'Scale';
 *   protected specsFor(shape: InputShape | null) {
 *     const d = shape === null ? 0 : (firstShape(shape).at(-1) as number);
 *     return [{ name: 'weight', shape: [d], init: ONES }];
 *   }
 *   override call(x: tf.Tensor | tf.Tensor[]) {
 *     return tf.mul(x as tf.Tensor, this.weight('weight'));
 *   }
 * }
 * ```
 */
export abstract class SpecLayer extends tfl.layers.Layer implements HasParameters {
  /** Seed of the initial weights (and dropout). */
  readonly seed: number;
  protected readonly rng: Rng;
  private made: ParamSpec[] = [];
  private readonly vars = new Map<string, tfl.LayerVariable>();

  constructor(args: SpecLayerArgs) {
    super(args);
    this.seed = args.seed ?? getGlobalRng().nextSeed();
    this.rng = new Rng(this.seed);
  }

  /**
   * The parameters this layer has for `inputShape` (PyTorch names and shapes). `null` before the shape is
   * known: layers whose parameters depend on it throw then.
   */
  protected abstract specsFor(inputShape: InputShape | null): ParamSpec[];

  override build(inputShape: InputShape): void {
    if (this.built) return;
    const seeds = this.rng.fork('init');
    this.made = this.specsFor(inputShape);
    for (const s of this.made) {
      const v = this.addWeight(
        s.name,
        tfShape(s.shape, s.layout),
        'float32',
        initializerOf(s.init, seeds),
        undefined,
        s.trainable !== false,
      );
      this.vars.set(s.name, v);
    }
    this.built = true;
  }

  /** The parameters (PyTorch names and shapes): those made by `build`, or, before it, those of the config. */
  paramSpecs(): ParamSpec[] {
    return this.built ? [...this.made] : this.specsFor(null);
  }

  /** The current value of parameter `name` (tfjs layout; the variable itself, so gradients reach it). */
  protected weight(name: string): tf.Tensor {
    const v = this.vars.get(name);
    if (v === undefined)
      throw new NnInputError(
        this.getClassName(),
        name,
        `no parameter '${name}'${this.built ? '' : ' (the layer is not built yet)'}`,
      );
    return v.read();
  }

  /** The layer variable of parameter `name` (to write running statistics, for example). */
  protected layerVariable(name: string): tfl.LayerVariable {
    this.weight(name);
    return this.vars.get(name) as tfl.LayerVariable;
  }

  /**
   * Every weight with its spec ({@link HasParameters}); builds the layer first when its parameters do not
   * depend on the input shape. The variable is the one optimisers update.
   */
  namedParameters(): NamedParameter[] {
    if (!this.built) this.build(null as unknown as InputShape);
    return this.made.map((spec) => ({
      spec,
      variable: (this.vars.get(spec.name) as tfl.LayerVariable).read() as tf.Variable,
    }));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }

  /**
   * Free the weights. Unlike the stock `Layer.dispose`, this also works for a layer only ever called eagerly
   * (never connected to a symbolic model), which tfjs counts as "not used yet", and for a layer never built
   * (nothing to free).
   */
  override dispose(): ReturnType<tfl.layers.Layer['dispose']> {
    if (!this.built) return { refCountAfterDispose: 0, numDisposedVariables: 0 };
    if (this._refCount === null) this._refCount = 1;
    return super.dispose();
  }
}
