// As an app does: the optional backends are imported once, initBackend picks them up.
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';

describe('initBackend in Chromium', () => {
  afterAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  for (const backend of ['webgl', 'webgpu'] as const) {
    it(`initialises ${backend} and computes a matMul`, async () => {
      const info = await initBackend({ backend });
      expect(info.name).toBe(backend);
      expect(info.environment).toBe('browser');
      expect(tf.getBackend()).toBe(backend);
      if (backend === 'webgpu') expect(info.adapter?.vendor ?? '').toMatch(/\w/);
      const y = tf.matMul(tf.ones([8, 16]), tf.ones([16, 4]));
      expect(Array.from(await y.data())).toEqual(new Array(32).fill(16));
      y.dispose();
    });
  }

  it('refuses wasm threads on a page that is not cross-origin isolated, saying what to do', async () => {
    await expect(initBackend({ backend: 'wasm', threads: 2 })).rejects.toThrow(/Cross-Origin-Opener-Policy/);
  });

  it("refuses 'tensorflow' outside Node", async () => {
    await expect(initBackend({ backend: 'tensorflow' })).rejects.toThrow(/does not run in the browser/);
  });
});
