/** An empty or malformed batch is a clear error at every entry point, before any tfjs op. */
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { createModel, ModelInputError } from '../src/index.js';

describeBackends('empty and malformed batches', () => {
  for (const name of ['pir-itr-test', 'pir-clip-test', 'vse-test'] as const) {
    it(name, async () => {
      const model = createModel(name, { seed: 1 });
      await expectNoLeak(() => {
        const empty = tf.zeros([0, 32, 32, 3]) as tf.Tensor4D;
        const noIds = tf.zeros([0, 5], 'int32') as tf.Tensor2D;
        const flat = tf.zeros([2, 32, 32]) as unknown as tf.Tensor4D;
        const code = (f: () => unknown) => {
          try {
            f();
            return 'no error';
          } catch (e) {
            expect(e).toBeInstanceOf(ModelInputError);
            return `${(e as ModelInputError).where} ${(e as ModelInputError).argument}: ${(e as Error).message}`;
          }
        };
        expect(code(() => model.embedImages(empty))).toMatch(
          /encodeImages images: .*is an empty batch \(shape \[0, 32, 32, 3\]\)/,
        );
        expect(code(() => model.embedImages(flat))).toMatch(
          /images: .*must be \[B, H, W, 3\], got shape \[2, 32, 32\]/,
        );
        expect(code(() => model.embedTexts(noIds, noIds))).toMatch(/embedTexts ids: .*empty batch/);
        expect(code(() => model.loss({ images: undefined } as never))).toMatch(
          /loss images: .*must be a \[B, H, W, 3\] tensor/,
        );
        tf.dispose([empty, noIds, flat]);
      }, `${name} errors`);
      model.dispose();
    });
  }
});
