import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, initBackend } from '../src/index.js';

describe('initBackend in Node', () => {
  afterAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it("explains why 'tensorflow' is unavailable when tfjs-node is not installed, without falling back", async () => {
    const before = tf.getBackend();
    const err = await initBackend({ backend: 'tensorflow' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/@tensorflow\/tfjs-node-gpu.*@tensorflow\/tfjs-node/s);
    expect((err as Error).message).toMatch(/Install @tensorflow\/tfjs-node/);
    expect(tf.getBackend()).toBe(before);
  });

  it('refuses browser-only backends by name', async () => {
    await expect(initBackend({ backend: 'webgl' })).rejects.toThrow(/does not run in Node/);
  });

  it("'auto' records what it skipped and why", async () => {
    const info = await initBackend({ backend: 'auto', threads: 1 });
    expect(info.skipped[0]?.name).toBe('tensorflow');
    expect(info.skipped[0]?.reason).toMatch(/tfjs-node/);
    // the only WebGPU adapter here is SwiftShader (software): 'auto' must pass it over for wasm
    expect(info.name).toBe('wasm');
    const webgpu = info.skipped.find((x) => x.name === 'webgpu');
    expect(webgpu?.reason).toMatch(/software adapter|no GPU adapter/);
    expect(tf.getBackend()).toBe(info.name);
  });

  it('rejects a bad thread count', async () => {
    const err = await initBackend({ backend: 'wasm', threads: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).where).toBe('initBackend');
    expect((err as Error).message).toMatch(
      /^initBackend: backend 'wasm' is not available: threads must be a positive integer, got 0$/,
    );
  });
});
