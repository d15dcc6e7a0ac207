/**
 * A minimal zip reader for torch checkpoints: central directory (zip64 included), stored entries as views
 * (no copy), deflated entries through fflate.
 *
 * Every offset and size comes from the file, so every one is checked against the file before it is used, and
 * what inflating may allocate is bounded: a deflated entry cannot expand past deflate's own limit (1032:1)
 * nor, with the others, past `maxBytes`.
 */
import { inflateSync } from 'fflate';
import { WeightsError } from './errors.js';

/** Deflate's largest possible expansion (a 258-byte match per ~2 bits): 1032:1, plus a margin for headers. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * Reads the entries of a zip archive: name → bytes (stored entries are views into `bytes`).
 * @param maxBytes most bytes that inflating deflated entries may allocate in all (default: unbounded but for
 *   deflate's own 1032:1 limit)
 */
export function readZip(
  bytes: Uint8Array,
  src: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Map<string, Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  /** Throws unless [at, at + n) lies inside the file. */
  const inside = (at: number, n: number, what: string) => {
    if (!Number.isSafeInteger(at) || at < 0 || at + n > size)
      throw new WeightsError(src, `corrupt zip: ${what} at byte ${at} lies outside the file (${size} bytes)`);
  };
  let eocd = -1;
  for (let i = size - 22; i >= Math.max(0, size - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new WeightsError(src, 'not a zip archive (no end-of-central-directory record)');
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50)
      throw new WeightsError(src, 'zip64 locator missing');
    const z64 = Number(dv.getBigUint64(loc + 8, true));
    inside(z64, 56, 'the zip64 end record');
    if (dv.getUint32(z64, true) !== 0x06064b50) throw new WeightsError(src, 'zip64 end record missing');
    count = Number(dv.getBigUint64(z64 + 32, true));
    cdOffset = Number(dv.getBigUint64(z64 + 48, true));
  }
  const out = new Map<string, Uint8Array>();
  const dec = new TextDecoder();
  let inflated = 0;
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (!Number.isSafeInteger(p) || p + 46 > size || dv.getUint32(p, true) !== 0x02014b50) {
      throw new WeightsError(src, `corrupt zip central directory at byte ${p}`);
    }
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nlen = dv.getUint16(p + 28, true);
    const xlen = dv.getUint16(p + 30, true);
    const clen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    inside(p + 46, nlen + xlen + clen, 'a central-directory record');
    const name = dec.decode(bytes.subarray(p + 46, p + 46 + nlen));
    // zip64 extra field: the 0xffffffff fields, in order usize, csize, local offset
    let x = p + 46 + nlen;
    const xend = x + xlen;
    while (x + 4 <= xend) {
      const id = dv.getUint16(x, true);
      const sz = dv.getUint16(x + 2, true);
      if (x + 4 + sz > xend) throw new WeightsError(src, `corrupt zip extra field of '${name}'`, name);
      if (id === 0x0001) {
        let q = x + 4;
        const next = () => {
          if (q + 8 > x + 4 + sz) throw new WeightsError(src, `corrupt zip64 field of '${name}'`, name);
          const v = Number(dv.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = next();
        if (csize === 0xffffffff) csize = next();
        if (local === 0xffffffff) local = next();
      }
      x += 4 + sz;
    }
    p = xend + clen;
    inside(local, 30, `the local header of '${name}'`);
    if (dv.getUint32(local, true) !== 0x04034b50)
      throw new WeightsError(src, `corrupt zip local header of '${name}'`, name);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (!Number.isSafeInteger(csize) || start + csize > size)
      throw new WeightsError(src, `zip entry '${name}' runs past the end of the file`, name);
    if (out.has(name)) throw new WeightsError(src, `zip has two entries named '${name}'`, name);
    const data = bytes.subarray(start, start + csize);
    if (method === 0) out.set(name, data);
    else if (method === 8) {
      if (!Number.isSafeInteger(usize) || usize > csize * MAX_DEFLATE_RATIO + 1024)
        throw new WeightsError(
          src,
          `zip entry '${name}' claims to inflate ${csize} bytes to ${usize}, more than deflate can`,
          name,
        );
      if (inflated + usize > maxBytes)
        throw new WeightsError(
          src,
          `inflating zip entry '${name}' (${usize} bytes) would pass maxBytes (${maxBytes} bytes in all)`,
          name,
        );
      inflated += usize;
      let raw: Uint8Array;
      try {
        raw = inflateSync(data, { out: new Uint8Array(usize) });
      } catch (e) {
        throw new WeightsError(src, `zip entry '${name}' does not inflate: ${String(e)}`, name, { cause: e });
      }
      if (raw.length !== usize)
        throw new WeightsError(
          src,
          `zip entry '${name}' inflates to ${raw.length} bytes, not the ${usize} its header says`,
          name,
        );
      out.set(name, raw);
    } else
      throw new WeightsError(
        src,
        `zip entry '${name}' uses compression method ${method} (only stored/deflate)`,
        name,
      );
  }
  return out;
}
