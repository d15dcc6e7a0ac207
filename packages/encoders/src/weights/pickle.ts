/**
 * A restricted unpickler (protocols 2–5 opcodes used by `torch.save`). It never imports or calls anything:
 * every `GLOBAL` is looked up in a fixed table of harmless constructors (tensor/storage rebuilders,
 * `OrderedDict`, dtypes, numpy scalars); any other global is refused with an error that names it, or — with
 * `unknownGlobals: 'stub'` — read as an inert {@link PyObject} placeholder.
 */
import { WeightsError } from './errors.js';

/** A Python object of a class this reader does not know (only with `unknownGlobals: 'stub'`). */
export class PyObject {
  /** Arguments of the constructor call. */
  args: unknown[] = [];
  /** `__setstate__` / `__dict__` state, when the pickle had one. */
  state: unknown = undefined;
  constructor(
    /** `module.name` of the class, e.g. `'argparse.Namespace'`. */
    readonly global: string,
  ) {}
}

/** A resolved global: something `REDUCE`/`NEWOBJ` can "call". */
export interface PyCallable {
  readonly global: string;
  call(args: unknown[]): unknown;
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Source name for errors. */
  source: string;
  /** Resolves an allowed global (`module`, `name`) or returns undefined to refuse it. */
  resolveGlobal(module: string, name: string): PyCallable | undefined;
  /** `BINPERSID` handler (torch storages). */
  persistentLoad?(pid: unknown): unknown;
  /** What to do with a refused global: throw (default) or make an inert placeholder. */
  unknownGlobals?: 'error' | 'stub';
}

/**
 * Runs a pickle program over a stack machine and returns the unpickled value. Python dicts become `Map`s,
 * lists and tuples arrays, `str` strings, `bytes` `Uint8Array`s, ints numbers (`bigint` past 2^53), `None` null.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const src = options.source;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8');
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const fail = (msg: string, key?: string): never => {
    throw new WeightsError(src, `pickle byte ${p}: ${msg}`, key);
  };
  const need = (n: number) => {
    if (p + n > bytes.length) fail('unexpected end of data');
  };
  const u8 = () => {
    need(1);
    return bytes[p++] as number;
  };
  const u16 = () => {
    need(2);
    const v = dv.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = dv.getUint32(p, true);
    p += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = Number(dv.getBigUint64(p, true));
    p += 8;
    return v;
  };
  const take = (n: number) => {
    need(n);
    const b = bytes.subarray(p, p + n);
    p += n;
    return b;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail('unterminated line');
    const s = utf8.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('MARK missing');
    return stack.splice(m as number);
  };
  const top = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const global = (module: string, name: string): unknown => {
    const g = options.resolveGlobal(module, name);
    if (g) return g;
    const full = `${module}.${name}`;
    if (options.unknownGlobals === 'stub') {
      return {
        global: full,
        call: (args: unknown[]) => Object.assign(new PyObject(full), { args }),
      } satisfies PyCallable;
    }
    return fail(
      `refused pickle global '${full}': only torch tensor/storage rebuilders, OrderedDict, dtypes and numpy scalars are allowed (a state dict needs nothing else; this file may run code if loaded with torch.load(weights_only=False))`,
      full,
    );
  };
  const call = (f: unknown, args: unknown): unknown => {
    if (!f || typeof (f as PyCallable).call !== 'function') fail('REDUCE/NEWOBJ of a non-callable');
    const g = (f as PyCallable).global;
    if (!Array.isArray(args)) fail(`arguments of ${g} are not a tuple`);
    try {
      return (f as PyCallable).call(args as unknown[]);
    } catch (e) {
      if (e instanceof WeightsError) throw e;
      // an allowed constructor given arguments no torch.save writes (OrderedDict(5), torch.Size(None), …)
      throw new WeightsError(src, `pickle byte ${p}: ${g} called with unusable arguments (${String(e)})`, g, {
        cause: e,
      });
    }
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    // little-endian two's complement; through a hex string (linear), not a shift per byte (quadratic)
    let hex = '';
    for (let i = b.length - 1; i >= 0; i--) hex += (b[i] as number).toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if ((b[b.length - 1] as number) & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (d instanceof Map) {
      for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
    } else if (d instanceof PyObject) {
      const st = (d.state ?? new Map()) as Map<unknown, unknown>;
      for (let i = 0; i + 1 < items.length; i += 2) st.set(items[i], items[i + 1]);
      d.state = st;
    } else fail('SETITEM(S) on a non-dict');
  };

  try {
    return run();
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    // anything else is a malformed program (e.g. a value of the wrong type where an opcode needs another)
    throw new WeightsError(src, `pickle byte ${p}: malformed pickle (${String(e)})`, undefined, { cause: e });
  }

  function run(): unknown {
    for (;;) {
      const op = u8();
      switch (op) {
        case 0x80: // PROTO
          if (u8() > 5) fail('pickle protocol above 5');
          break;
        case 0x95: // FRAME
          u64();
          break;
        case 0x2e: // STOP
          return pop();
        case 0x28: // MARK
          marks.push(stack.length);
          break;
        case 0x7d: // EMPTY_DICT
          stack.push(new Map());
          break;
        case 0x5d: // EMPTY_LIST
        case 0x29: // EMPTY_TUPLE
          stack.push([]);
          break;
        case 0x8f: // EMPTY_SET
          stack.push(new Set());
          break;
        case 0x64: {
          // DICT
          const items = popMark();
          const d = new Map();
          setItems(d, items);
          stack.push(d);
          break;
        }
        case 0x6c: // LIST
        case 0x74: // TUPLE
          stack.push(popMark());
          break;
        case 0x91: // FROZENSET
          stack.push(new Set(popMark()));
          break;
        case 0x85: // TUPLE1
          stack.push([pop()]);
          break;
        case 0x86: {
          const b = pop();
          const a = pop();
          stack.push([a, b]);
          break;
        }
        case 0x87: {
          const c = pop();
          const b = pop();
          const a = pop();
          stack.push([a, b, c]);
          break;
        }
        case 0x58: // BINUNICODE
          stack.push(utf8.decode(take(u32())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          stack.push(utf8.decode(take(u8())));
          break;
        case 0x8d: // BINUNICODE8
          stack.push(utf8.decode(take(u64())));
          break;
        case 0x55: // SHORT_BINSTRING (py2 str)
          stack.push(new TextDecoder('latin1').decode(take(u8())));
          break;
        case 0x54: // BINSTRING
          stack.push(new TextDecoder('latin1').decode(take(u32())));
          break;
        case 0x43: // SHORT_BINBYTES
          stack.push(take(u8()).slice());
          break;
        case 0x42: // BINBYTES
          stack.push(take(u32()).slice());
          break;
        case 0x8e: // BINBYTES8
          stack.push(take(u64()).slice());
          break;
        case 0x4a: // BININT
          need(4);
          stack.push(dv.getInt32(p, true));
          p += 4;
          break;
        case 0x4b: // BININT1
          stack.push(u8());
          break;
        case 0x4d: // BININT2
          stack.push(u16());
          break;
        case 0x8a: // LONG1
          stack.push(long(take(u8())));
          break;
        case 0x8b: // LONG4
          stack.push(long(take(u32())));
          break;
        case 0x49: {
          // INT (protocol 0): "01"/"00" are booleans
          const s = line();
          stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
          break;
        }
        case 0x47: // BINFLOAT (big-endian)
          need(8);
          stack.push(dv.getFloat64(p, false));
          p += 8;
          break;
        case 0x88:
          stack.push(true);
          break;
        case 0x89:
          stack.push(false);
          break;
        case 0x4e:
          stack.push(null);
          break;
        case 0x71: // BINPUT
          memo.set(u8(), top());
          break;
        case 0x72: // LONG_BINPUT
          memo.set(u32(), top());
          break;
        case 0x94: // MEMOIZE
          memo.set(memo.size, top());
          break;
        case 0x68: // BINGET
        case 0x6a: {
          // LONG_BINGET
          const i = op === 0x68 ? u8() : u32();
          if (!memo.has(i)) fail(`memo ${i} missing`);
          stack.push(memo.get(i));
          break;
        }
        case 0x63: {
          // GLOBAL
          const module = line();
          const name = line();
          stack.push(global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of non-strings');
          stack.push(global(module as string, name as string));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = pop();
          const f = pop();
          stack.push(call(f, args));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = pop();
          const cls = pop();
          stack.push(call(cls, args));
          break;
        }
        case 0x62: {
          // BUILD
          const state = pop();
          const obj = top();
          if (obj instanceof PyObject) obj.state = state;
          else if (obj && typeof obj === 'object' && 'build' in obj && typeof obj.build === 'function')
            obj.build(state);
          // tensors, dicts: the state (e.g. a Parameter's __dict__) carries nothing a state dict needs
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = pop();
          if (!options.persistentLoad) fail('persistent id without a loader');
          stack.push(options.persistentLoad?.(pid));
          break;
        }
        case 0x73: {
          // SETITEM
          const v = pop();
          const k = pop();
          setItems(top(), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = popMark();
          setItems(top(), items);
          break;
        }
        case 0x61: {
          // APPEND
          const v = pop();
          const l = top();
          if (!Array.isArray(l)) fail('APPEND to a non-list');
          (l as unknown[]).push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = popMark();
          const l = top();
          if (!Array.isArray(l)) fail('APPENDS to a non-list');
          for (const it of items) (l as unknown[]).push(it); // no spread: a long MARK run overflows arguments
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = popMark();
          const s = top();
          if (!(s instanceof Set)) fail('ADDITEMS to a non-set');
          for (const it of items) (s as Set<unknown>).add(it);
          break;
        }
        case 0x30: // POP
          pop();
          break;
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x32: // DUP
          stack.push(top());
          break;
        default:
          fail(`unsupported pickle opcode 0x${op.toString(16)} (${JSON.stringify(String.fromCharCode(op))})`);
      }
    }
  }
}
