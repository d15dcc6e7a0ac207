/** Helpers of the models' golden tests: fixture state dicts and encoder stubs. */
import { float32FromBase64 } from '@pir/test-utils';

/** A fixture tensor: its shape and float32 little-endian values in base64. */
export interface F32Entry {
  shape: number[];
  f32: string;
}

/** A fixture state dict as `{name → {shape, data}}` (what the models' and encoders' loaders take). */
export function decodeState(
  sd: Record<string, F32Entry>,
): Record<string, { shape: number[]; data: Float32Array }> {
  return Object.fromEntries(
    Object.entries(sd).map(([k, e]) => [k, { shape: e.shape, data: float32FromBase64(e.f32) }]),
  );
}

/** An encoder of width `dim` whose `encode` must not be called (the heads are fed fixture outputs). */
export function stub(dim: number, role: string): { dim: number; encode(): never } {
  return {
    dim,
    encode(): never {
      throw new Error(`the ${role} encoder stub is not used by imageHead / textHead`);
    },
  };
}
