/**
 * A released checkpoint converted to a model directory and back: loadReleased* → saveModel (the configuration
 * from releasedModelConfig) → loadModel gives the same embeddings, and the model's weights under a model
 * directory's prefixes, mapped with the inverse name maps (`pirItrToReleased`, `pirClipToReleased`), are the
 * released state dict again, key for key and value for value — so a model trained here loads into the
 * authors' PyTorch code.
 */
import { readFileSync } from 'node:fs';
import { mapStateDict, readCheckpoint, readWeights } from '@pir/encoders/weights';
import { type HasParameters, stateDict, withPrefix } from '@pir/nn';
import { describeBackends } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { loadModel, serializeModel } from '../src/model_dir.js';
import { loadReleasedPirClip, loadReleasedPirItr, releasedModelConfig } from '../src/released.js';

const dir = new URL('./fixtures/released/', import.meta.url);
const bytesOf = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

/** The released keys a model keeps (buffers the loaders recompute are not weights). */
const kept = (k: string) => !/(num_batches_tracked|relative_position_index|attn_mask|position_ids)$/.test(k);

/** The weights of a model and its encoders as a model directory names them. */
async function directoryWeights(model: { namedParameters(): never[]; encoders: Record<string, object> }) {
  const inner = (e: object) => ((e as { inner?: object }).inner ?? e) as HasParameters; // FirstTokens wraps the Swin
  const part = (prefix: string, h: HasParameters) => ({
    namedParameters: () => withPrefix(prefix, h.namedParameters()),
  });
  return stateDict([
    part('model.', model as unknown as HasParameters),
    ...['vision', 'text', 'instruction'].map((r) => part(`${r}.`, inner(model.encoders[r] as object))),
  ]);
}

describeBackends('released checkpoints → model directory → released names', () => {
  // the fixtures are test-size models whose head counts are not in the files (see released.node.test.ts)
  for (const [file, load, map, options] of [
    ['pir_itr_released.pth', loadReleasedPirItr, 'pirItrToReleased', { textHeads: 4 }],
    ['pir_clip_released.pt', loadReleasedPirClip, 'pirClipToReleased', { headWidth: 8 }],
  ] as const) {
    it(file, async () => {
      const bytes = bytesOf(file);
      const model = await (load as typeof loadReleasedPirItr)(bytes, { name: file, ...options });
      const weights = await directoryWeights(model as never);
      if (map === 'pirClipToReleased') {
        const files = await serializeModel(model as never, {
          config: releasedModelConfig(model),
          tokenizer: null,
        });
        expect(readWeights(files['model.safetensors'] as Uint8Array).size).toBe(weights.size);
        const back = await loadModel(files);
        const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
        const [a, b] = [model.embedImages(x), back.model.embedImages(x)];
        expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
        tf.dispose([x, a, b]);
        back.model.dispose();
      } else {
        // this fixture's Swin gives 65 tokens, ranked as the released first 50 (FirstTokens): a model
        // configuration cannot express that, and releasedModelConfig says so
        expect(() => releasedModelConfig(model)).toThrow(/FirstTokens/);
      }
      const released = readCheckpoint(bytes, { name: file }).stateDict;
      const strip = (k: string) => k.replace(/^module\./, '');
      const want = new Map([...released].filter(([k]) => kept(strip(k))).map(([k, t]) => [strip(k), t]));
      const got = mapStateDict(weights, map);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, t] of want) {
        const g = got.get(k);
        expect(g?.shape, k).toEqual(t.shape);
        expect(Array.from(g?.data as Float32Array), k).toEqual(Array.from(t.data as Float32Array));
      }
      model.dispose();
    });
  }
  it('a model not loaded from a released checkpoint has no released configuration', () => {
    expect(() => releasedModelConfig({})).toThrow(/was not loaded by loadReleasedPirItr/);
  });
}, ['cpu']);
