/**
 * How the wasm repairs hold the stock kernels they hand cases back to (`src/kernels/repair_config.ts`): each
 * registered repair holds its stock config and carries its setup; registering again builds on the same stock
 * configs (never a repair over a repair); the hand-back paths still reach the stock kernels.
 * A second backend instance: `kernels_backend_instances.node.test.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { repairWasmKernels, wasmRepairConfigs } from '../src/kernels/index.js';
import { isRepairConfig, type RepairConfig, stockConfig, stockOf } from '../src/kernels/repair_config.js';

const REPAIRED = [
  'BatchMatMul',
  'UnsortedSegmentSum',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Einsum',
  'Slice',
  'SplitV',
  'Transpose',
  'Conv2D',
  'FusedConv2D',
];

function registered(name: string): RepairConfig {
  const config = tf.getKernel(name, 'wasm');
  if (!isRepairConfig(config)) throw new Error(`'${name}' is not a @pir/runtime repair on wasm`);
  return config;
}

describe('wasm kernel repairs: explicit stock kernels', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'wasm', threads: 1 });
    expect(info.repairedKernels).toEqual(REPAIRED);
  });

  it('each registered repair holds the stock config it stands in for, and carries its setup/dispose', () => {
    for (const name of REPAIRED) {
      const repair = registered(name);
      const stock = stockOf(repair);
      expect(isRepairConfig(stock), name).toBe(false);
      expect(stockConfig(name), name).toBe(stock);
      expect(repair.setupFunc, name).toBe(stock?.setupFunc);
      expect(repair.disposeFunc, name).toBe(stock?.disposeFunc);
    }
    // what tfjs-backend-wasm 4.22 has (and so what the repairs hand back to) and lacks
    for (const name of ['BatchMatMul', 'Slice', 'SplitV', 'Transpose', 'Conv2D', 'FusedConv2D']) {
      expect(stockOf(registered(name))?.kernelFunc, name).toBeTypeOf('function');
    }
    for (const name of ['UnsortedSegmentSum', 'Conv2DBackpropFilter', 'Einsum']) {
      expect(stockOf(registered(name)), name).toBeUndefined();
    }
    // the stock BatchMatMul binds its wasm function per backend instance: the repair keeps that setup
    expect(registered('BatchMatMul').setupFunc).toBeTypeOf('function');
  });

  it('registering again builds on the same stock configs (no repair over a repair)', () => {
    const before = new Map(REPAIRED.map((n) => [n, stockOf(registered(n))]));
    const configsBefore = new Map(REPAIRED.map((n) => [n, registered(n)]));
    expect(repairWasmKernels()).toEqual(REPAIRED);
    expect(repairWasmKernels()).toEqual(REPAIRED);
    for (const name of REPAIRED) {
      expect(registered(name), name).not.toBe(configsBefore.get(name)); // fresh configs …
      expect(stockOf(registered(name)), name).toBe(before.get(name)); // … on the same stock ones
    }
  });

  it('wasmRepairConfigs() builds configs without registering them', () => {
    const current = REPAIRED.map((n) => tf.getKernel(n, 'wasm'));
    const built = wasmRepairConfigs();
    expect(built.map((c) => c.kernelName)).toEqual(REPAIRED);
    expect(REPAIRED.map((n) => tf.getKernel(n, 'wasm'))).toEqual(current);
    for (const c of built) expect(stockOf(c as RepairConfig)).toBe(stockConfig(c.kernelName));
  });

  it('the hand-back paths reach the stock kernels (string Slice, int32 BatchMatMul, 5 × 5 Conv2D)', async () => {
    await tf.setBackend('wasm');
    const s = tf.tensor(['a', 'b', 'c', 'd', 'e', 'f'], [2, 3]);
    const sliced = tf.slice(s, [0, 1], [2, 2]);
    expect(await sliced.array()).toEqual([
      ['b', 'c'],
      ['e', 'f'],
    ]);
    // tfjs-backend-wasm 4.22's own message: the int32 case went to the stock kernel
    const i = tf.tensor([1, 2, 3, 4], [2, 2], 'int32');
    expect(() => tf.matMul(i, i)).toThrow('BatchMatMul for non non-float32 tensors not yet supported.');
    const x = tf.ones([1, 6, 6, 2]) as tf.Tensor4D;
    const f = tf.ones([5, 5, 2, 3]) as tf.Tensor4D;
    const y = tf.conv2d(x, f, 1, 'valid');
    expect(Array.from(await y.data())).toEqual(new Array(4 * 3).fill(50));
    tf.dispose([s, sliced, i, x, f, y]);
  });
});
