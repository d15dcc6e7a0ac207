/**
 * {@link ParamSpec} builders for the PyTorch modules the encoders are made of, with PyTorch's parameter names
 * (`<prefix>.weight`, `<prefix>.bias`, `running_mean`, …) and plain initialisers (weights are normally loaded).
 */
import type { ParamSpec } from './params.js';

const join = (prefix: string, name: string) => (prefix === '' ? name : `${prefix}.${name}`);

/** `nn.Linear(inF, outF, bias)`: `weight` [out, in] (layout 'linear'), `bias` [out]. */
export function linearSpecs(prefix: string, inF: number, outF: number, bias = true, std = 0.02): ParamSpec[] {
  const s: ParamSpec[] = [
    { name: join(prefix, 'weight'), shape: [outF, inF], layout: 'linear', init: { kind: 'normal', std } },
  ];
  if (bias) s.push({ name: join(prefix, 'bias'), shape: [outF], init: { kind: 'zeros' } });
  return s;
}

/** `nn.LayerNorm(d)`: `weight` [d] = 1, `bias` [d] = 0. */
export function layerNormSpecs(prefix: string, d: number): ParamSpec[] {
  return [
    { name: join(prefix, 'weight'), shape: [d], init: { kind: 'ones' } },
    { name: join(prefix, 'bias'), shape: [d], init: { kind: 'zeros' } },
  ];
}

/** `nn.Conv2d(inC, outC, k, bias)`: `weight` [O, I, k, k] (layout 'conv2d', He-normal), `bias` [O]. */
export function conv2dSpecs(prefix: string, inC: number, outC: number, k: number, bias = false): ParamSpec[] {
  const s: ParamSpec[] = [
    {
      name: join(prefix, 'weight'),
      shape: [outC, inC, k, k],
      layout: 'conv2d',
      init: { kind: 'normal', std: Math.sqrt(2 / (outC * k * k)) },
    },
  ];
  if (bias) s.push({ name: join(prefix, 'bias'), shape: [outC], init: { kind: 'zeros' } });
  return s;
}

/** `nn.BatchNorm2d(c)`: `weight`, `bias` (trainable), `running_mean`, `running_var` (buffers). */
export function batchNormSpecs(prefix: string, c: number): ParamSpec[] {
  return [
    { name: join(prefix, 'weight'), shape: [c], init: { kind: 'ones' } },
    { name: join(prefix, 'bias'), shape: [c], init: { kind: 'zeros' } },
    { name: join(prefix, 'running_mean'), shape: [c], init: { kind: 'zeros' }, trainable: false },
    { name: join(prefix, 'running_var'), shape: [c], init: { kind: 'ones' }, trainable: false },
  ];
}

/** `nn.Embedding(n, d)`: `weight` [n, d]. */
export function embeddingSpecs(prefix: string, n: number, d: number, std = 0.02): ParamSpec[] {
  return [{ name: join(prefix, 'weight'), shape: [n, d], init: { kind: 'normal', std } }];
}

/** `<prefix>.<name>` (or `name` when the prefix is empty). */
export const joinName = join;
