/**
 * The counter hash of `tools/golden/belief_pae.py` (real-size fixtures store seeds, not weights):
 * `u_i = splitmix32-finaliser(seed + (i+1)·0x9E3779B9 mod 2^32) / 2^32`, `x_i = center + scale·(2u_i − 1)`.
 */
export function hashTensor(seed: number, shape: number[], center: number, scale: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = (seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    out[i] = center + scale * (2 * (z / 4294967296) - 1);
  }
  return out;
}
