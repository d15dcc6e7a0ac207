/**
 * Keeps `@pir/runtime`'s corrected gradients registered whatever is imported after it.
 *
 * tfjs keeps gradients in one process-wide `Map` (kernel name → `GradConfig`), reached by every copy of
 * tfjs-core through `getGlobal('gradRegistry')`; `tf.registerGradient` is `map.set(kernelName, config)`, so
 * the last registration wins. Several modules register tfjs-core's stock gradients *when they load*, each from
 * its own bundled copy of `register_all_gradients` (a copy is a different module, so loading it runs the
 * registrations again even if another copy already ran):
 *
 * | environment                                   | registers the stock gradients again on load                          |
 * |-----------------------------------------------|----------------------------------------------------------------------|
 * | Node, `@tensorflow/tfjs-layers` (ESM or CJS)  | its `main`, `dist/tf-layers.node.js`, bundles all of them            |
 * | Node, `@tensorflow/tfjs`                      | `dist/tf.node.js` (and the tfjs-layers it requires)                  |
 * | Node, `@pir/runtime`'s `dist`                 | its own bundled copy (`tsup.config.ts`: plain Node cannot load tfjs-core's unbundled one) |
 * | browser bundle of `@pir/runtime`'s `dist` + tfjs-layers | tfjs-layers' `dist/index.js` imports tfjs-core's `register_all_gradients`, a different module from the copy in our `dist` |
 * | vitest, source (`@pir/source`), Node project  | tfjs-layers is externalised (its CJS bundle); our import of tfjs-core's file is inlined by vitest |
 *
 * (Only where one bundler serves both imports from the same module — vite's dependency pre-bundling of the
 * *source* in the vitest browser project — does the later import not register anything.) So, without this
 * guard, `import '@pir/runtime'` followed by `import '@tensorflow/tfjs-layers'` left tfjs-core's `BatchMatMul`
 * gradient active, and `tf.grad` through `matMul(x [B,S,D], w [D,E])` threw.
 *
 * The guard: {@link registerRuntimeGradients} gives that `Map` an own `set` that refuses to replace a config
 * `@pir/runtime` keeps (`BatchMatMul`) by another one — every other kernel registers as before — and an own
 * `delete`/`clear` that release the kept names. The state lives on the `Map` under a `Symbol.for` key, so
 * every copy of `@pir/runtime` in the process (ESM and CJS builds, source and `dist`) shares one guard.
 *
 * To use a `BatchMatMul` gradient of your own: `tf.unregisterGradient('BatchMatMul')` (releases it), then
 * `tf.registerGradient(yours)`. With `tf.env().set('DEBUG', true)` a refused registration is logged.
 */
import type { GradConfig } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's own accessor of its process-wide singletons (bundled into `dist`, like the gradients).
import { getGlobal } from '@tensorflow/tfjs-core/dist/global_util';
import { batchMatMulGradConfig } from './batch_mat_mul.js';

/** The gradients `@pir/runtime` corrects, and keeps registered. */
const RUNTIME_GRADIENTS: readonly GradConfig[] = [batchMatMulGradConfig];

/** Key of the guard state on the registry `Map`, the same for every copy of `@pir/runtime`. */
const GUARD = Symbol.for('@pir/runtime/gradient-guard');

interface GuardState {
  /** Kernel name → the config that stays registered for it. */
  readonly kept: Map<string, GradConfig>;
}

type GradRegistry = Map<string, GradConfig> & { [GUARD]?: GuardState };

/** tfjs's gradient registry (the one `tf.registerGradient` / `tf.getGradient` use, whatever the copy). */
function gradRegistry(): GradRegistry {
  return getGlobal('gradRegistry', () => new Map<string, GradConfig>());
}

function guardedSet(this: GradRegistry, kernelName: string, config: GradConfig): GradRegistry {
  const kept = this[GUARD]?.kept.get(kernelName);
  if (kept !== undefined && config !== kept) {
    if (tf.env().getBool('DEBUG')) {
      console.warn(
        `@pir/runtime: kept its corrected '${kernelName}' gradient (a later registration, e.g. tfjs-core's stock one loaded with @tensorflow/tfjs-layers, was refused); call tf.unregisterGradient('${kernelName}') first to register another`,
      );
    }
    return this;
  }
  Map.prototype.set.call(this, kernelName, config);
  return this;
}

function guardedDelete(this: GradRegistry, kernelName: string): boolean {
  this[GUARD]?.kept.delete(kernelName);
  return Map.prototype.delete.call(this, kernelName);
}

function guardedClear(this: GradRegistry): void {
  this[GUARD]?.kept.clear();
  Map.prototype.clear.call(this);
}

function installGuard(registry: GradRegistry): GuardState {
  const existing = registry[GUARD];
  if (existing !== undefined) return existing;
  const state: GuardState = { kept: new Map() };
  const method = (value: unknown) => ({ value, configurable: true, writable: true, enumerable: false });
  Object.defineProperties(registry, {
    [GUARD]: { value: state, configurable: true },
    set: method(guardedSet),
    delete: method(guardedDelete),
    clear: method(guardedClear),
  });
  return state;
}

/**
 * Register `@pir/runtime`'s corrected gradients (`BatchMatMul`: broadcast operands such as
 * `matMul(x [B,S,D], w [D,E])`) and keep them registered: a later `tf.registerGradient` of another config for
 * those kernels — tfjs-core's stock ones, registered again by `@tensorflow/tfjs-layers` or `@tensorflow/tfjs`
 * when they load — is refused (see the module notes). Importing `@pir/runtime` calls it; calling it again is
 * harmless (idempotent) and re-registers ours after a deliberate `tf.unregisterGradient`.
 *
 * No longer needed after importing tfjs-layers: the import order does not matter any more.
 *
 * @example
 * ```ts
 * import '@pir/runtime';
 * import '@tensorflow/tfjs-layers'; // registers tfjs-core's stock gradients again: refused for BatchMatMul
 * // tf.grad through tf.matMul(x [B,S,D], w [D,E]) works, no registerRuntimeGradients() call needed
 * ```
 */
export function registerRuntimeGradients(): void {
  const registry = gradRegistry();
  const state = installGuard(registry);
  for (const config of RUNTIME_GRADIENTS) {
    state.kept.set(config.kernelName, config);
    Map.prototype.set.call(registry, config.kernelName, config);
  }
}
