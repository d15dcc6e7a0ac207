/**
 * A large-ish chunked evaluation in Node (2,000 images × 10,000 captions): many blocks and both passes, equal
 * to the one-block result, in bounded time. The full 20k × 100k run is `benchmarks/metrics_large.ts`.
 */
import { captionToImageMap, evaluateRetrieval } from '@pir/metrics';
import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { integerEmbeddings } from './data.js';

describeBackends('chunked evaluation at scale', () => {
  it('2,000 × 10,000 in 128-row blocks equals the single-block result, within a few seconds', async () => {
    const nImages = 2000;
    const dim = 64;
    const map = captionToImageMap(nImages, 5);
    const e = integerEmbeddings(new Rng('large'), nImages, map, dim, 0.3, 0.1);
    const images = tf.tensor2d(e.images, [nImages, dim]);
    const texts = tf.tensor2d(e.texts, [e.nTexts, dim]);
    try {
      const t0 = performance.now();
      const chunked = await expectNoLeak(() =>
        evaluateRetrieval(images, texts, map, { normalize: false, chunkSize: 128 }),
      );
      const chunkedMs = performance.now() - t0;
      const whole = await evaluateRetrieval(images, texts, map, { normalize: false, chunkSize: nImages });
      expect(Array.from(chunked.i2t.ranks)).toEqual(Array.from(whole.i2t.ranks));
      expect(Array.from(chunked.i2t.bestCaption)).toEqual(Array.from(whole.i2t.bestCaption));
      expect(Array.from(chunked.t2i.ranks)).toEqual(Array.from(whole.t2i.ranks));
      expect(chunked.mR).toBe(whole.mR);
      expect(chunkedMs).toBeLessThan(20_000);
    } finally {
      tf.dispose([images, texts]);
    }
  });
}, ['wasm']);
