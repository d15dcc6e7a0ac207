/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}}`), then the raw
 * little-endian tensor bytes (offsets relative to the end of the header).
 * Spec: https://github.com/huggingface/safetensors#format
 */

import { DTYPE_BYTES, numel, type StateDict, type StateDType, type StateTensor } from '@pir/nn';
import { WeightsError } from './errors.js';

const TO_STATE: Readonly<Record<string, StateDType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
const FROM_STATE: Readonly<Record<StateDType, string>> = Object.fromEntries(
  Object.entries(TO_STATE).map(([k, v]) => [v, k]),
) as Record<StateDType, string>;

/** Largest header accepted (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

/** One tensor entry of a safetensors header. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** The parsed header of a safetensors file. */
export interface SafetensorsHeader {
  /** Tensor entries by name, in data order. */
  tensors: Map<string, SafetensorsEntry>;
  /** The free-form `__metadata__` strings (empty when absent). */
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

/** Options of the readers. */
export interface ReadOptions {
  /** File name used in error messages. */
  name?: string;
  /**
   * The most bytes the reader may allocate for tensors (and, for a deflated torch zip, for inflating it):
   * checked before anything is allocated, so a crafted file — a 1-element storage viewed with stride 0 as
   * 100,000 × 100,000 elements, a zip entry claiming gigabytes — fails with a `WeightsError` naming the tensor
   * instead of exhausting memory. Default: 4× the file size, at least 1 MiB — room for tensors that share a
   * storage (tied weights, views), which each get their own copy. Raise it only for a file you trust.
   */
  maxBytes?: number;
}

/**
 * Top-level keys of a JSON object text that occur more than once (`JSON.parse` keeps the last one silently).
 * The text must be valid JSON (it has been parsed already).
 */
function duplicateTopLevelKeys(text: string): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) dup.push(key);
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1 && c === '{') expectKey = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return dup;
}

/**
 * Parses and validates the header of a safetensors file: the header length inside the file, UTF-8 JSON, an
 * object, no name given twice, dtypes, shapes (non-negative safe integers, addressable), offsets
 * (non-negative safe integers) in range and consistent with dtype × shape, covering the data section without
 * holes or overlaps. Every problem is a `WeightsError` naming the file and the tensor.
 */
export function readSafetensorsHeader(bytes: Uint8Array, options: ReadOptions = {}): SafetensorsHeader {
  const src = options.name ?? 'safetensors';
  if (bytes.length < 8)
    throw new WeightsError(src, `file of ${bytes.length} bytes is too short for a header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.length) {
    throw new WeightsError(
      src,
      `header length ${n} exceeds the file (${bytes.length} bytes) or the 100 MB limit`,
    );
  }
  let json: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    json = JSON.parse(text);
  } catch (e) {
    throw new WeightsError(src, `header is not valid UTF-8 JSON: ${String(e)}`, undefined, { cause: e });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new WeightsError(src, 'header is not a JSON object');
  }
  const dup = duplicateTopLevelKeys(text);
  if (dup.length > 0)
    throw new WeightsError(
      src,
      `header names ${dup.length === 1 ? 'a tensor' : 'tensors'} twice: ${dup.map((d) => `'${d}'`).join(', ')}`,
      dup[0],
    );
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: [string, SafetensorsEntry][] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new WeightsError(src, '__metadata__ is not an object', '__metadata__');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new WeightsError(src, `__metadata__.${k} is not a string`, k);
        metadata[k] = v;
      }
      continue;
    }
    const e = value as Partial<SafetensorsEntry> | null;
    const dtype = e?.dtype;
    if (typeof dtype !== 'string' || !(dtype in TO_STATE)) {
      throw new WeightsError(
        src,
        `tensor '${name}' has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(TO_STATE).join(', ')}`,
        name,
      );
    }
    const shape = e?.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new WeightsError(src, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`, name);
    }
    const off = e?.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new WeightsError(src, `tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`, name);
    }
    const [begin, end] = off as [number, number];
    const want = numel(shape) * DTYPE_BYTES[TO_STATE[dtype] as StateDType];
    if (!Number.isSafeInteger(want))
      throw new WeightsError(src, `tensor '${name}' has a shape [${shape}] too large to address`, name);
    if (end < begin || end - begin !== want) {
      throw new WeightsError(
        src,
        `tensor '${name}' (${dtype} [${shape}]) needs ${want} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
        name,
      );
    }
    if (end > dataLength) {
      throw new WeightsError(
        src,
        `tensor '${name}' data_offsets end ${end} beyond the data section (${dataLength} bytes)`,
        name,
      );
    }
    entries.push([name, { dtype, shape: shape as number[], data_offsets: [begin, end] }]);
  }
  entries.sort(
    (a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1],
  );
  let pos = 0;
  for (const [name, e] of entries) {
    const [begin, end] = e.data_offsets;
    if (begin !== pos) {
      throw new WeightsError(
        src,
        `tensor '${name}' starts at ${begin} but the previous tensor ends at ${pos} (${begin < pos ? 'overlap' : 'hole'})`,
        name,
      );
    }
    pos = end;
  }
  if (pos !== dataLength)
    throw new WeightsError(src, `data section has ${dataLength} bytes but tensors cover ${pos}`);
  return { tensors: new Map(entries), metadata, dataStart };
}

/**
 * Reads a safetensors file into a state dict (tensors in data order; values copied out of `bytes`).
 * @example
 * ```ts
 * const sd = readSafetensors(new Uint8Array(await (await fetch('model.safetensors')).arrayBuffer()));
 * sd.get('fc.weight'); // { dtype: 'float32', shape: [10, 512], data: Float32Array(5120) }
 * ```
 */
export function readSafetensors(bytes: Uint8Array, options: ReadOptions = {}): StateDict {
  const header = readSafetensorsHeader(bytes, options);
  // the header was checked against the file, so the tensors total at most the data section; a caller's
  // smaller maxBytes still applies before anything is copied
  const max = options.maxBytes ?? Math.max(4 * bytes.length, 1 << 20);
  let total = 0;
  for (const [name, e] of header.tensors) {
    total += e.data_offsets[1] - e.data_offsets[0];
    if (total > max)
      throw new WeightsError(
        options.name ?? 'safetensors',
        `tensor '${name}' brings the tensors to ${total} bytes, past maxBytes (${max})`,
        name,
      );
  }
  const sd: StateDict = new Map();
  for (const [name, e] of header.tensors) {
    const dtype = TO_STATE[e.dtype] as StateDType;
    const raw = bytes.slice(header.dataStart + e.data_offsets[0], header.dataStart + e.data_offsets[1]);
    sd.set(name, { dtype, shape: e.shape, data: typedView(dtype, raw.buffer, 0, numel(e.shape)) });
  }
  return sd;
}

/** A typed array of `dtype` over `count` elements of `buffer` from byte `offset` (aligned). */
export function typedView(
  dtype: StateDType,
  buffer: ArrayBufferLike,
  offset: number,
  count: number,
): StateTensor['data'] {
  assertLittleEndian();
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, offset, count);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, offset, count);
    case 'float64':
      return new Float64Array(buffer, offset, count);
    case 'int64':
      return new BigInt64Array(buffer, offset, count);
    case 'int32':
      return new Int32Array(buffer, offset, count);
    case 'int16':
      return new Int16Array(buffer, offset, count);
    case 'int8':
      return new Int8Array(buffer, offset, count);
    default:
      return new Uint8Array(buffer, offset, count);
  }
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new WeightsError('weights', 'big-endian hosts are not supported');
  }
}

/**
 * Writes a state dict as safetensors (tensors in map order, header padded with spaces to 8 bytes).
 * @param metadata optional `__metadata__` strings (e.g. `{ format: 'pt' }`)
 * @example
 * ```ts
 * const bytes = writeSafetensors(sd, { format: 'pt' });
 * readSafetensors(bytes); // equal to sd
 * ```
 */
export function writeSafetensors(sd: StateDict, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let pos = 0;
  for (const [name, t] of sd) {
    const n = numel(t.shape);
    if (t.data.length !== n) {
      throw new WeightsError(
        'writeSafetensors',
        `tensor '${name}' has ${t.data.length} values for shape [${t.shape}]`,
        name,
      );
    }
    const size = n * DTYPE_BYTES[t.dtype];
    header[name] = { dtype: FROM_STATE[t.dtype], shape: t.shape, data_offsets: [pos, pos + size] };
    pos += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + pos);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of sd.values()) {
    const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(b, at);
    at += b.length;
  }
  return out;
}
