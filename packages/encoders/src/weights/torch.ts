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

/** A storage placeholder from a persistent id; its bytes are read from the archive when a tensor needs them. */
class Storage {
  private typed: StateTensor['data'] | undefined;
  constructor(
    readonly key: string,
    readonly dtype: StateDType,
    /** The storage's bytes (a view into the archive for stored entries: no copy). */
    readonly bytes: () => Uint8Array,
  ) {}
  /**
   * The storage as a typed array of `dtype` (a view, or one aligned copy charged to `budget`); `where` and
   * `key` name the file and the tensor in errors.
   */
  as(dtype: StateDType, src: string, key: string, budget: Budget): StateTensor['data'] {
    if (dtype === this.dtype && this.typed) return this.typed;
    const raw = this.bytes();
    const size = DTYPE_BYTES[dtype];
    if (raw.byteLength % size !== 0) {
      throw new WeightsError(
        src,
        `tensor '${key}': storage ${this.key} has ${raw.byteLength} bytes, not a multiple of ${dtype}`,
        key,
      );
    }
    let aligned = raw;
    if (raw.byteOffset % size !== 0) {
      budget.charge(raw.byteLength, src, key, `an aligned copy of storage ${this.key}`);
      aligned = raw.slice();
    }
    const typed = typedView(dtype, aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
    if (dtype === this.dtype) this.typed = typed;
    return typed;
  }
}

class Dtype {
  constructor(readonly dtype: StateDType) {}
}

/**
 * What the reader may allocate: every materialised tensor (and aligned copy) is charged before it is made,
 * and the first charge past `max` throws — so a file cannot make the reader allocate more than it holds.
 */
class Budget {
  private spent = 0;
  constructor(readonly max: number) {}
  charge(bytes: number, src: string, key: string, what: string): void {
    if (!Number.isSafeInteger(bytes) || this.spent + bytes > this.max) {
      throw new WeightsError(
        src,
        `tensor '${key}': ${what} needs ${bytes} bytes, past maxBytes (${this.max} bytes in all, ` +
          `${this.spent} already used; default 4× the file size, at least 1 MiB): a tensor view that expands a small ` +
          'storage (stride 0) or a file that is not what it claims — raise { maxBytes } only for a file you trust',
        key,
      );
    }
    this.spent += bytes;
  }
}

/** Default {@link ReadOptions.maxBytes}: 4× the file size, at least 1 MiB. */
export function defaultMaxBytes(fileBytes: number): number {
  return Math.max(4 * fileBytes, 1 << 20);
}

/**
 * A tensor as the pickle describes it (`_rebuild_tensor_v2(storage, offset, size, stride)`), not yet
 * materialised: its view is checked against its storage and its bytes against the budget only when it is
 * read, under the key it has in the checkpoint — and tensors the caller does not ask for (an optimizer's
 * state beside the model) are never materialised.
 */
class TensorRef {
  constructor(
    readonly storage: Storage,
    readonly offset: unknown,
    readonly size: unknown,
    readonly stride: unknown,
    readonly dtype: StateDType,
  ) {}
}

function rebuild(
  src: string,
  storage: unknown,
  offset: unknown,
  size: unknown,
  stride: unknown,
  dtype?: StateDType,
): TensorRef {
  if (!(storage instanceof Storage))
    throw new WeightsError(src, 'tensor rebuilt from something other than a storage');
  return new TensorRef(storage, offset, size, stride, dtype ?? storage.dtype);
}

/** A list of non-negative safe integers (a size or a stride from the pickle), or an error naming the tensor. */
function naturals(x: unknown, what: string, src: string, key: string): number[] {
  const list = Array.isArray(x) ? x : undefined;
  const out = list?.map((v) => (typeof v === 'bigint' ? Number(v) : v));
  if (out === undefined || !out.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0))
    throw new WeightsError(
      src,
      `tensor '${key}' has an invalid ${what} ${JSON.stringify(list ?? x, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      key,
    );
  return out as number[];
}

/**
 * The tensor's values, contiguous — after checking, before allocating anything, that its view (size ×
 * stride + offset) lies inside its storage and that its bytes fit the budget.
 */
function materialize(ref: TensorRef, src: string, key: string, budget: Budget): StateTensor {
  const shape = naturals(ref.size, 'size', src, key);
  const strides = naturals(ref.stride, 'stride', src, key);
  const [off] = naturals([ref.offset], 'storage offset', src, key) as [number];
  if (strides.length !== shape.length)
    throw new WeightsError(
      src,
      `tensor '${key}' has ${shape.length} sizes but ${strides.length} strides`,
      key,
    );
  const dt = ref.dtype;
  const n = numel(shape);
  const elem = DTYPE_BYTES[dt];
  const available = Math.floor(ref.storage.bytes().byteLength / elem);
  let last = off;
  for (let i = 0; i < shape.length; i++) last += ((shape[i] as number) - 1) * (strides[i] as number);
  if (
    !Number.isSafeInteger(n) ||
    (n > 0 && !(Number.isSafeInteger(last) && last < available)) ||
    off > available
  )
    throw new WeightsError(
      src,
      `tensor '${key}' (offset ${off}, size [${shape}], stride [${strides}]) reaches past its storage ` +
        `${ref.storage.key} of ${available} ${dt} elements`,
      key,
    );
  budget.charge(n * elem, src, key, `${dt} [${shape}]`);
  const data = ref.storage.as(dt, src, key, budget);
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
function openArchive(
  bytes: Uint8Array,
  src: string,
  maxBytes: number,
): { files: Map<string, Uint8Array>; prefix: string } {
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    if (bytes[0] === 0x80) {
      throw new WeightsError(
        src,
        'legacy (pre-1.6, non-zip) torch.save format is not supported: re-save with torch.save(obj, f) in PyTorch ≥ 1.6',
      );
    }
    throw new WeightsError(src, 'not a torch zip file (expected "PK" magic)');
  }
  const files = readZip(bytes, src, maxBytes);
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

function maxBytesOf(options: TorchReadOptions, fileBytes: number, src: string): number {
  const max = options.maxBytes ?? defaultMaxBytes(fileBytes);
  if (!(max >= 0))
    throw new WeightsError(
      src,
      `maxBytes must be a non-negative number of bytes, got ${String(max)}`,
      'maxBytes',
    );
  return max;
}

/** The checkpoint object with its tensors not yet materialised ({@link TensorRef} leaves). */
function unpickleLazy(bytes: Uint8Array, options: TorchReadOptions, src: string): unknown {
  const { files, prefix } = openArchive(bytes, src, maxBytesOf(options, bytes.length, src));
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
      const typeName = (type as PyCallable | undefined)?.global?.replace(/^torch\./, '') ?? '';
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

/** A container's children as `[path part, value]` (dict keys, list indices, a stub's state). */
function children(node: unknown): [string | undefined, unknown][] {
  if (node instanceof Map) return [...node].map(([k, v]) => [String(k), v]);
  if (Array.isArray(node)) return node.map((v, i) => [String(i), v]);
  if (node instanceof PyObject) return [[undefined, node.state]];
  return [];
}

/**
 * Every leaf under `obj` that `isLeaf` accepts, with its dotted path, depth first in pickle order. Iterative,
 * and each container is entered once, so a self-referencing or deeply nested pickle cannot overflow the stack.
 */
function leaves<T>(obj: unknown, prefix: string, isLeaf: (x: unknown) => x is T): [string, T][] {
  const out: [string, T][] = [];
  const seen = new Set<unknown>();
  const stack: [string, unknown][] = [[prefix, obj]];
  while (stack.length > 0) {
    const [path, node] = stack.pop() as [string, unknown];
    if (isLeaf(node)) {
      out.push([path, node]);
      continue;
    }
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) {
      const [part, v] = kids[i] as [string | undefined, unknown];
      stack.push([part === undefined ? path : path ? `${path}.${part}` : part, v]);
    }
  }
  return out;
}

const isRef = (x: unknown): x is TensorRef => x instanceof TensorRef;

/**
 * Replaces every {@link TensorRef} under `root` (in place) by `replace(ref, path)` — once per tensor object —
 * where `path` is its dotted path. Iterative, each container once.
 */
function replaceRefs(root: unknown, replace: (ref: TensorRef, path: string) => unknown): unknown {
  const done = new Map<TensorRef, unknown>();
  const get = (ref: TensorRef, path: string) => {
    if (!done.has(ref)) done.set(ref, replace(ref, path || '(root)'));
    return done.get(ref);
  };
  if (isRef(root)) return get(root, '');
  const seen = new Set<unknown>();
  const stack: [string, unknown][] = [['', root]];
  while (stack.length > 0) {
    const [path, node] = stack.pop() as [string, unknown];
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    const at = (part: string) => (path ? `${path}.${part}` : part);
    if (node instanceof Map) {
      for (const [k, v] of node) {
        if (isRef(v)) node.set(k, get(v, at(String(k))));
        else stack.push([at(String(k)), v]);
      }
    } else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v = node[i];
        if (isRef(v)) node[i] = get(v, at(String(i)));
        else stack.push([at(String(i)), v]);
      }
    } else if (node instanceof PyObject) {
      if (isRef(node.state)) node.state = get(node.state, path);
      else stack.push([path, node.state]);
      node.args = node.args.map((v, i) => (isRef(v) ? get(v, at(`args.${i}`)) : v));
    }
  }
  return root;
}

/** A tensor of a checkpoint that {@link readCheckpoint} did not read: its dtype and shape only. */
export interface TensorInfo {
  dtype: StateDType;
  /** The shape the pickle declares (as given: not checked, since nothing is read). */
  shape: unknown[];
}

/**
 * Unpickles a `torch.save` file into plain values: dicts → `Map`, tensors → {@link StateTensor}, lists/tuples
 * → arrays. Use it to read a checkpoint's extra fields (`epoch`, …). Every tensor of the file is
 * materialised (within {@link ReadOptions.maxBytes}); {@link readTorch} materialises only the state dict.
 * @example
 * ```ts
 * const ckpt = unpickleTorch(bytes) as Map<string, unknown>;
 * ckpt.get('epoch'); // 3
 * ```
 */
export function unpickleTorch(bytes: Uint8Array, options: TorchReadOptions = {}): unknown {
  const src = options.name ?? 'torch file';
  const root = unpickleLazy(bytes, options, src);
  const budget = new Budget(maxBytesOf(options, bytes.length, src));
  return replaceRefs(root, (ref, path) => materialize(ref, src, path, budget));
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
  for (const [path, t] of leaves(obj, prefix, isStateTensor)) out.set(path, t);
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

/** The node of the checkpoint that holds the state dict (see {@link TorchReadOptions.key}). */
function stateDictNode<T>(
  root: unknown,
  key: string | undefined,
  src: string,
  isLeaf: (x: unknown) => x is T,
) {
  if (key !== undefined) {
    let node = root;
    for (const part of key.split('.')) {
      if (!(node instanceof Map) || !node.has(part)) {
        const have = node instanceof Map ? [...node.keys()].join(', ') : typeof node;
        throw new WeightsError(src, `checkpoint has no '${key}' (at '${part}'; keys here: ${have})`, key);
      }
      node = node.get(part);
    }
    return node;
  }
  if (root instanceof Map && root.size > 0 && [...root.values()].some(isLeaf)) return root;
  if (root instanceof Map) {
    for (const k of COMMON_KEYS) {
      const v = root.get(k);
      if (v instanceof Map && leaves(v, '', isLeaf).length > 0) return v;
    }
  }
  return root;
}

/** Picks the state dict out of an unpickled checkpoint (see {@link TorchReadOptions.key}). */
export function findStateDict(root: unknown, key?: string, src = 'torch file'): StateDict {
  return flattenTensors(stateDictNode(root, key, src, isStateTensor));
}

/**
 * Reads the state dict of a `torch.save` file (`.pth`, `.pt`, `.bin`) from its bytes, in Node or the browser.
 * Tensors come out contiguous (strided views and storage offsets are materialised; tensors sharing a storage
 * each get their own copy). Refuses any pickle global outside the allowed table, naming it. Only the state
 * dict's tensors are materialised (not, e.g., an optimizer's state beside it), each after checking that its
 * view lies inside its storage and that all of them stay within {@link ReadOptions.maxBytes}.
 * @throws WeightsError naming the file (`where`) and the tensor or global (`argument`) for anything malformed
 * @example
 * ```ts
 * const sd = readTorch(bytes, { name: 'resnet50.pth' });
 * sd.get('fc.weight'); // { dtype: 'float32', shape: [1000, 2048], data: Float32Array(2048000) }
 * readTorch(ckptBytes, { key: 'model' }); // {'model': state_dict, 'epoch': 3} checkpoints
 * ```
 */
export function readTorch(bytes: Uint8Array, options: TorchReadOptions = {}): StateDict {
  return readCheckpoint(bytes, options).stateDict;
}

/** What {@link readCheckpoint} returns. */
export interface TorchCheckpoint {
  /** The state dict, as {@link readTorch} returns it. */
  stateDict: StateDict;
  /**
   * The dotted path of the state dict in the checkpoint (`'model'`, `'state_dict'`), `''` when the file is
   * the state dict itself.
   */
  key: string;
  /**
   * The checkpoint's other top-level entries, unpickled (`config`, `epoch`, `args` with
   * `unknownGlobals: 'stub'`…): dicts are `Map`s, and their tensors (an optimizer's state) are not read but
   * described as {@link TensorInfo} `{ dtype, shape }`. Empty when the file is the state dict itself.
   */
  fields: Map<string, unknown>;
}

/**
 * Reads a `torch.save` checkpoint record — e.g. the released PIR-ITR's `{'model': state_dict, 'config':
 * config}` or open_clip's `{'epoch', 'name', 'state_dict', 'optimizer'}` — in one pass: its state dict
 * (found as {@link readTorch} finds it, or under `key`) and its other fields, without reading the tensors
 * outside the state dict.
 * @example
 * ```ts
 * const { stateDict, key, fields } = readCheckpoint(bytes, { name: 'checkpoint_best.pth' });
 * key; // 'model'
 * fields.get('config'); // Map { 'embed_dim' => 512, 'filter_size' => 40, … }
 * ```
 */
export function readCheckpoint(bytes: Uint8Array, options: TorchReadOptions = {}): TorchCheckpoint {
  const src = options.name ?? 'torch file';
  const root = unpickleLazy(bytes, options, src);
  const node = stateDictNode(root, options.key, src, isRef);
  const budget = new Budget(maxBytesOf(options, bytes.length, src));
  const stateDict: StateDict = new Map();
  for (const [path, ref] of leaves(node, '', isRef)) {
    if (stateDict.has(path)) throw new WeightsError(src, `two tensors have the key '${path}'`, path);
    stateDict.set(path, materialize(ref, src, path, budget));
  }
  const fields = new Map<string, unknown>();
  let key = '';
  if (root instanceof Map && node !== root) {
    if (options.key !== undefined) key = options.key;
    for (const [k, v] of root) {
      if (v === node && key === '') key = String(k);
      if (v !== node) fields.set(String(k), v);
    }
    replaceRefs(fields, (ref) => ({ dtype: ref.dtype, shape: Array.isArray(ref.size) ? [...ref.size] : [] }));
  }
  return { stateDict, key, fields };
}
