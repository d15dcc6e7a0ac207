/**
 * `@pir/nn/layers` — {@link SpecLayer}, the base of every `@pir/*` tfjs Layer with weights (PyTorch-named
 * parameters from `ParamSpec`s, seeded, loadable with `loadStateDict`). Needs `@tensorflow/tfjs-layers`.
 */
export {
  firstShape,
  type Initializer,
  type InputShape,
  initializerOf,
  SpecLayer,
  type SpecLayerArgs,
} from './spec_layer.js';
