import { captionToImageMap, evaluateRetrieval, evaluateSimilarity } from '@pir/metrics';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

const plain = (rows: number, cols: number, fill = 0.5) => ({
  data: new Float32Array(rows * cols).fill(fill),
  shape: [rows, cols] as const,
});

describeBackends('input validation', () => {
  const map = captionToImageMap(3, 2); // 3 images, 6 captions
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'embedding size mismatch',
      () => evaluateRetrieval(plain(3, 4), plain(6, 5), map),
      /images \[3, 4\] and texts \[6, 5\] must have the same embedding size D/,
    ],
    [
      'map length ≠ nTexts',
      () => evaluateRetrieval(plain(3, 4), plain(6, 4), captionToImageMap(3, 1)),
      /captionToImage has 3 entries but there are 6 captions/,
    ],
    [
      'map index out of range',
      () => evaluateSimilarity(plain(3, 6), [0, 0, 1, 1, 2, 3]),
      /captionToImage\[5\] = 3 .*\[0, 3\)/,
    ],
    [
      'negative map index',
      () => evaluateSimilarity(plain(3, 6), [0, -1, 1, 1, 2, 2]),
      /captionToImage\[1\] = -1/,
    ],
    [
      'non-integer map index',
      () => evaluateSimilarity(plain(3, 6), [0, 0.5, 1, 1, 2, 2]),
      /captionToImage\[1\] = 0.5/,
    ],
    [
      'image without caption',
      () => evaluateSimilarity(plain(3, 6), [0, 0, 2, 2, 2, 2]),
      /image 1 has no caption.*'skip'/,
    ],
    [
      'K < 1',
      () => evaluateSimilarity(plain(3, 6), map, { ks: [0, 1] }),
      /ks must contain positive integers \(K ≥ 1\), got 0/,
    ],
    ['non-integer K', () => evaluateSimilarity(plain(3, 6), map, { ks: [1.5] }), /got 1.5/],
    ['empty ks', () => evaluateSimilarity(plain(3, 6), map, { ks: [] }), /ks must be a non-empty array/],
    [
      'bad chunkSize',
      () => evaluateSimilarity(plain(3, 6), map, { chunkSize: 0 }),
      /chunkSize must be a positive integer/,
    ],
    [
      'bad tie policy',
      () => evaluateSimilarity(plain(3, 6), map, { ties: 'random' as 'optimistic' }),
      /ties must be 'pessimistic' or 'optimistic'/,
    ],
    [
      'NaN in images',
      () => {
        const m = plain(3, 4);
        m.data[6] = Number.NaN;
        return evaluateRetrieval(m, plain(6, 4), map);
      },
      /images\[1, 2\] is NaN/,
    ],
    [
      'Infinity in a texts tensor',
      async () => {
        const t = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, Number.POSITIVE_INFINITY], [6, 2]);
        try {
          return await evaluateRetrieval(plain(3, 2), t, map);
        } finally {
          t.dispose();
        }
      },
      /texts\[5, 1\] is Infinity/,
    ],
    [
      'NaN in a similarity tensor',
      async () => {
        const s = tf.tensor2d(
          Array.from({ length: 18 }, (_, k) => (k === 13 ? Number.NaN : k)),
          [3, 6],
        );
        try {
          return await evaluateSimilarity(s, map);
        } finally {
          s.dispose();
        }
      },
      /sim\[2, 1\] is NaN/,
    ],
    [
      '1-D tensor',
      async () => {
        const v = tf.tensor1d([1, 2]);
        try {
          return await evaluateSimilarity(v as unknown as tf.Tensor2D, [0, 0]);
        } finally {
          v.dispose();
        }
      },
      /sim must be a 2-D tensor \[N, D\], got shape \[2\]/,
    ],
    [
      'plain data length ≠ shape',
      () => evaluateSimilarity({ data: new Float32Array(5), shape: [3, 2] }, [0, 1]),
      /sim.data has 5 values but sim.shape \[3, 2\] needs 6/,
    ],
    [
      'not a matrix',
      () => evaluateSimilarity([[1]] as unknown as tf.Tensor2D, [0]),
      /sim must be a tf.Tensor2D or/,
    ],
    [
      'zero embedding size',
      () => evaluateRetrieval(plain(3, 0), plain(6, 0), map),
      /embedding size D must be ≥ 1/,
    ],
    ['no images', () => evaluateSimilarity(plain(0, 6), map), /sim rows \(images\): need at least one/],
  ];
  for (const [what, run, message] of cases) {
    it(`rejects ${what} with a clear message, leaking nothing`, async () => {
      await expectNoLeak(async () => {
        await expect(run()).rejects.toThrow(message);
      }, what);
    });
  }
});
