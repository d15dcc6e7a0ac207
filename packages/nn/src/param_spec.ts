/**
 * {@link ParamSpec}: the one declaration of a parameter in every `@pir/*` model.
 *
 * A parameter is named and shaped **as in PyTorch** (`'layer1.0.conv1.weight'`, a Linear weight [out, in]),
 * so PyTorch state dicts load by name; its tfjs variable holds the **tfjs layout**, which `layout` relates to
 * PyTorch's:
 *
 * | layout     | PyTorch shape     | tfjs variable       |
 * |------------|-------------------|---------------------|
 * | `'same'`   | any               | same                |
 * | `'linear'` | [out, in]         | [in, out] (`x · W`) |
 * | `'conv2d'` | [O, I, kH, kW]    | [kH, kW, I, O]      |
 *
 * So `store.get('fc.weight')` of a Linear(3 → 4) has shape [3, 4]. The same rule holds for the functional
 * forms' parameter records ({@link Params}): keys are PyTorch names, values are tfjs layout.
 */
import { numel } from './state_dict/types.js';

/** How a PyTorch tensor maps onto the tfjs variable (see the module doc). */
export type TorchLayout = 'same' | 'linear' | 'conv2d';

/** How a parameter starts when a model is trained from scratch. */
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
  /** PyTorch shape (a Linear weight is [out, in]). */
  shape: number[];
  /** Layout of the tfjs variable relative to PyTorch; default `'same'`. */
  layout?: TorchLayout;
  init: ParamInit;
  /**
   * `false` for buffers (BatchNorm running statistics): loaded from and saved to state dicts, never trained,
   * not counted by {@link countParameters} (PyTorch's `parameters()` excludes buffers too). Default `true`.
   */
  trainable?: boolean;
}

/** `{ kind: 'zeros' }` */
export const ZEROS: ParamInit = { kind: 'zeros' };
/** `{ kind: 'ones' }` */
export const ONES: ParamInit = { kind: 'ones' };
/** N(0, std²). */
export const normalInit = (std: number): ParamInit => ({ kind: 'normal', std });
/** U(−limit, limit). */
export const uniformInit = (limit: number): ParamInit => ({ kind: 'uniform', limit });
/** PyTorch's default for `nn.Linear` weight and bias (and `nn.Conv2d`): U(±1/√fanIn). */
export const torchDefaultInit = (fanIn: number): ParamInit => uniformInit(1 / Math.sqrt(fanIn));

/** The tfjs shape of a parameter with PyTorch shape `shape`. */
export function tfShape(shape: readonly number[], layout: TorchLayout = 'same'): number[] {
  if (layout === 'linear') return [shape[1] as number, shape[0] as number];
  if (layout === 'conv2d')
    return [shape[2] as number, shape[3] as number, shape[1] as number, shape[0] as number];
  return [...shape];
}

/** The permutation taking a PyTorch tensor to the tfjs layout (`null` when the layouts agree). */
export function torchToTfPerm(layout: TorchLayout = 'same'): number[] | null {
  if (layout === 'linear') return [1, 0];
  if (layout === 'conv2d') return [2, 3, 1, 0];
  return null;
}

/** The permutation taking the tfjs layout back to PyTorch's (`null` when the layouts agree). */
export function tfToTorchPerm(layout: TorchLayout = 'same'): number[] | null {
  if (layout === 'linear') return [1, 0];
  if (layout === 'conv2d') return [3, 2, 0, 1];
  return null;
}

/**
 * Number of parameters (PyTorch `sum(p.numel() for p in model.parameters())`: buffers excluded) of a list of
 * specs, without allocating anything.
 * @example
 * ```ts
 * countParameters(linearSpecs('fc', 3, 4)); // 16
 * ```
 */
export function countParameters(specs: readonly ParamSpec[]): number {
  let n = 0;
  for (const s of specs) if (s.trainable !== false) n += numel(s.shape);
  return n;
}

/** `<prefix>.<name>`, or `name` alone when the prefix is empty. */
export function joinName(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}
