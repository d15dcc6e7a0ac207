/**
 * Shared by every tokenizer: pad/truncate id lists into the [B, L] tensors of a {@link TokenizedBatch}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TokenizedBatch } from '../contract.js';

/**
 * Packs id lists into `ids` [B, L] int32 and `mask` [B, L] int32 (1 = real token). Longer lists are cut to
 * `length` with their last id kept in the last slot (the end token: `[SEP]` / `<|endoftext|>`).
 */
export function packBatch(lists: readonly number[][], length: number, padId: number): TokenizedBatch {
  const B = lists.length;
  const ids = new Int32Array(B * length).fill(padId);
  const mask = new Int32Array(B * length);
  for (let b = 0; b < B; b++) {
    const l = lists[b] as number[];
    const n = Math.min(l.length, length);
    for (let i = 0; i < n; i++) ids[b * length + i] = l[i] as number;
    if (l.length > length) ids[b * length + length - 1] = l[l.length - 1] as number;
    mask.fill(1, b * length, b * length + n);
  }
  return { ids: tf.tensor2d(ids, [B, length], 'int32'), mask: tf.tensor2d(mask, [B, length], 'int32') };
}

/** Python's `str.isspace()` characters (differs from JS `\s`: adds U+001C–U+001F and U+0085, drops U+FEFF). */
export const PY_SPACE =
  '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
