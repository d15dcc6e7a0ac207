import { captionToImageMap, evaluateRetrieval, evaluateSimilarity, MetricsInputError } from '@pir/metrics';
import { PirError } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

const plain = (rows: number, cols: number, fill = 0.5) => ({
  data: new Float32Array(rows * cols).fill(fill),
  shape: [rows, cols] as const,
});

describeBackends('input validation', () => {
  const map = captionToImageMap(3, 2); // 3 images, 6 captions
  const R = 'evaluateRetrieval';
  const S = 'evaluateSimilarity';
  // [what, call, message, where, argument]
  const cases: [string, () => Promise<unknown>, RegExp, string, string][] = [
    [
      'embedding size mismatch',
      () => evaluateRetrieval(plain(3, 4), plain(6, 5), map),
      /images \[3, 4\] and texts \[6, 5\] must have the same embedding size D/,
      R,
      'texts',
    ],
    [
      'map length ≠ nTexts',
      () => evaluateRetrieval(plain(3, 4), plain(6, 4), captionToImageMap(3, 1)),
      /captionToImage has 3 entries but there are 6 captions/,
      R,
      'captionToImage',
    ],
    [
      'map index out of range',
      () => evaluateSimilarity(plain(3, 6), [0, 0, 1, 1, 2, 3]),
      /captionToImage\[5\] = 3 .*\[0, 3\)/,
      S,
      'captionToImage',
    ],
    [
      'negative map index',
      () => evaluateSimilarity(plain(3, 6), [0, -1, 1, 1, 2, 2]),
      /captionToImage\[1\] = -1/,
      S,
      'captionToImage',
    ],
    [
      'non-integer map index',
      () => evaluateSimilarity(plain(3, 6), [0, 0.5, 1, 1, 2, 2]),
      /captionToImage\[1\] = 0.5/,
      S,
      'captionToImage',
    ],
    [
      'image without caption',
      () => evaluateSimilarity(plain(3, 6), [0, 0, 2, 2, 2, 2]),
      /image 1 has no caption.*'skip'/,
      S,
      'captionToImage',
    ],
    [
      'K < 1',
      () => evaluateSimilarity(plain(3, 6), map, { ks: [0, 1] }),
      /ks must contain positive integers \(K ≥ 1\), got 0/,
      S,
      'ks',
    ],
    ['non-integer K', () => evaluateSimilarity(plain(3, 6), map, { ks: [1.5] }), /got 1.5/, S, 'ks'],
    [
      'empty ks',
      () => evaluateSimilarity(plain(3, 6), map, { ks: [] }),
      /ks must be a non-empty array/,
      S,
      'ks',
    ],
    [
      'bad chunkSize',
      () => evaluateSimilarity(plain(3, 6), map, { chunkSize: 0 }),
      /chunkSize must be a positive integer/,
      S,
      'chunkSize',
    ],
    [
      'bad tie policy',
      () => evaluateSimilarity(plain(3, 6), map, { ties: 'random' as 'optimistic' }),
      /ties must be 'pessimistic' or 'optimistic'/,
      S,
      'ties',
    ],
    [
      'NaN in images',
      () => {
        const m = plain(3, 4);
        m.data[6] = Number.NaN;
        return evaluateRetrieval(m, plain(6, 4), map);
      },
      /images\[1, 2\] is NaN/,
      R,
      'images',
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
      R,
      'texts',
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
      S,
      'sim',
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
      S,
      'sim',
    ],
    [
      'plain data length ≠ shape',
      () => evaluateSimilarity({ data: new Float32Array(5), shape: [3, 2] }, [0, 1]),
      /sim.data has 5 values but sim.shape \[3, 2\] needs 6/,
      S,
      'sim',
    ],
    [
      'not a matrix',
      () => evaluateSimilarity([[1]] as unknown as tf.Tensor2D, [0]),
      /sim must be a tf.Tensor2D or/,
      S,
      'sim',
    ],
    [
      'zero embedding size',
      () => evaluateRetrieval(plain(3, 0), plain(6, 0), map),
      /embedding size D must be ≥ 1/,
      R,
      'images',
    ],
    [
      'no images',
      () => evaluateSimilarity(plain(0, 6), map),
      /sim rows \(images\): need at least one/,
      S,
      'sim',
    ],
    [
      'no texts',
      () => evaluateRetrieval(plain(3, 4), plain(0, 4), []),
      /texts: need at least one, got 0/,
      R,
      'texts',
    ],
    [
      'a disposed tensor',
      async () => {
        const s = tf.ones([3, 6]) as tf.Tensor2D;
        s.dispose();
        return evaluateSimilarity(s, map);
      },
      /sim is a disposed tensor/,
      S,
      'sim',
    ],
    [
      'a bool tensor',
      async () => {
        const s = tf.ones([3, 6], 'bool') as tf.Tensor2D;
        try {
          return await evaluateSimilarity(s, map);
        } finally {
          s.dispose();
        }
      },
      /sim must be a float32 or int32 tensor, got dtype 'bool'/,
      S,
      'sim',
    ],
    [
      'a bad plain shape',
      () => evaluateRetrieval({ data: new Float32Array(6), shape: [3, -2] }, plain(6, 2), map),
      /images.shape must be \[rows, cols\] of non-negative integers, got \[3, -2\]/,
      R,
      'images',
    ],
    [
      'a map that is not an array',
      () => evaluateSimilarity(plain(3, 6), 5 as unknown as number[]),
      /captionToImage must be an array/,
      S,
      'captionToImage',
    ],
    [
      'bad imagesWithoutCaptions',
      () => evaluateSimilarity(plain(3, 6), map, { imagesWithoutCaptions: 'drop' as 'skip' }),
      /imagesWithoutCaptions must be 'error' or 'skip', got "drop"/,
      S,
      'imagesWithoutCaptions',
    ],
    [
      'dot products that overflow float32 (normalize: false)',
      () => evaluateRetrieval(plain(3, 2, 1e30), plain(6, 2, 1e30), map, { normalize: false }),
      /similarity\[0, \d\] is Infinity: similarity scores must be finite/,
      R,
      '',
    ],
  ];
  for (const [what, run, message, where, argument] of cases) {
    it(`rejects ${what} with a MetricsInputError naming ${where}(${argument}), leaking nothing`, async () => {
      await expectNoLeak(async () => {
        const error = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(MetricsInputError);
        expect(error).toBeInstanceOf(PirError);
        const e = error as MetricsInputError;
        expect(e.name).toBe('MetricsInputError');
        expect(e.where).toBe(where);
        expect(e.argument).toBe(argument);
        expect(e.message.startsWith(`${where}: `), e.message).toBe(true);
        expect(e.message).toMatch(message);
      }, what);
    });
  }
});

describe('captionToImageMap', () => {
  it('throws a MetricsInputError naming nImages / perImage', () => {
    for (const [call, argument, message] of [
      [() => captionToImageMap(-1), 'nImages', /nImages must be a non-negative integer, got -1/],
      [() => captionToImageMap(2.5), 'nImages', /got 2.5/],
      [() => captionToImageMap(2, 0), 'perImage', /perImage must be a positive integer, got 0/],
    ] as const) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MetricsInputError);
      expect(error).toMatchObject({ where: 'captionToImageMap', argument, name: 'MetricsInputError' });
      expect((error as Error).message).toMatch(/^captionToImageMap: /);
      expect((error as Error).message).toMatch(message);
    }
  });
});
