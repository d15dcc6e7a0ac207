/**
 * Private helpers shared by the tests of every `@pir/*` package (Node and Chromium alike).
 */
import { type BackendName, initBackend, Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect } from 'vitest';

/** The backends every backend-agnostic test runs on, in Node and in Chromium. */
export const TEST_BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

/** True in the browser project. */
export const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

/** Absolute/relative tolerance for float32 comparisons per backend (wasm uses fused SIMD kernels). */
export function tolerance(backend: string = tf.getBackend()): { atol: number; rtol: number } {
  return backend === 'cpu' ? { atol: 1e-5, rtol: 1e-5 } : { atol: 1e-4, rtol: 1e-4 };
}

/**
 * `describe` once per test backend; the backend is initialised in `beforeAll`.
 * @example describeBackends('belief', (backend) => { it('…', () => { … }); });
 */
export function describeBackends(
  name: string,
  body: (backend: BackendName) => void,
  backends: readonly BackendName[] = TEST_BACKENDS,
): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await initBackend({ backend, threads: 1 });
      });
      body(backend);
    });
  }
}

/** Run `fn` (sync or async) and assert it leaves no tensor and no variable behind. Returns its result. */
export async function expectNoLeak<T>(fn: () => T | Promise<T>, what = 'function'): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  expect(after - before, `${what} leaked ${after - before} tensor(s)`).toBe(0);
  return result;
}

/** Values of a tensor or array as a plain number array. */
export async function values(x: tf.Tensor | ArrayLike<number> | number[]): Promise<number[]> {
  if (x instanceof tf.Tensor) return Array.from(await x.data());
  return Array.from(x as ArrayLike<number>);
}

/**
 * Assert |a − e| ≤ atol + rtol·|e| element-wise (numpy's `allclose`), reporting the worst element.
 */
export async function expectAllClose(
  actual: tf.Tensor | ArrayLike<number> | number[],
  expected: tf.Tensor | ArrayLike<number> | number[],
  tol: { atol?: number; rtol?: number } = tolerance(),
  what = 'values',
): Promise<void> {
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor) {
    expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  }
  const a = await values(actual);
  const e = await values(expected);
  expect(a.length, `${what}: length`).toBe(e.length);
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-5;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    const ei = e[i] as number;
    if (Number.isNaN(ai) !== Number.isNaN(ei)) {
      worst = i;
      worstExcess = Number.POSITIVE_INFINITY;
      break;
    }
    const excess = Math.abs(ai - ei) - (atol + rtol * Math.abs(ei));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what}: element ${worst} is ${a[worst]}, expected ${e[worst]} (atol ${atol}, rtol ${rtol}; ${a.length} elements)`,
    );
  }
}

/** `size` deterministic values uniform in [-1, 1) from the project's seeded {@link Rng}. */
export function seededValues(size: number, seed: number): Float32Array {
  return new Rng(seed).fillUniform(new Float32Array(size), -1, 1);
}

/**
 * `n` unit vectors [n × dim] around `clusters` random centres: a mixture of Gaussians (`spread` per
 * dimension), seeded — embeddings with structure, for testing searches against brute force.
 */
export function clusteredUnitVectors(
  n: number,
  dim: number,
  seed: number,
  { clusters = 12, spread = 0.6 }: { clusters?: number; spread?: number } = {},
): Float32Array {
  const rng = new Rng(seed);
  const centres = Float32Array.from({ length: clusters * dim }, () => rng.normal());
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters);
    let ss = 0;
    for (let j = 0; j < dim; j++) {
      const v = (centres[c * dim + j] as number) + spread * rng.normal();
      x[i * dim + j] = v;
      ss += v * v;
    }
    for (let j = 0; j < dim; j++) x[i * dim + j] = (x[i * dim + j] as number) / Math.sqrt(ss);
  }
  return x;
}

/** Bytes of a base64 string (fixtures store binary data this way; Node and Chromium alike). */
export function bytesFromBase64(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** float32 little-endian values stored as base64 (the golden scripts' `f32` fields). */
export function float32FromBase64(b64: string): Float32Array {
  const bytes = bytesFromBase64(b64);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}
