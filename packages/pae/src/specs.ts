/**
 * Parameter lists of the PAE modules, named and shaped as in the released PIR checkpoints
 * (`img_sa.0.mhatt.linear_q.weight` [out, in], …) with `@pir/nn`'s one {@link ParamSpec}: Linear weights
 * have layout `'linear'` (the variable is [in, out]) and PyTorch's default initialisation.
 */
import { joinName, layerNormSpecs, linearSpecs, type ParamSpec } from '@pir/nn';

/** `linear_v`, `linear_k`, `linear_q`, `linear_merge` (D → D each), the released `MHAtt`. */
export function mhaSpecs(name: string, d: number): ParamSpec[] {
  return ['linear_v', 'linear_k', 'linear_q', 'linear_merge'].flatMap((l) =>
    linearSpecs(joinName(name, l), d, d),
  );
}

/** FFN: Linear(D→2D) `.0`, LayerNorm(2D) `.1`, Linear(2D→D) `.3`. */
export function ffnSpecs(name: string, d: number): ParamSpec[] {
  return [
    ...linearSpecs(joinName(name, '0'), d, 2 * d),
    ...layerNormSpecs(joinName(name, '1'), 2 * d),
    ...linearSpecs(joinName(name, '3'), 2 * d, d),
  ];
}

function blockSpecs(name: string, d: number, attention: 'mhatt' | 'mhatt_cross'): ParamSpec[] {
  return [
    ...mhaSpecs(joinName(name, attention), d),
    ...ffnSpecs(joinName(name, 'ffn'), d),
    ...layerNormSpecs(joinName(name, 'norm1'), d),
    ...layerNormSpecs(joinName(name, 'norm2'), d),
  ];
}

/** SA block: `mhatt.*`, `ffn.*`, `norm1.*`, `norm2.*`. */
export const saSpecs = (name: string, d: number): ParamSpec[] => blockSpecs(name, d, 'mhatt');
/** CA block: `mhatt_cross.*`, `ffn.*`, `norm1.*`, `norm2.*`. */
export const caSpecs = (name: string, d: number): ParamSpec[] => blockSpecs(name, d, 'mhatt_cross');

/** A PAE stack: `layers` SA blocks, then the CA blocks, then the mapping Linears (released order). */
export function paeSpecs(
  names: { sa: string; ca: string; mapping: string },
  layers: number,
  d: number,
): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (let i = 0; i < layers; i++) out.push(...saSpecs(`${names.sa}.${i}`, d));
  for (let i = 0; i < layers; i++) out.push(...caSpecs(`${names.ca}.${i}`, d));
  for (let i = 0; i < layers; i++) out.push(...linearSpecs(`${names.mapping}.${i}`, d, d));
  return out;
}

/**
 * The PyTorch name of a parameter name of `@pir/pae` 0.1 (`X.kernel` → `X.weight`); names are PyTorch's
 * already since 0.2. @deprecated parameter names are PyTorch names now.
 */
export function torchName(name: string): string {
  return name.endsWith('.kernel')
    ? `${name.slice(0, -'.kernel'.length)}.weight`
    : name === 'kernel'
      ? 'weight'
      : name;
}
