/**
 * The browser-safe model helpers of `@pir/search` (Node and Chromium): image vectors equal the model's own
 * embedding of the same preprocessed batch, caption search ranks as the embeddings say, the belief heat-map has
 * the model's k kept tokens on a square grid (none for a model without a belief strategy), and none leaks.
 */
import { generateSyntheticImage, type RawImage } from '@pir/datasets';
import { cleanCaption } from '@pir/datasets/captions';
import { buildWordVocab } from '@pir/encoders';
import { createModel, RetrievalModel } from '@pir/models';
import { initBackend } from '@pir/runtime';
import {
  beliefGrids,
  exactTopK,
  identityOf,
  imageBatch,
  imageVector,
  imageVectors,
  modelImageSize,
  StoreError,
  searchTexts,
  type VectorStore,
} from '@pir/search';
import { expectAllClose, expectNoLeak } from '@pir/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let model: RetrievalModel;
let vse: RetrievalModel;
let images: RawImage[];
let captions: string[];

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  const made = Array.from({ length: 6 }, (_, i) =>
    generateSyntheticImage(i, { seed: 5, size: 40, count: 6 }),
  );
  images = made.map((m) => m.pixels);
  captions = made.map((m) => m.sample.captions[0]);
  const tokenizer = buildWordVocab(
    made.flatMap((m) => m.sample.captions),
    { contextLength: 16, maxSize: 40 },
  );
  model = new RetrievalModel(createModel('pir-itr-test', { seed: 1, tokenizer }), { config: 'pir-itr-test' });
  vse = new RetrievalModel(createModel('vse-test', { seed: 1, tokenizer }), { config: 'vse-test' });
}, 60_000);

afterAll(() => {
  model?.dispose();
  vse?.dispose();
});

describe('@pir/search model helpers', () => {
  it('imageVectors: the model’s embedding of its own preprocessing, row-major, no leak', async () => {
    const size = modelImageSize(model);
    expect(size).toBe(
      (model.config.encoders.vision as unknown as { config: { imageSize: number } }).config.imageSize,
    );
    await imageVectors(model, images); // the first pass builds the model's constant tables once
    const v = await expectNoLeak(() => imageVectors(model, images), 'imageVectors');
    const d = model.embeddingDim;
    expect(v).toHaveLength(images.length * d);
    const x = imageBatch(images, size);
    expect(x.shape).toEqual([images.length, size, size, 3]); // 40 px scenes resized to the model's side
    const want = model.embedImages(x);
    x.dispose();
    await expectAllClose(v, want, { atol: 1e-5 });
    want.dispose();
    const one = await expectNoLeak(() => imageVector(model, images[2] as RawImage), 'imageVector');
    await expectAllClose(one, v.subarray(2 * d, 3 * d), { atol: 1e-5 });
    await expect(imageVectors(model, [])).rejects.toThrow(StoreError);
  });

  it('searchTexts: captions → the store’s images by cosine, kind image, no leak', async () => {
    const d = model.embeddingDim;
    const vectors = await imageVectors(model, images);
    const seen: { kind: string | undefined; k: number }[] = [];
    const store = {
      identity: identityOf(model),
      async search(identity, queries, k, options = {}) {
        expect(identity).toEqual(identityOf(model));
        seen.push({ kind: options.kind, k });
        const top = await exactTopK(queries, vectors, d, k);
        return top.map((hits) =>
          hits.map((h, r) => ({
            rank: r + 1,
            score: h.score,
            item: { id: `${h.index}`, path: `${h.index}.png` },
          })),
        );
      },
    } as Pick<VectorStore, 'identity' | 'search'> as VectorStore;
    const [hits] = await expectNoLeak(
      () => searchTexts(model, store, [captions[0] as string], 3),
      'searchTexts',
    );
    expect(seen).toEqual([{ kind: 'image', k: 3 }]);
    const q = model.embedTexts([cleanCaption(captions[0] as string, { maxWords: 30 })]);
    const [want] = await exactTopK((await q.data()) as Float32Array, vectors, d, 3);
    q.dispose();
    expect(hits?.map((h) => Number(h.item.id))).toEqual(want?.map((w) => w.index));
    await expect(searchTexts(model, store, [])).rejects.toThrow(/caption strings/);
  });

  it('beliefGrids: k kept tokens of the grid (the pooled one apart), one forward for all, no leak', async () => {
    const grids = await expectNoLeak(() => beliefGrids(model, images.slice(0, 3)), 'beliefGrids');
    expect(grids).toHaveLength(3);
    const m = model.model as unknown as { k: number };
    const r = model.model as unknown as {
      beliefMap(x: unknown): {
        scores: { data(): Promise<Float32Array>; dispose(): void };
        kept: { dispose(): void };
      };
    };
    const x = imageBatch(images.slice(0, 3), modelImageSize(model));
    const ref = r.beliefMap(x);
    const scores = await ref.scores.data();
    ref.scores.dispose();
    ref.kept.dispose();
    x.dispose();
    const tokens = scores.length / 3;
    for (const [i, g] of (grids ?? []).entries()) {
      expect(g.grid * g.grid).toBe(tokens - 1);
      expect(g.scores).toHaveLength(tokens - 1);
      const kept = g.kept.reduce((a, b) => a + b, 0) + (g.pooledKept ? 1 : 0);
      expect(kept).toBe(m.k);
      await expectAllClose(g.scores, scores.subarray(i * tokens + 1, (i + 1) * tokens), { atol: 1e-6 });
    }
    expect(await beliefGrids(vse, images.slice(0, 1))).toBeUndefined();
    await expect(beliefGrids(model, [])).rejects.toThrow(StoreError);
  });
});
