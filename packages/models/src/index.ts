/**
 * `@pir/models` — the PIR reference models composed from the `@pir/*` layers.
 *
 * - {@link PirItr}: PIR-ITR (closed-domain): encoders by interface, projections, hard belief, Spatial- and
 *   Temporal-PAE, heads, `L_c + λ·L_a`, released state-dict names.
 *
 * Import `@pir/runtime` and call `initBackend()` before use.
 */
import '@tensorflow/tfjs-layers';
import { registerRuntimeGradients } from '@pir/runtime';

registerRuntimeGradients();

export { ModelInputError } from './errors.js';
export { PirItr, type PirItrBatch, type PirItrConfig, type PirItrEncoders } from './pir_itr.js';
