import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, getGlobalRng, initBackend, PirError } from '../src/index.js';
import { setupWasm } from '../src/wasm/setup.js';
import { expectRejectsPirError } from './pir_error_helpers.js';

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
    const err = await initBackend({ backend: 'nope' as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PirError);
    expect([(err as PirError).where, (err as PirError).argument]).toEqual(['initBackend', 'backend']);
  });

  it('rejects a bad seed before touching the backend or the global generator', async () => {
    const backend = tf.getBackend();
    const rng = getGlobalRng();
    const err = await expectRejectsPirError(
      initBackend({ backend: 'cpu', seed: 2.5 }),
      'initBackend',
      'seed',
      /^initBackend: seed must be a finite integer or a string, got 2.5$/,
    );
    expect((err.cause as PirError).where).toBe('setGlobalSeed');
    expect(getGlobalRng()).toBe(rng);
    expect(tf.getBackend()).toBe(backend);
  });
});

describe('setupWasm', () => {
  it('rejects a bad thread count before configuring anything', async () => {
    await expectRejectsPirError(
      setupWasm({ threads: 0, simd: true }),
      'setupWasm',
      'threads',
      /^setupWasm: threads must be a positive integer, got 0$/,
    );
    await expectRejectsPirError(setupWasm({ threads: 1.5, simd: false }), 'setupWasm', 'threads', /got 1.5/);
  });
});
