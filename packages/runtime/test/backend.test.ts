import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, initBackend } from '../src/index.js';

describe('initBackend', () => {
  it('initialises wasm (the default) and reports SIMD and threads', async () => {
    const info = await initBackend({ threads: 1 });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(1);
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
  });

  it('initialises cpu', async () => {
    const info = await initBackend({ backend: 'cpu' });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('refuses an unknown backend with a reason, never falling back', async () => {
    await expect(initBackend({ backend: 'nope' as never })).rejects.toThrow(BackendUnavailableError);
    await expect(initBackend({ backend: 'nope' as never })).rejects.toThrow(/unknown backend name/);
  });
});
