/**
 * The readers on untrusted input: every size and offset a file declares is checked against what the file
 * really holds before anything is allocated, and what a reader may allocate is bounded (`maxBytes`).
 *
 * - genuine `torch.save` files whose pickle views a one-element storage with stride 0 as 10^10 and
 *   1.44·10^8 elements (`tools/golden/released_checkpoints.py` → `fixtures/weights/crafted.json`; 759 and
 *   756 bytes): before, a bare RangeError and a 576 MB allocation;
 * - hand-built torch zips (views past their storage, negative or overflowing offsets and sizes, missing
 *   storages, colliding keys, self-referencing and deeply nested pickles, corrupt zip structures);
 * - hand-built safetensors headers (offsets, duplicate names, non-JSON, unaddressable shapes).
 */
import { PirError } from '@pir/runtime/errors';
import { describe, expect, it } from 'vitest';
import {
  readSafetensors,
  readTorch,
  readWeights,
  type StateTensor,
  unpickleTorch,
  WeightsError,
} from '../src/weights/index.js';
import crafted from './fixtures/weights/crafted.json';
import fx from './fixtures/weights/weights_fixtures.json';

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The WeightsError `fn` throws (failing the test when it throws something else or nothing). */
function weightsError(fn: () => unknown): WeightsError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WeightsError)) throw e;
    expect(e).toBeInstanceOf(PirError);
    return e;
  }
  throw new Error('expected a WeightsError');
}

/** Bytes the process holds in ArrayBuffers (Node; undefined in the browser). */
function arrayBufferBytes(): number | undefined {
  const p = (globalThis as { process?: { memoryUsage?: () => { arrayBuffers: number } } }).process;
  return p?.memoryUsage?.().arrayBuffers;
}

describe('crafted torch.save files (stride-0 views of a one-element storage)', () => {
  const files = crafted.files as Record<string, { size: number; elements: number; base64: string }>;
  for (const [name, f] of Object.entries(files)) {
    it(`${name} (${f.size} bytes, ${f.elements} elements) fails fast, naming the file and the key`, () => {
      const bytes = fromBase64(f.base64);
      expect(bytes.length).toBe(f.size);
      for (const read of [
        () => readTorch(bytes, { name }),
        () => readWeights(bytes, { name }),
        () => unpickleTorch(bytes, { name }),
      ]) {
        const before = arrayBufferBytes();
        const t0 = performance.now();
        const e = weightsError(read);
        const ms = performance.now() - t0;
        const after = arrayBufferBytes();
        expect([e.where, e.argument]).toEqual([name, 'w']);
        expect(e.message).toMatch(
          new RegExp(
            `^${name.replace('.', '\\.')}: tensor 'w': float32 \\[\\d+,\\d+\\] needs ${f.elements * 4} bytes, past maxBytes \\(1048576 bytes`,
          ),
        );
        expect(ms, 'milliseconds').toBeLessThan(500);
        if (before !== undefined && after !== undefined)
          expect(after - before, 'ArrayBuffer bytes held').toBeLessThan(8 << 20);
      }
    });
  }
  it('maxBytes bounds what the reader allocates, also for honest files', () => {
    const b64 = (fx.files as Record<string, string>)['dtypes.pth'] as string;
    const bytes = fromBase64(b64);
    expect(readTorch(bytes).size).toBe(12);
    const e = weightsError(() => readTorch(bytes, { name: 'dtypes.pth', maxBytes: 64 }));
    expect(e.where).toBe('dtypes.pth');
    expect(e.message).toContain('past maxBytes (64 bytes in all');
    expect(weightsError(() => readTorch(bytes, { maxBytes: -1 })).argument).toBe('maxBytes');
    // a deflated archive: inflating is bounded too
    const deflated = fromBase64((fx.files as Record<string, string>)['deflated.pth'] as string);
    expect(readTorch(deflated).size).toBeGreaterThan(0);
    expect(weightsError(() => readTorch(deflated, { maxBytes: 8 })).message).toMatch(/inflating zip entry/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// hand-built torch zips

const enc = new TextEncoder();
const u16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** Concatenation of byte chunks. */
function concat(chunks: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A stored (uncompressed) zip of these entries, as torch.save writes one (CRCs left 0: not checked). */
function storedZip(entries: Record<string, Uint8Array>): Uint8Array {
  const parts: (Uint8Array | number[])[] = [];
  const central: number[] = [];
  let at = 0;
  let count = 0;
  for (const [name, data] of Object.entries(entries)) {
    const n = [...enc.encode(name)];
    const head = [...u32(0x04034b50), ...u16(20), ...u16(0), ...u16(0), ...u16(0), ...u16(0)];
    head.push(...u32(0), ...u32(data.length), ...u32(data.length), ...u16(n.length), ...u16(0), ...n);
    central.push(...u32(0x02014b50), ...u16(20), ...u16(20), ...u16(0), ...u16(0), ...u16(0), ...u16(0));
    central.push(...u32(0), ...u32(data.length), ...u32(data.length), ...u16(n.length), ...u16(0), ...u16(0));
    central.push(...u16(0), ...u16(0), ...u32(0), ...u32(at), ...n);
    parts.push(head, data);
    at += head.length + data.length;
    count++;
  }
  const end = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(count), ...u16(count)];
  end.push(...u32(central.length), ...u32(at), ...u16(0));
  return concat([...parts, central, end]);
}

/** Pickle opcodes (protocol 2) as byte arrays. */
const P = {
  proto: [0x80, 2],
  stop: [0x2e],
  mark: [0x28],
  tuple: [0x74],
  emptyTuple: [0x29],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  setitem: [0x73],
  setitems: [0x75],
  append: [0x61],
  appends: [0x65],
  reduce: [0x52],
  persid: [0x51],
  false: [0x89],
  put: (i: number) => [0x71, i],
  get: (i: number) => [0x68, i],
  str: (s: string) => {
    const b = [...enc.encode(s)];
    return [0x58, ...u32(b.length), ...b];
  },
  int: (n: number) => [0x4a, ...u32(n >>> 0)],
  /** LONG1 of a non-negative bigint (8 bytes, little-endian). */
  long: (v: bigint) => {
    const b: number[] = [];
    for (let i = 0; i < 8; i++) b.push(Number((v >> BigInt(8 * i)) & 0xffn));
    return [0x8a, 8, ...b];
  },
  global: (m: string, n: string) => [0x63, ...enc.encode(`${m}\n${n}\n`)],
};

/** `_rebuild_tensor_v2(FloatStorage '0', offset, size, stride, False, OrderedDict())` as opcodes. */
function tensorOps(offset: number[], size: number[][], stride: number[][], storage = '0'): number[] {
  const tup = (items: number[][]) => [...P.mark, ...items.flat(), ...P.tuple];
  return [
    ...P.global('torch._utils', '_rebuild_tensor_v2'),
    ...P.mark,
    ...tup([P.str('storage'), P.global('torch', 'FloatStorage'), P.str(storage), P.str('cpu'), P.int(4)]),
    ...P.persid,
    ...offset,
    ...tup(size),
    ...tup(stride),
    ...P.false,
    ...P.global('collections', 'OrderedDict'),
    ...P.emptyTuple,
    ...P.reduce,
    ...P.tuple,
    ...P.reduce,
  ];
}

/** A torch zip holding `program` as its pickle and a 4-float storage '0' = [1, 2, 3, 4]. */
function torchZip(program: number[], storages: Record<string, Uint8Array> = {}): Uint8Array {
  return storedZip({
    'archive/data.pkl': concat([P.proto, program, P.stop]),
    'archive/data/0': new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer),
    ...Object.fromEntries(Object.entries(storages).map(([k, v]) => [`archive/data/${k}`, v])),
    'archive/version': enc.encode('3\n'),
  });
}

/** `{ w: tensor }`. */
function oneTensor(offset: number[], size: number[][], stride: number[][], storage = '0'): Uint8Array {
  return torchZip([...P.emptyDict, ...P.str('w'), ...tensorOps(offset, size, stride, storage), ...P.setitem]);
}

describe('hand-built torch zips', () => {
  it('the builder makes a readable file (the baseline the others break)', () => {
    const sd = readTorch(oneTensor(P.int(1), [P.int(2)], [P.int(1)]));
    expect([...(sd.get('w') as StateTensor).data]).toEqual([2, 3]);
    const t = readTorch(oneTensor(P.int(0), [P.int(2), P.int(2)], [P.int(1), P.int(2)])).get('w');
    expect([...(t as StateTensor).data]).toEqual([1, 3, 2, 4]); // a transposed view
  });

  it.each([
    [
      'a view past its storage',
      P.int(0),
      [P.int(10)],
      [P.int(1)],
      /tensor 'w' \(offset 0, size \[10\], stride \[1\]\) reaches past its storage 0 of 4 float32 elements/,
    ],
    ['an offset past the end', P.int(3), [P.int(2)], [P.int(1)], /reaches past its storage/],
    ['an offset past the end of an empty view', P.int(9), [P.int(0)], [P.int(1)], /reaches past its storage/],
    ['a stride past the end', P.int(0), [P.int(2)], [P.int(4)], /reaches past its storage/],
    [
      'a negative offset',
      P.int(-1),
      [P.int(2)],
      [P.int(1)],
      /tensor 'w' has an invalid storage offset \[-1\]/,
    ],
    ['a negative stride', P.int(2), [P.int(2)], [P.int(-1)], /tensor 'w' has an invalid stride \[-1\]/],
    ['a negative size', P.int(0), [P.int(-2)], [P.int(1)], /tensor 'w' has an invalid size \[-2\]/],
    [
      'a size past 2^53',
      P.int(0),
      [P.long(1n << 62n)],
      [P.int(0)],
      /tensor 'w' has an invalid size \["4611686018427387904"\]/,
    ],
    ['an overflowing stride', P.int(0), [P.int(2)], [P.long(1n << 62n)], /invalid stride/],
    [
      'an element count past 2^53',
      P.int(0),
      [P.int(1 << 30), P.int(1 << 30)],
      [P.int(0), P.int(0)],
      /past maxBytes|reaches past/,
    ],
    [
      'sizes and strides of different ranks',
      P.int(0),
      [P.int(2)],
      [P.int(1), P.int(1)],
      /has 1 sizes but 2 strides/,
    ],
  ])('refuses %s, naming the file and the key', (_what, offset, size, stride, message) => {
    const bytes = oneTensor(offset, size, stride);
    for (const read of [
      () => readTorch(bytes, { name: 'bad.pth' }),
      () => unpickleTorch(bytes, { name: 'bad.pth' }),
    ]) {
      const e = weightsError(read);
      expect([e.where, e.argument]).toEqual(['bad.pth', 'w']);
      expect(e.message).toMatch(message);
    }
  });

  it('refuses a missing storage and a storage that is not a multiple of its dtype', () => {
    const missing = weightsError(() =>
      readTorch(oneTensor(P.int(0), [P.int(1)], [P.int(1)], '7'), { name: 'm.pth' }),
    );
    expect(missing.message).toMatch(/storage file archive\/data\/7 is missing/);
    const odd = weightsError(() =>
      readTorch(oneTensor(P.int(0), [P.int(1)], [P.int(1)], '5'), { name: 'odd.pth' }),
    );
    expect(odd.message).toMatch(/missing/);
    const bytes = torchZip(
      [...P.emptyDict, ...P.str('w'), ...tensorOps(P.int(0), [P.int(1)], [P.int(1)], '9'), ...P.setitem],
      { '9': new Uint8Array(6) },
    );
    const e = weightsError(() => readTorch(bytes, { name: 'odd.pth' }));
    expect([e.argument, e.message]).toEqual([
      'w',
      "odd.pth: tensor 'w': storage 9 has 6 bytes, not a multiple of float32",
    ]);
  });

  it('refuses two tensors under one key (a dotted name and a nested dict)', () => {
    const t = () => tensorOps(P.int(0), [P.int(1)], [P.int(1)]);
    const program = [
      ...P.emptyDict,
      ...P.str('a.b'),
      ...t(),
      ...P.setitem,
      ...P.str('a'),
      ...P.emptyDict,
      ...P.str('b'),
      ...t(),
      ...P.setitem,
      ...P.setitem,
    ];
    const e = weightsError(() => readTorch(torchZip(program), { name: 'dup.pth' }));
    expect([e.argument, e.message]).toEqual(['a.b', "dup.pth: two tensors have the key 'a.b'"]);
  });

  it('reads a self-referencing pickle and a deeply nested one without overflowing the stack', () => {
    // { w: tensor, x: l } with l = [l]
    const self = [
      ...P.emptyDict,
      ...P.str('w'),
      ...tensorOps(P.int(0), [P.int(1)], [P.int(1)]),
      ...P.setitem,
      ...P.str('x'),
      ...P.emptyList,
      ...P.put(1),
      ...P.get(1),
      ...P.append,
      ...P.setitem,
    ];
    expect([...readTorch(torchZip(self)).keys()]).toEqual(['w']);
    const root = unpickleTorch(torchZip(self)) as Map<string, unknown>;
    const l = root.get('x') as unknown[];
    expect(l[0]).toBe(l);
    // { w: tensor, x: [[[[…]]]] } 100,000 lists deep
    const depth = 100_000;
    const deep = [
      ...P.emptyDict,
      ...P.str('w'),
      ...tensorOps(P.int(0), [P.int(1)], [P.int(1)]),
      ...P.setitem,
      ...P.str('x'),
      ...new Array(depth).fill(P.emptyList[0]),
      ...new Array(depth - 1).fill(P.append[0]),
      ...P.setitem,
    ];
    expect([...readTorch(torchZip(deep)).keys()]).toEqual(['w']);
    expect((unpickleTorch(torchZip(deep)) as Map<string, unknown>).has('x')).toBe(true);
  });

  it('APPENDS of 200,000 items, and a 100 KB integer, read quickly', () => {
    const n = 200_000;
    const many = [...P.emptyList, ...P.mark, ...new Array(n).fill([0x4b, 1]).flat(), ...P.appends];
    expect((unpickleTorch(torchZip(many)) as unknown[]).length).toBe(n);
    const size = 100_000;
    const long4 = [0x8b, ...u32(size), ...new Array(size).fill(0x11)];
    const t0 = performance.now();
    expect(typeof unpickleTorch(torchZip(long4))).toBe('bigint');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('an allowed constructor with unusable arguments is a WeightsError naming it', () => {
    const program = [
      ...P.global('collections', 'OrderedDict'),
      ...P.mark,
      ...P.int(5),
      ...P.tuple,
      ...P.reduce,
    ];
    const e = weightsError(() => unpickleTorch(torchZip(program), { name: 'od.pth' }));
    expect([e.where, e.argument]).toEqual(['od.pth', 'collections.OrderedDict']);
    expect(e.message).toMatch(/collections\.OrderedDict called with unusable arguments/);
    const size = [...P.global('torch', 'Size'), ...P.mark, ...P.int(5), ...P.tuple, ...P.reduce];
    expect(weightsError(() => unpickleTorch(torchZip(size))).argument).toBe('torch.Size');
  });

  it('malformed pickles are WeightsErrors with the byte position', () => {
    for (const program of [
      [...P.tuple],
      [...P.setitem],
      [...P.emptyList, ...P.str('k'), ...P.int(1), ...P.setitem],
      [0xff],
    ]) {
      const e = weightsError(() => unpickleTorch(torchZip(program), { name: 'p.pth' }));
      expect(e.message).toMatch(/^p\.pth: pickle byte \d+: /);
    }
  });

  describe('zip structure', () => {
    const good = () => oneTensor(P.int(0), [P.int(4)], [P.int(1)]);
    const cdOffset = (b: Uint8Array) => new DataView(b.buffer).getUint32(b.length - 22 + 16, true);

    it('a local-header offset outside the file', () => {
      const b = good();
      new DataView(b.buffer).setUint32(cdOffset(b) + 42, 0x7ffffff0, true);
      expect(weightsError(() => readTorch(b, { name: 'z.pth' })).message).toMatch(
        /z\.pth: corrupt zip: the local header of 'archive\/data\.pkl' at byte 2147483632 lies outside the file/,
      );
    });
    it('a central directory outside the file, and a truncated one', () => {
      const b = good();
      new DataView(b.buffer).setUint32(b.length - 22 + 16, 0xfffffff0, true);
      expect(weightsError(() => readTorch(b)).message).toMatch(/corrupt zip central directory/);
      const c = good();
      new DataView(c.buffer).setUint16(c.length - 22 + 10, 60, true); // 60 entries claimed
      expect(weightsError(() => readTorch(c)).message).toMatch(/corrupt zip central directory/);
    });
    it('an entry running past the end of the file', () => {
      const b = good();
      new DataView(b.buffer).setUint32(cdOffset(b) + 20, 0x00fffff0, true); // compressed size
      expect(weightsError(() => readTorch(b)).message).toMatch(/runs past the end of the file/);
    });
    it('a deflated entry claiming more than deflate can give', () => {
      const b = good();
      const dv = new DataView(b.buffer);
      dv.setUint16(cdOffset(b) + 10, 8, true); // method: deflate
      dv.setUint32(cdOffset(b) + 24, 0xfffffff0, true); // uncompressed size
      const e = weightsError(() => readTorch(b, { name: 'bomb.pth' }));
      expect([e.argument, e.message]).toEqual([
        'archive/data.pkl',
        expect.stringMatching(/claims to inflate \d+ bytes to 4294967280, more than deflate can/),
      ]);
    });
    it('two entries with one name', () => {
      const pkl = Uint8Array.from([...P.proto, ...P.emptyDict, ...P.stop]);
      const one = storedZip({ 'archive/data.pkl': pkl });
      // the same entry twice: duplicate the central record and bump the counts
      const dv = new DataView(one.buffer);
      const cd = cdOffset(one);
      const rec = one.slice(cd, one.length - 22);
      const out = new Uint8Array(one.length + rec.length);
      out.set(one.subarray(0, one.length - 22));
      out.set(rec, one.length - 22);
      out.set(one.subarray(one.length - 22), one.length - 22 + rec.length);
      const odv = new DataView(out.buffer);
      odv.setUint16(out.length - 22 + 8, 2, true);
      odv.setUint16(out.length - 22 + 10, 2, true);
      odv.setUint32(out.length - 22 + 12, dv.getUint32(one.length - 22 + 12, true) * 2, true);
      expect(weightsError(() => readTorch(out)).message).toMatch(
        /zip has two entries named 'archive\/data\.pkl'/,
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// safetensors

/** A safetensors file from a header text (not necessarily valid JSON) and `data` bytes of zeros. */
function safetensors(header: string | Uint8Array, data: number): Uint8Array {
  const json = typeof header === 'string' ? enc.encode(header) : header;
  const out = new Uint8Array(8 + json.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors headers', () => {
  it.each([
    [
      'a negative offset',
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}',
      1,
      /tensor 'a' has invalid data_offsets \[-1,0\]/,
      'a',
    ],
    [
      'an offset past 2^53',
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,18014398509481984]}}',
      1,
      /invalid data_offsets/,
      'a',
    ],
    [
      'an unaddressable shape',
      '{"a":{"dtype":"F32","shape":[1073741824,1073741824,1073741824],"data_offsets":[0,0]}}',
      0,
      /tensor 'a' has a shape \[1073741824,1073741824,1073741824\] too large to address/,
      'a',
    ],
    [
      'a name given twice',
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
      1,
      /header names a tensor twice: 'a'/,
      'a',
    ],
    [
      'an escaped name given twice',
      '{"a\\"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"n":{"a\\"b":1}},"a\\"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
      1,
      /header names a tensor twice: 'a"b'/,
      'a"b',
    ],
    ['truncated JSON', '{"a":{"dtype":"U8"', 0, /header is not valid UTF-8 JSON/, ''],
    ['a JSON array', '[1,2]', 0, /header is not a JSON object/, ''],
    [
      'metadata that is an array',
      '{"__metadata__":["x"]}',
      0,
      /__metadata__ is not an object/,
      '__metadata__',
    ],
    ['a header length past the file', '', -1, /header length \d+ exceeds the file/, ''],
  ])('refuses %s', (_what, header, data, message, key) => {
    let bytes = safetensors(header, Math.max(0, data));
    if (data < 0) {
      bytes = new Uint8Array(16);
      new DataView(bytes.buffer).setBigUint64(0, 1n << 40n, true);
    }
    const e = weightsError(() => readSafetensors(bytes, { name: 'h.safetensors' }));
    expect(e.where).toBe('h.safetensors');
    expect(e.argument).toBe(key);
    expect(e.message).toMatch(message);
  });

  it('refuses invalid UTF-8 and keeps duplicates nested below the top level', () => {
    const bad = safetensors(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), 0);
    expect(weightsError(() => readSafetensors(bad)).message).toMatch(/not valid UTF-8 JSON/);
    const nested = '{"__metadata__":{"k":"1"},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    expect(readSafetensors(safetensors(nested, 1)).size).toBe(1);
  });

  it('maxBytes bounds the tensors copied out', () => {
    const bytes = safetensors(
      '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"U8","shape":[8],"data_offsets":[16,24]}}',
      24,
    );
    expect(readSafetensors(bytes).size).toBe(2);
    const e = weightsError(() => readSafetensors(bytes, { name: 's', maxBytes: 20 }));
    expect([e.argument, e.message]).toEqual([
      'b',
      "s: tensor 'b' brings the tensors to 24 bytes, past maxBytes (20)",
    ]);
  });
});
