/**
 * The PyTorch golden convolutions of `tools/golden/winograd_conv.py` (`fixtures/winograd-conv.json`), decoded:
 * inputs are int8 bytes times 2^-shift (exact float32), expected outputs float32 little-endian (base64).
 * Shared by `kernels_winograd.test.ts` and the threaded child process of `kernels_winograd_threads.node.test.ts`.
 */
import { bytesFromBase64, float32FromBase64 } from '@pir/test-utils';

/** A 3 × 3 stride-1 convolution case: x NHWC, filter HWIO, optional bias, activation after the bias. */
export interface WinogradCase {
  name: string;
  pad: 'same' | 'valid' | number[][];
  activation: 'linear' | 'relu' | 'relu6';
  x: { shape: number[]; values: Float32Array };
  filter: { shape: number[]; values: Float32Array };
  bias: { shape: number[]; values: Float32Array } | null;
  y: { shape: number[]; values: Float32Array };
  /** max |conv + bias| before the activation (the scale of the sums whose rounding the tolerances bound). */
  scale: number;
}

interface Packed {
  shape: number[];
  shift?: number;
  int8?: string;
  f32?: string;
}

function decode(p: Packed): { shape: number[]; values: Float32Array } {
  if (p.int8 !== undefined) {
    const q = new Int8Array(bytesFromBase64(p.int8).buffer);
    const scale = 2 ** -(p.shift ?? 0);
    return { shape: p.shape, values: Float32Array.from(q, (k) => k * scale) };
  }
  return { shape: p.shape, values: float32FromBase64(p.f32 ?? '') };
}

/** Decode the parsed fixture JSON. */
export function decodeWinogradCases(fx: unknown): WinogradCase[] {
  const raw = (fx as { cases: Record<string, unknown>[] }).cases;
  return raw.map((c) => ({
    name: c.name as string,
    pad: c.pad as WinogradCase['pad'],
    activation: c.activation as WinogradCase['activation'],
    x: decode(c.x as Packed),
    filter: decode(c.filter as Packed),
    bias: c.bias == null ? null : decode(c.bias as Packed),
    y: decode(c.y as Packed),
    scale: c.scale as number,
  }));
}

/** Human-readable label of a case, e.g. `a: x [2,10,9,16] w [3,3,16,24] bias same relu`. */
export function caseLabel(c: WinogradCase): string {
  const pad = typeof c.pad === 'string' ? c.pad : `explicit ${JSON.stringify(c.pad)}`;
  return `${c.name}: x [${c.x.shape}] w [${c.filter.shape}]${c.bias ? ' bias' : ''} ${pad} ${c.activation}`;
}
