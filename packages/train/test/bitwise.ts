/** Bit-for-bit comparison of state dicts (the exact-resume tests). */
import type { StateDict } from '@pir/nn';
import { expect } from 'vitest';

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Every tensor of two state dicts equal bit for bit (same keys, same bytes); returns how many values. */
export function expectBitwiseEqual(a: StateDict, b: StateDict, what: string): number {
  expect([...a.keys()], `${what}: keys`).toEqual([...b.keys()]);
  let n = 0;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (y === undefined) expect.fail(`${what}: '${k}' is missing`);
    const xa = bytesOf(x.data as ArrayBufferView);
    const ya = bytesOf(y.data as ArrayBufferView);
    if (xa.length !== ya.length || xa.some((v, i) => v !== ya[i])) expect.fail(`${what}: '${k}' differs`);
    n += x.data.length;
  }
  return n;
}
