/**
 * `@pir/runtime` — the one place where TensorFlow.js backends are chosen, prepared and repaired, and where
 * every `@pir/*` package gets its random numbers.
 *
 * Importing it registers all tfjs gradients (`@tensorflow/tfjs-core` alone registers none, which otherwise
 * fails with "gradient function not found for RealDiv") and a corrected `BatchMatMul` gradient, which stays
 * registered whatever is imported later (`@tensorflow/tfjs-layers` and `@tensorflow/tfjs` register tfjs-core's
 * stock gradients again when they load; see `gradients/gradient_guard.ts`).
 */
// Order matters: the real tfjs-core must create the global engine before the (bundled) gradient registrations
// load, so that their copy of the ops attaches to it instead of making its own.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { registerRuntimeGradients } from './gradients/gradient_guard.js';

registerRuntimeGradients();

export {
  type BackendInfo,
  type BackendName,
  BackendUnavailableError,
  backendInfo,
  type InitBackendOptions,
  initBackend,
} from './backend.js';
export { detectEnvironment, type Environment, importOptional } from './environment.js';
export { PirError, type PirErrorOptions } from './errors.js';
export { registerRuntimeGradients } from './gradients/gradient_guard.js';
export { getGlobalRng, hashString, Rng, type RngState, setGlobalSeed } from './rng.js';
