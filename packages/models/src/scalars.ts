/**
 * The learned scalars of the PIR models (temperatures, CLIP's logit scale) as `@pir/nn` named parameters,
 * so they load and save with the rest of the model's state dict.
 */
import type { LearnableTemperature, LogitScale } from '@pir/losses';
import { type NamedParameter, ZEROS } from '@pir/nn';

/**
 * A temperature (`temp`, `temp_center`: τ as stored by its variable) or CLIP's `logit_scale` (log of the
 * scale) as a shape-`[]` named parameter. (`init` is informative only: the variable exists already.)
 */
export function temperatureParameter(
  name: string,
  scalar: LearnableTemperature | LogitScale,
): NamedParameter {
  return { spec: { name, shape: [], init: ZEROS }, variable: scalar.variable };
}
