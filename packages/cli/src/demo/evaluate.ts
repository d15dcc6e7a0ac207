/**
 * The demo's evaluation: test retrieval with `@pir/metrics` — every test image against every test caption,
 * R@1/5/10 both ways, mR (the same function before and after training).
 */
import { evaluateRetrieval, type RetrievalReport } from '@pir/metrics';
import type { PirItr } from '@pir/models';
import * as tf from '@tensorflow/tfjs-core';
import { captionsOf, captionText, type DemoData } from './data.js';

/** Embed the test images and all their captions (dropout off) and score retrieval both ways. */
export async function evaluateTestRetrieval(model: PirItr, data: DemoData): Promise<RetrievalReport> {
  const captions = captionsOf(data, data.test);
  // gallery positions: caption → its image's row among the test images
  const row = new Map(data.test.map((image, j) => [image, j]));
  const captionToImage = Int32Array.from(captions, (c) => row.get(c.image) as number);
  const images = tf.gather(data.images, data.test) as tf.Tensor4D;
  const { ids, mask } = data.tokenizer.batch(captions.map((c) => captionText(data, c)));
  const v = model.embedImages(images);
  const t = model.embedTexts(ids, mask);
  try {
    return await evaluateRetrieval(v, t, captionToImage);
  } finally {
    tf.dispose([images, ids, mask, v, t]);
  }
}
