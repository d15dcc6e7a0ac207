/**
 * {@link ParamSpec} lists of the PyTorch modules the `@pir/*` models are built from, with PyTorch's parameter
 * names (`<prefix>.weight`, `<prefix>.bias`, `running_mean`, …) and PyTorch's default initialisation unless
 * told otherwise (pretrained weights are normally loaded over them).
 */
import {
  joinName,
  normalInit,
  ONES,
  type ParamInit,
  type ParamSpec,
  torchDefaultInit,
  ZEROS,
} from './param_spec.js';

/** Options of {@link linearSpecs}. */
export interface LinearSpecOptions {
  /** Add a bias (default true). */
  bias?: boolean;
  /** Initial weight; default PyTorch's `nn.Linear`: U(±1/√in). BERT / CLIP use `normalInit(0.02)`. */
  init?: ParamInit;
  /** Initial bias; default PyTorch's `nn.Linear`: U(±1/√in). BERT / CLIP use `ZEROS`. */
  biasInit?: ParamInit;
}

/**
 * `nn.Linear(inF, outF)`: `weight` [out, in] (layout `'linear'`: the variable is [in, out]), `bias` [out].
 * @example
 * ```ts
 * linearSpecs('fc', 3, 4).map((s) => s.name); // ['fc.weight', 'fc.bias']
 * ```
 */
export function linearSpecs(
  prefix: string,
  inF: number,
  outF: number,
  options: LinearSpecOptions = {},
): ParamSpec[] {
  const specs: ParamSpec[] = [
    {
      name: joinName(prefix, 'weight'),
      shape: [outF, inF],
      layout: 'linear',
      init: options.init ?? torchDefaultInit(inF),
    },
  ];
  if (options.bias ?? true)
    specs.push({
      name: joinName(prefix, 'bias'),
      shape: [outF],
      init: options.biasInit ?? torchDefaultInit(inF),
    });
  return specs;
}

/** `nn.LayerNorm(d)`: `weight` [d] = 1, `bias` [d] = 0. */
export function layerNormSpecs(prefix: string, d: number): ParamSpec[] {
  return [
    { name: joinName(prefix, 'weight'), shape: [d], init: ONES },
    { name: joinName(prefix, 'bias'), shape: [d], init: ZEROS },
  ];
}

/**
 * `nn.Conv2d(inC, outC, k)`: `weight` [O, I, k, k] (layout `'conv2d'`), `bias` [O] when `bias`.
 * Initial weight: He-normal over fan-out, N(0, 2/(O·k²)) — torchvision ResNet's `kaiming_normal_(mode='fan_out')`.
 */
export function conv2dSpecs(prefix: string, inC: number, outC: number, k: number, bias = false): ParamSpec[] {
  const specs: ParamSpec[] = [
    {
      name: joinName(prefix, 'weight'),
      shape: [outC, inC, k, k],
      layout: 'conv2d',
      init: normalInit(Math.sqrt(2 / (outC * k * k))),
    },
  ];
  if (bias) specs.push({ name: joinName(prefix, 'bias'), shape: [outC], init: ZEROS });
  return specs;
}

/** `nn.BatchNorm2d(c)`: `weight`, `bias` (trainable), `running_mean`, `running_var` (buffers). */
export function batchNormSpecs(prefix: string, c: number): ParamSpec[] {
  return [
    { name: joinName(prefix, 'weight'), shape: [c], init: ONES },
    { name: joinName(prefix, 'bias'), shape: [c], init: ZEROS },
    { name: joinName(prefix, 'running_mean'), shape: [c], init: ZEROS, trainable: false },
    { name: joinName(prefix, 'running_var'), shape: [c], init: ONES, trainable: false },
  ];
}

/** `nn.Embedding(n, d)`: `weight` [n, d], N(0, std²) (BERT / CLIP: 0.02). */
export function embeddingSpecs(prefix: string, n: number, d: number, std = 0.02): ParamSpec[] {
  return [{ name: joinName(prefix, 'weight'), shape: [n, d], init: normalInit(std) }];
}
