import { PirError } from './errors.js';

/**
 * The seeded random number generator every `@pir/*` package draws from: weight initialisation, shuffling,
 * augmentation, dropout seeds, synthetic data. One algorithm everywhere means a run is reproduced by its seed
 * alone, on any backend, in Node and in the browser.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna) — 128-bit state, period 2^128 − 1, all 32-bit integer maths so
 * results are identical on every JS engine. The state is seeded from a 32-bit seed (or a string) through
 * splitmix32, so nearby seeds give unrelated streams.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.float();              // 0.8331… — uniform in [0, 1)
 * rng.int(10);              // an integer in [0, 10), unbiased
 * rng.shuffle([1, 2, 3]);   // in place, Fisher–Yates
 * const aug = rng.fork('augment'); // an independent stream that does not disturb `rng`
 * ```
 *
 * Bad arguments (a seed that is not a finite integer or a string, `int(0)`, a malformed state) throw a
 * {@link PirError} whose `where` is the method called (`'Rng'` for a seed, `'Rng.int'`, …) and whose
 * `argument` is the argument at fault (`'seed'`, `'n'`, `'key'`, `'state'`).
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Second normal deviate of the last Box–Muller pair, or NaN when none is cached. */
  private spare = Number.NaN;

  /** @param seed a 32-bit integer or any string (hashed); the same seed always gives the same stream. */
  constructor(seed: number | string = 0) {
    this.reseed(seed);
  }

  /** Restart the stream from `seed`. */
  reseed(seed: number | string): void {
    let x = typeof seed === 'string' ? hashString(seed) : checkSeed(seed, 'Rng', 'seed');
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
    this.spare = Number.NaN;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.float();
  }

  /** Unbiased integer in [0, n) (rejection sampling), `n` a positive integer ≤ 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new PirError('Rng.int', 'n', `Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Standard normal deviate (Box–Muller, the pair's second value is cached). */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = Number.NaN;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** True with probability `p`. */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** Shuffle `array` in place (Fisher–Yates) and return it. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i] as T;
      array[i] = array[j] as T;
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of `0..n-1`. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = p[i] as number;
      p[i] = p[j] as number;
      p[j] = tmp;
    }
    return p;
  }

  /** Fill `out` with uniform values in [lo, hi). */
  fillUniform<A extends Float32Array | Float64Array>(out: A, lo = 0, hi = 1): A {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.float();
    return out;
  }

  /** Fill `out` with normal values. With `truncate`, values beyond ±truncate·std are redrawn. */
  fillNormal<A extends Float32Array | Float64Array>(out: A, mean = 0, std = 1, truncate?: number): A {
    for (let i = 0; i < out.length; i++) {
      let z = this.normal();
      if (truncate !== undefined) while (Math.abs(z) > truncate) z = this.normal();
      out[i] = mean + std * z;
    }
    return out;
  }

  /** A 31-bit seed for tfjs ops that take a numeric `seed` (e.g. `tf.dropout`, `tf.randomUniform`). */
  nextSeed(): number {
    return this.nextUint32() >>> 1;
  }

  /**
   * An independent generator derived from this one's current state and `key`, without advancing this one.
   * Use it to give each consumer (augmentation, dropout, a data loader worker) its own stream.
   */
  fork(key: string | number): Rng {
    const child = new Rng(0);
    const k = typeof key === 'string' ? hashString(key) : checkSeed(key, 'Rng.fork', 'key');
    child.reseed((this.s0 ^ Math.imul(this.s1, 0x9e3779b1) ^ rotl(this.s2, 13) ^ this.s3 ^ k) | 0);
    // mix a second time so that forks of adjacent keys are unrelated
    child.reseed((child.nextUint32() ^ hashString(String(key))) | 0);
    return child;
  }

  /** The full state, to checkpoint (e.g. to resume a shuffle mid-epoch). */
  getState(): RngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spare: this.spare };
  }

  /** Restore a state from {@link Rng.getState}. */
  setState(state: RngState): void {
    const s = state?.s;
    if (
      !Array.isArray(s) ||
      s.length !== 4 ||
      s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    ) {
      throw new PirError(
        'Rng.setState',
        'state',
        `Rng.setState: expected {s: [4 uint32 values], spare} (from getState()), got ${JSON.stringify(state)}`,
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = s.map((v) => v | 0) as [number, number, number, number];
    this.spare = state.spare === null || state.spare === undefined ? Number.NaN : state.spare;
  }
}

/** Serializable generator state (JSON-safe except `spare`, which may be NaN → write it as null). */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** `seed` as a 32-bit integer; otherwise a {@link PirError} of `where` (the method called) and `argument`. */
function checkSeed(seed: number, where: string, argument: string): number {
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new PirError(
      where,
      argument,
      `${where}: ${argument} must be a finite integer or a string, got ${typeof seed === 'number' ? seed : typeof seed}`,
    );
  }
  return seed | 0;
}

/** FNV-1a 32-bit hash of a string (UTF-16 code units). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

let globalRng = new Rng(0);

/** The process-wide default generator (seed 0 until {@link setGlobalSeed} is called). */
export function getGlobalRng(): Rng {
  return globalRng;
}

/** Reseed the process-wide default generator; every package that is not handed an `Rng` draws from it. */
export function setGlobalSeed(seed: number | string): void {
  if (typeof seed !== 'string') checkSeed(seed, 'setGlobalSeed', 'seed');
  globalRng = new Rng(seed);
}
