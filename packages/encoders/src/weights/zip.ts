/**
 * A minimal zip reader for torch checkpoints: central directory (zip64 included), stored entries as views
 * (no copy), deflated entries through fflate.
 */
import { inflateSync } from 'fflate';
import { WeightsError } from './errors.js';

/** Reads the entries of a zip archive: name → bytes (stored entries are views into `bytes`). */
export function readZip(bytes: Uint8Array, src: string): Map<string, Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
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
    if (dv.getUint32(z64, true) !== 0x06064b50) throw new WeightsError(src, 'zip64 end record missing');
    count = Number(dv.getBigUint64(z64 + 32, true));
    cdOffset = Number(dv.getBigUint64(z64 + 48, true));
  }
  const out = new Map<string, Uint8Array>();
  const dec = new TextDecoder();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== 0x02014b50) {
      throw new WeightsError(src, `corrupt zip central directory at byte ${p}`);
    }
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nlen = dv.getUint16(p + 28, true);
    const xlen = dv.getUint16(p + 30, true);
    const clen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const name = dec.decode(bytes.subarray(p + 46, p + 46 + nlen));
    // zip64 extra field: the 0xffffffff fields, in order usize, csize, local offset
    let x = p + 46 + nlen;
    const xend = x + xlen;
    while (x + 4 <= xend) {
      const id = dv.getUint16(x, true);
      const sz = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (usize === 0xffffffff) {
          usize = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (csize === 0xffffffff) {
          csize = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (local === 0xffffffff) local = Number(dv.getBigUint64(q, true));
      }
      x += 4 + sz;
    }
    p = xend + clen;
    if (dv.getUint32(local, true) !== 0x04034b50)
      throw new WeightsError(src, `corrupt zip local header of '${name}'`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + csize > bytes.length)
      throw new WeightsError(src, `zip entry '${name}' runs past the end of the file`);
    const data = bytes.subarray(start, start + csize);
    if (method === 0) out.set(name, data);
    else if (method === 8) out.set(name, inflateSync(data, { out: new Uint8Array(usize) }));
    else
      throw new WeightsError(
        src,
        `zip entry '${name}' uses compression method ${method} (only stored/deflate)`,
      );
  }
  return out;
}
