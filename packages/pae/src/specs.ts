/**
 * Parameter lists of the PAE modules, named as the released PIR checkpoints (see `functional.ts` for the
 * one renaming rule: Linear `weight` [out, in] ↔ `kernel` [in, out]).
 */
import { join } from './functional.js';

/** One parameter: its name here, its shape here, and how it is initialised for training from scratch. */
export interface ParamSpec {
  /** e.g. `'img_sa.0.mhatt.linear_q.kernel'` */
  name: string;
  /** Shape in this package's layout ([in, out] for kernels). */
  shape: number[];
  /** `uniform`: U(−1/√fanIn, 1/√fanIn) (PyTorch's Linear default); `ones` / `zeros` (LayerNorm). */
  init: 'uniform' | 'ones' | 'zeros';
  fanIn?: number;
}

export function linearSpecs(name: string, inDim: number, outDim: number): ParamSpec[] {
  return [
    { name: join(name, 'kernel'), shape: [inDim, outDim], init: 'uniform', fanIn: inDim },
    { name: join(name, 'bias'), shape: [outDim], init: 'uniform', fanIn: inDim },
  ];
}

export function layerNormSpecs(name: string, dim: number): ParamSpec[] {
  return [
    { name: join(name, 'weight'), shape: [dim], init: 'ones' },
    { name: join(name, 'bias'), shape: [dim], init: 'zeros' },
  ];
}

export function mhaSpecs(name: string, d: number): ParamSpec[] {
  return ['linear_v', 'linear_k', 'linear_q', 'linear_merge'].flatMap((l) =>
    linearSpecs(join(name, l), d, d),
  );
}

export function ffnSpecs(name: string, d: number): ParamSpec[] {
  return [
    ...linearSpecs(join(name, '0'), d, 2 * d),
    ...layerNormSpecs(join(name, '1'), 2 * d),
    ...linearSpecs(join(name, '3'), 2 * d, d),
  ];
}

function blockSpecs(name: string, d: number, attention: 'mhatt' | 'mhatt_cross'): ParamSpec[] {
  return [
    ...mhaSpecs(join(name, attention), d),
    ...ffnSpecs(join(name, 'ffn'), d),
    ...layerNormSpecs(join(name, 'norm1'), d),
    ...layerNormSpecs(join(name, 'norm2'), d),
  ];
}

export const saSpecs = (name: string, d: number): ParamSpec[] => blockSpecs(name, d, 'mhatt');
export const caSpecs = (name: string, d: number): ParamSpec[] => blockSpecs(name, d, 'mhatt_cross');

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

/** PyTorch name and shape of a parameter of ours. */
export function torchName(name: string): string {
  return name.endsWith('.kernel')
    ? `${name.slice(0, -'.kernel'.length)}.weight`
    : name === 'kernel'
      ? 'weight'
      : name;
}

export function torchShape(spec: ParamSpec): number[] {
  return spec.name === 'kernel' || spec.name.endsWith('.kernel')
    ? [...spec.shape].reverse()
    : [...spec.shape];
}
