/**
 * Reader for files written by `torch.save` (PyTorch ≥ 1.6 zip format: `<prefix>/data.pkl`,
 * `<prefix>/data/<key>` storages, `<prefix>/version`), through the restricted unpickler.
 */

import { DTYPE_BYTES, numel, type StateDict, type StateDType, type StateTensor } from '@pir/nn';
import { gatherStrided } from './convert.js';
import { WeightsError } from './errors.js';
import { type PyCallable, PyObject, unpickle } from './pickle.js';
import { type ReadOptions, typedView } from './safetensors.js';
import { readZip } from './zip.js';

/** Options of {@link readTorch} and {@link unpickleTorch}. */
export interface TorchReadOptions extends ReadOptions {
  /**
   * Where the state dict sits in a checkpoint object, as a dotted path (`'model'`, `'state_dict'`,
   * `'ema.module'`). Default: the root when it holds tensors directly, else the first of `state_dict`,
   * `model_state_dict`, `model`, `module`, `net`, `network`, `params`, `weights` that holds tensors, else
   * every tensor of the file under its dotted path.
   */
  key?: string;
  /**
   * A pickle global outside the allowed table (`argparse.Namespace` in a checkpoint's `args`, …): `'error'`
   * (default) refuses the file, `'stub'` reads it as an inert {@link PyObject}. Nothing is ever executed.
   */
  unknownGlobals?: 'error' | 'stub';
}

const STORAGE_DTYPES: Readonly<Record<string, StateDType>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};
const TORCH_DTYPES: Readonly<Record<string, StateDType>> = {
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  double: 'float64',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

/** A storage placeholder from a persistent id; its bytes are read from the archive on first use. */
class Storage {
  private typed: StateTensor['data'] | undefined;
  constructor(
    readonly key: string,
    readonly dtype: StateDType,
    private readonly load: () => Uint8Array,
  ) {}
  /** The storage as a typed array of `dtype` (shared by every tensor viewing it). */
  as(dtype: StateDType, src: string): StateTensor['data'] {
    if (dtype === this.dtype && this.typed) return this.typed;
    const raw = this.load();
    const size = DTYPE_BYTES[dtype];
    if (raw.byteLength % size !== 0) {
      throw new WeightsError(
        src,
        `storage ${this.key} has ${raw.byteLength} bytes, not a multiple of ${dtype}`,
      );
    }
    const aligned = (raw.byteOffset % size === 0 ? raw : raw.slice()) as Uint8Array;
    const typed = typedView(dtype, aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
    if (dtype === this.dtype) this.typed = typed;
    return typed;
  }
}

class Dtype {
  constructor(readonly dtype: StateDType) {}
}

function rebuild(
  src: string,
  storage: unknown,
  offset: unknown,
  size: unknown,
  stride: unknown,
  dtype?: StateDType,
): StateTensor {
  if (!(storage instanceof Storage))
    throw new WeightsError(src, 'tensor rebuilt from something other than a storage');
  const shape = (size as unknown[]).map(Number);
  const strides = (stride as unknown[]).map(Number);
  const off = Number(offset);
  const dt = dtype ?? storage.dtype;
  const data = storage.as(dt, src);
  const n = numel(shape);
  if (n > 0) {
    let last = off;
    for (let i = 0; i < shape.length; i++) last += ((shape[i] as number) - 1) * (strides[i] as number);
    if (off < 0 || last >= data.length || strides.some((s) => s < 0)) {
      throw new WeightsError(
        src,
        `tensor view (offset ${off}, size [${shape}], stride [${strides}]) exceeds storage ${storage.key} of ${data.length} elements`,
      );
    }
  }
  let contiguous = true;
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if ((shape[i] as number) !== 1 && strides[i] !== acc) contiguous = false;
    acc *= shape[i] as number;
  }
  const out = contiguous ? data.slice(off, off + n) : gatherStrided(data, shape, strides, off);
  return { dtype: dt, shape, data: out as StateTensor['data'] };
}

function callable(global: string, call: (args: unknown[]) => unknown): PyCallable {
  return { global, call };
}

function resolver(src: string) {
  return (module: string, name: string): PyCallable | undefined => {
    const full = `${module}.${name}`;
    if (full === 'collections.OrderedDict') {
      return callable(full, (args) => new Map((args[0] as [unknown, unknown][] | undefined) ?? []));
    }
    if (full === 'torch._utils._rebuild_tensor_v2' || full === 'torch._utils._rebuild_tensor') {
      return callable(full, (a) => rebuild(src, a[0], a[1], a[2], a[3]));
    }
    if (full === 'torch._utils._rebuild_tensor_v3') {
      return callable(full, (a) => {
        const dt = a[6];
        if (!(dt instanceof Dtype)) throw new WeightsError(src, '_rebuild_tensor_v3 without a dtype');
        return rebuild(src, a[0], a[1], a[2], a[3], dt.dtype);
      });
    }
    if (full === 'torch._utils._rebuild_parameter' || full === 'torch._utils._rebuild_parameter_with_state') {
      return callable(full, (a) => a[0]);
    }
    if (module === 'torch' && name in STORAGE_DTYPES) return callable(full, () => undefined);
    if (module === 'torch' && name in TORCH_DTYPES) {
      const d = new Dtype(TORCH_DTYPES[name] as StateDType);
      return Object.assign(
        d,
        callable(full, () => d),
      );
    }
    if (full === 'torch.Size') return callable(full, (a) => [...((a[0] as unknown[]) ?? [])]);
    if (full === '_codecs.encode') {
      // protocol-2 bytes: _codecs.encode(latin1_str, 'latin1')
      return callable(full, (a) => Uint8Array.from(String(a[0]), (c) => c.charCodeAt(0) & 0xff));
    }
    if (
      full === 'numpy.dtype' ||
      full === 'numpy.core.multiarray.scalar' ||
      full === 'numpy._core.multiarray.scalar'
    ) {
      return numpyGlobal(full, src);
    }
    return undefined;
  };
}

/** numpy scalars in checkpoints (`best_acc = np.float64(…)`): `numpy.dtype('f8', …)` + `scalar(dtype, bytes)`. */
function numpyGlobal(full: string, src: string): PyCallable {
  if (full === 'numpy.dtype') {
    return callable(full, (a) => ({ np: String(a[0]), build() {} }));
  }
  return callable(full, (a) => {
    const code = (a[0] as { np?: string } | undefined)?.np;
    const raw = a[1] as Uint8Array;
    const b = raw.slice();
    const dv = new DataView(b.buffer);
    switch (code) {
      case 'f8':
        return dv.getFloat64(0, true);
      case 'f4':
        return dv.getFloat32(0, true);
      case 'i8':
        return Number(dv.getBigInt64(0, true));
      case 'i4':
        return dv.getInt32(0, true);
      case 'b1':
        return b[0] !== 0;
      default:
        throw new WeightsError(src, `numpy scalar of dtype '${code}' is not supported`);
    }
  });
}

/** The archive prefix (`archive/`, or the file stem for older writers) and the entries. */
function openArchive(bytes: Uint8Array, src: string): { files: Map<string, Uint8Array>; prefix: string } {
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    if (bytes[0] === 0x80) {
      throw new WeightsError(
        src,
        'legacy (pre-1.6, non-zip) torch.save format is not supported: re-save with torch.save(obj, f) in PyTorch ≥ 1.6',
      );
    }
    throw new WeightsError(src, 'not a torch zip file (expected "PK" magic)');
  }
  const files = readZip(bytes, src);
  const pkl = [...files.keys()].find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (!pkl) {
    throw new WeightsError(
      src,
      `zip has no <prefix>/data.pkl (entries: ${[...files.keys()].slice(0, 8).join(', ')})`,
    );
  }
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = files.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(order).trim() === 'big') {
    throw new WeightsError(src, 'big-endian torch files are not supported');
  }
  if (files.has(`${prefix}constants.pkl`) && [...files.keys()].some((k) => k.startsWith(`${prefix}code/`))) {
    throw new WeightsError(
      src,
      'this is a TorchScript archive (torch.jit.save); save model.state_dict() instead',
    );
  }
  return { files, prefix };
}

/**
 * Unpickles a `torch.save` file into plain values: dicts → `Map`, tensors → {@link StateTensor}, lists/tuples
 * → arrays. Use it to read a checkpoint's extra fields (`epoch`, …).
 * @example
 * ```ts
 * const ckpt = unpickleTorch(bytes) as Map<string, unknown>;
 * ckpt.get('epoch'); // 3
 * ```
 */
export function unpickleTorch(bytes: Uint8Array, options: TorchReadOptions = {}): unknown {
  const src = options.name ?? 'torch file';
  const { files, prefix } = openArchive(bytes, src);
  const storages = new Map<string, Storage>();
  return unpickle(files.get(`${prefix}data.pkl`) as Uint8Array, {
    source: src,
    unknownGlobals: options.unknownGlobals ?? 'error',
    resolveGlobal: resolver(src),
    persistentLoad(pid) {
      // ('storage', storage_type, key, location, numel)
      if (!Array.isArray(pid) || pid[0] !== 'storage') {
        throw new WeightsError(
          src,
          `unknown persistent id ${JSON.stringify(Array.isArray(pid) ? pid[0] : pid)}`,
        );
      }
      const type = pid[1] as PyCallable | Dtype;
      const key = String(pid[2]);
      const typeName = (type as PyCallable).global?.replace(/^torch\./, '') ?? '';
      const dtype = type instanceof Dtype ? type.dtype : STORAGE_DTYPES[typeName];
      if (!dtype) throw new WeightsError(src, `storage type '${typeName}' is not supported`, typeName);
      let s = storages.get(key);
      if (!s) {
        s = new Storage(key, dtype, () => {
          const f = files.get(`${prefix}data/${key}`);
          if (!f)
            throw new WeightsError(src, `storage file ${prefix}data/${key} is missing from the archive`, key);
          return f;
        });
        storages.set(key, s);
      }
      return s;
    },
  });
}

/** True for a {@link StateTensor} produced by the readers. */
export function isStateTensor(x: unknown): x is StateTensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    'dtype' in x &&
    'shape' in x &&
    'data' in x &&
    ArrayBuffer.isView((x as StateTensor).data)
  );
}

/** Every tensor under `obj`, keyed by its dotted path (dict keys and list indices joined with `.`). */
export function flattenTensors(obj: unknown, prefix = '', out: StateDict = new Map()): StateDict {
  if (isStateTensor(obj)) out.set(prefix, obj);
  else if (obj instanceof Map) {
    for (const [k, v] of obj) flattenTensors(v, prefix ? `${prefix}.${String(k)}` : String(k), out);
  } else if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) flattenTensors(obj[i], prefix ? `${prefix}.${i}` : String(i), out);
  } else if (obj instanceof PyObject) {
    flattenTensors(obj.state, prefix, out);
  }
  return out;
}

const COMMON_KEYS = [
  'state_dict',
  'model_state_dict',
  'model',
  'module',
  'net',
  'network',
  'params',
  'weights',
];

/** Picks the state dict out of an unpickled checkpoint (see {@link TorchReadOptions.key}). */
export function findStateDict(root: unknown, key?: string, src = 'torch file'): StateDict {
  if (key !== undefined) {
    let node = root;
    for (const part of key.split('.')) {
      if (!(node instanceof Map) || !node.has(part)) {
        const have = node instanceof Map ? [...node.keys()].join(', ') : typeof node;
        throw new WeightsError(src, `checkpoint has no '${key}' (at '${part}'; keys here: ${have})`, key);
      }
      node = node.get(part);
    }
    return flattenTensors(node);
  }
  if (root instanceof Map && root.size > 0 && [...root.values()].some(isStateTensor))
    return flattenTensors(root);
  if (root instanceof Map) {
    for (const k of COMMON_KEYS) {
      const v = root.get(k);
      if (v instanceof Map && flattenTensors(v).size > 0) return flattenTensors(v);
    }
  }
  return flattenTensors(root);
}

/**
 * Reads the state dict of a `torch.save` file (`.pth`, `.pt`, `.bin`) from its bytes, in Node or the browser.
 * Tensors come out contiguous (strided views and storage offsets are materialised; tensors sharing a storage
 * each get their own copy). Refuses any pickle global outside the allowed table, naming it.
 * @example
 * ```ts
 * const sd = readTorch(bytes, { name: 'resnet50.pth' });
 * sd.get('fc.weight'); // { dtype: 'float32', shape: [1000, 2048], data: Float32Array(2048000) }
 * readTorch(ckptBytes, { key: 'model' }); // {'model': state_dict, 'epoch': 3} checkpoints
 * ```
 */
export function readTorch(bytes: Uint8Array, options: TorchReadOptions = {}): StateDict {
  const src = options.name ?? 'torch file';
  return findStateDict(unpickleTorch(bytes, options), options.key, src);
}
