import { PirError } from '@pir/runtime/errors';
import { describe, expect, it } from 'vitest';
import {
  PyObject,
  readSafetensors,
  readSafetensorsHeader,
  readTorch,
  readWeights,
  type StateDict,
  type StateTensor,
  unpickleTorch,
  WeightsError,
  writeSafetensors,
} from '../src/weights/index.js';
import fx from './fixtures/weights/weights_fixtures.json';

interface Expected {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}
const files = fx.files as Record<string, string>;
const expected = fx.expected as Record<string, Record<string, Expected>>;

function bytesOf(name: string): Uint8Array {
  const bin = atob(files[name] as string);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Values as the fixture stores them: raw bits for 16-bit floats, decimal strings for int64. */
function valuesOf(t: StateTensor): (number | string)[] {
  if (t.dtype === 'int64') return [...(t.data as BigInt64Array)].map(String);
  return [...(t.data as Float32Array)];
}

function expectMatches(sd: StateDict, want: Record<string, Expected>) {
  expect([...sd.keys()]).toEqual(Object.keys(want));
  for (const [k, e] of Object.entries(want)) {
    const t = sd.get(k) as StateTensor;
    expect(t.dtype, k).toBe(e.dtype);
    expect(t.shape, k).toEqual(e.shape);
    expect(t.data.length, k).toBe(e.values.length);
    expect(valuesOf(t), k).toEqual(e.values);
  }
}

describe(`torch.save files (PyTorch ${fx.torch})`, () => {
  for (const name of [
    'dtypes.pth',
    'strided.pth',
    'checkpoint.pth',
    'parameters.pt',
    'list.bin',
    'deflated.pth',
  ]) {
    it(`${name} equals PyTorch exactly`, () => {
      expectMatches(readTorch(bytesOf(name), { name }), expected[name] as Record<string, Expected>);
    });
  }
  it('finds the state dict under "model" by itself and by key, and reads the extra fields', () => {
    const bytes = bytesOf('checkpoint.pth');
    const byKey = readTorch(bytes, { key: 'model' });
    expect([...byKey.keys()]).toEqual(Object.keys(expected['checkpoint.pth'] as object));
    const root = unpickleTorch(bytes) as Map<string, unknown>;
    const extra = fx.extra['checkpoint.pth'];
    for (const [k, v] of Object.entries(extra)) expect(root.get(k), k).toEqual(v);
    expect(() => readTorch(bytes, { key: 'ema.module' })).toThrow(
      /checkpoint has no 'ema.module' \(at 'ema'; keys here: model, epoch/,
    );
  });
  it('views sharing one storage get independent copies', () => {
    const sd = readTorch(bytesOf('strided.pth'));
    const base = sd.get('base') as StateTensor;
    const row = sd.get('row') as StateTensor;
    expect(base.data.buffer).not.toBe(row.data.buffer);
    (base.data as Float32Array)[20] = -1;
    expect(row.data[0]).toBe(20);
  });
  it('refuses the malicious pickle, naming the global, without running it', () => {
    const read = () => readTorch(bytesOf('evil.pth'), { name: 'evil.pth' });
    expect(read).toThrow(WeightsError);
    expect(read).toThrow(/evil\.pth: pickle byte \d+: refused pickle global 'posix\.system'/);
    try {
      read();
    } catch (e) {
      expect((e as WeightsError).key).toBe('posix.system');
      expect(e).toBeInstanceOf(PirError);
      expect([(e as WeightsError).where, (e as WeightsError).argument]).toEqual(['evil.pth', 'posix.system']);
    }
  });
  it("unknownGlobals: 'stub' reads it as an inert placeholder", () => {
    const root = unpickleTorch(bytesOf('evil.pth'), { unknownGlobals: 'stub' }) as Map<string, unknown>;
    const w = root.get('w') as PyObject;
    expect(w).toBeInstanceOf(PyObject);
    expect(w.global).toBe('posix.system');
    expect(w.args).toEqual(['echo pwned']);
  });
  it('rejects non-torch bytes and truncated archives with named errors', () => {
    expect(() => readTorch(new Uint8Array([1, 2, 3]), { name: 'x.pth' })).toThrow(
      /x\.pth: not a torch zip file/,
    );
    expect(() => readTorch(new Uint8Array([0x80, 2, 0x8a]), { name: 'old.pth' })).toThrow(
      /legacy \(pre-1\.6/,
    );
    const b = bytesOf('dtypes.pth');
    expect(() => readTorch(b.subarray(0, b.length - 30), { name: 'cut.pth' })).toThrow(/cut\.pth/);
  });
});

describe('safetensors', () => {
  it('reads every dtype and the metadata', () => {
    const bytes = bytesOf('dtypes.safetensors');
    expectMatches(readSafetensors(bytes), expected['dtypes.safetensors'] as Record<string, Expected>);
    expect(readSafetensorsHeader(bytes).metadata).toEqual({ format: 'pt', source: 'weights_fixtures.py' });
  });
  it('round-trips through writeSafetensors, and torch files export to safetensors', () => {
    for (const name of ['dtypes.pth', 'strided.pth']) {
      const sd = readTorch(bytesOf(name));
      const back = readSafetensors(writeSafetensors(sd, { format: 'pt' }));
      expectMatches(back, expected[name] as Record<string, Expected>);
    }
  });
  it('readWeights detects the format', () => {
    expect(readWeights(bytesOf('dtypes.safetensors')).size).toBe(12);
    expect(readWeights(bytesOf('dtypes.pth')).size).toBe(12);
    expect(() => readWeights(new Uint8Array(16), { name: 'zeros' })).toThrow(/zeros: neither/);
  });

  const make = (header: object, dataBytes: number) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };
  it.each([
    [
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } },
      8,
      /needs 8 bytes but data_offsets \[0, 4\] span 4/,
    ],
    [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4, /beyond the data section/],
    [{ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8, /tensor 'a' has dtype "C64"/],
    [{ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4, /invalid shape/],
    [{ a: { dtype: 'U8', shape: [1], data_offsets: [1, 2] } }, 2, /starts at 1 .* \(hole\)/],
    [
      {
        a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
        b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] },
      },
      3,
      /tensor 'b' starts at 1 but the previous tensor ends at 2 \(overlap\)/,
    ],
    [
      { a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } },
      2,
      /data section has 2 bytes but tensors cover 1/,
    ],
  ])('rejects bad header %#', (header, n, msg) => {
    expect(() => readSafetensors(make(header, n), { name: 'bad.safetensors' })).toThrow(msg);
  });
  it('rejects a header longer than the file and a non-JSON header', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, 100n, true);
    expect(() => readSafetensors(b)).toThrow(/header length 100 exceeds the file/);
    new DataView(b.buffer).setBigUint64(0, 8n, true);
    expect(() => readSafetensors(b)).toThrow(/not valid UTF-8 JSON|not a JSON object/);
  });
});
