import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';

describe('initBackend webgpu in Node (Dawn)', () => {
  afterAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  // tools/test-utils/src/node_setup.ts points Vulkan at SwiftShader when no driver is configured
  it('runs on a software Vulkan adapter and reports it', async () => {
    const info = await initBackend({ backend: 'webgpu' });
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.adapter?.vendor).toMatch(/\w/);
    expect(info.adapter?.description).toMatch(/\w/);
    const y = tf.matMul(tf.ones([8, 16]), tf.ones([16, 4]));
    expect(Array.from(await y.data())).toEqual(new Array(32).fill(16));
    y.dispose();
  });
});
