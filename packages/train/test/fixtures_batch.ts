/**
 * Test batches for the PIR models at test size (`pir-itr-test`, `pir-clip-test`: 32 px images): B captions,
 * two per image, four scene classes; token ids inside BERT-test's / CLIP-test's vocabularies.
 */
import type { PirClipBatch, PirItrBatch } from '@pir/models';
import { Rng } from '@pir/runtime';
import * as tf from '@tensorflow/tfjs-core';

/** A PIR-ITR batch of `b` rows (`b / 2` images, captions of length `l`, padded). */
export function itrBatch(b: number, seed = 7, l = 8, vocab = 50): PirItrBatch {
  const rng = new Rng(seed);
  const images = b / 2;
  const pictures = tf.randomUniform([images, 32, 32, 3], -1, 1, 'float32', seed);
  const imageIds = Array.from({ length: b }, (_, i) => Math.floor(i / 2));
  const ids: number[][] = [];
  const mask: number[][] = [];
  for (let i = 0; i < b; i++) {
    const len = 3 + rng.int(l - 2); // 3..l tokens
    ids.push(Array.from({ length: l }, (_, j) => (j < len ? 1 + rng.int(vocab - 1) : 0)));
    mask.push(Array.from({ length: l }, (_, j) => (j < len ? 1 : 0)));
  }
  const batch: PirItrBatch = {
    images: tf.gather(pictures, imageIds) as tf.Tensor4D,
    ids: tf.tensor2d(ids, [b, l], 'int32'),
    mask: tf.tensor2d(mask, [b, l]),
    imageIds,
    labels: imageIds.map((i) => i % 4),
  };
  pictures.dispose();
  return batch;
}

/** A PIR-CLIP batch (the same rows without image ids). */
export function clipBatch(b: number, seed = 7, l = 8, vocab = 50): PirClipBatch {
  const { images, ids, mask, labels } = itrBatch(b, seed, l, vocab);
  return { images, ids, mask, labels };
}

/** Free a batch's tensors. */
export function disposeBatch(batch: { images: tf.Tensor; ids: tf.Tensor; mask: tf.Tensor }): void {
  tf.dispose([batch.images, batch.ids, batch.mask]);
}
