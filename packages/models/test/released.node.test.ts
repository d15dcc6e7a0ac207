/**
 * The authors' checkpoints, at test size: `tools/golden/released_checkpoints.py` builds a PIR-ITR and a
 * PIR-CLIP in PyTorch under the released code's exact state-dict names and forward passes (written from
 * jaychempan/PIR and jaychempan/PIR-CLIP, not from this package), saves them as the released training
 * scripts do (`{'model': sd, 'config': cfg}`; open_clip's `{'epoch', 'name', 'state_dict' (module.),
 * 'optimizer'}`) and records their embeddings of a few images and captions.
 *
 * Sizes: PIR-ITR `pir_itr_released.pth` 547,072 B (427 keys): 32-px images, a 2-stage Swin (patch 2, window 4,
 * 8 → 16 wide, both stages shifted: 1 + 64 tokens, of which the released code ranks the first 50), BERT
 * 32 wide × 2 layers × 4 heads, a bottleneck ResNet of width 4 (blocks 1-2-1-1), D = 16, k = 8 of 50, 4 PAE
 * heads, 2 + 3 PAE layers, max_tokens 10, chunks of 3 captions. PIR-CLIP `pir_clip_released.pt` 410,709 B (205
 * keys): 32-px ViT (patch 8, width 32, 2 layers), text tower 32 wide (context 12), ModifiedResNet of width 2
 * (blocks 1-2-1-1), embedding 24, head_width 8.
 *
 * Tolerance: 2e-6 absolute on cpu, 1e-5 on wasm, on L2-normalised embeddings (entries ≤ 1). Both sides compute
 * in float32 with different summation orders (tfjs kernels vs PyTorch's MKL/oneDNN); what differs is
 * rounding, ~1e-7 per operation, carried through ~30 layers that LayerNorm and BatchNorm keep at unit scale.
 * Measured (max |Δ|): cpu v 1.6e-7, chunked t 2.2e-7, one-by-one t 3.8e-7, PIR-CLIP v 2.4e-7, t 1.6e-7; wasm
 * 1.6e-7, 2.8e-7, 4.4e-7, 2.8e-7, 2.8e-7 — the bound leaves 5× (cpu) and 20× (wasm: SIMD kernels whose
 * order may differ by build) of room. The belief ranks cannot flip: the script asserts the belief logits are
 * ≥ 1e-3 from a tie (min gaps 0.004 PIR-ITR, 0.02 PIR-CLIP). What the quirks change is far larger: QuickGELU
 * instead of GELU moves the ViT output by > 1e-3, the chunking moves a caption's embedding by up to 0.26.
 */
import { readFile } from 'node:fs/promises';
import { BertEncoder, ClipTextTransformer, type Tokenizer } from '@pir/encoders';
import { readCheckpoint, type StateDict, WeightsError } from '@pir/encoders/weights';
import { StateDictError } from '@pir/nn';
import { PirError } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ModelInputError } from '../src/errors.js';
import {
  embedCaptionsReleased,
  FirstTokens,
  loadReleasedPirClip,
  loadReleasedPirItr,
  mapReleasedPirClip,
  mapReleasedPirItr,
  releasedPirClipConfig,
  releasedPirItrConfig,
} from '../src/released.js';
import clipFx from './fixtures/released/pir_clip_released.json';
import itrFx from './fixtures/released/pir_itr_released.json';

const dir = new URL('./fixtures/released/', import.meta.url);
const itrPath = new URL(itrFx.file, dir).pathname;
const clipPath = new URL(clipFx.file, dir).pathname;
const bytesOf = async (path: string) => new Uint8Array(await readFile(path));

function images(fx: { images: { shape: number[]; f32: string } }): tf.Tensor4D {
  const b = Buffer.from(fx.images.f32, 'base64');
  const data = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return tf.tensor4d(data, fx.images.shape as [number, number, number, number]);
}

const tol = (backend: string) => ({ atol: backend === 'cpu' ? 2e-6 : 1e-5, rtol: 0 });

/** The options the test-size checkpoints need beyond the file: heads that are not in it. */
const ITR = { textHeads: 4 } as const;
const CLIP = { headWidth: 8 } as const;

describe('released name maps', () => {
  it('pirItrReleased renames the instruction ResNet, its projection and τ2, and drops recomputed buffers', async () => {
    const { stateDict, key, fields } = readCheckpoint(await bytesOf(itrPath), { name: itrFx.file });
    expect(key).toBe('model');
    expect([...stateDict.keys()]).toEqual(itrFx.keys);
    expect((fields.get('config') as Map<string, unknown>).get('filter_size')).toBe(8);
    const mapped = mapReleasedPirItr(stateDict);
    const keys = [...mapped.keys()];
    expect(keys.filter((k) => /^conv_encoder\.|^conv_proj\.|^temp2$/.test(k))).toEqual([]);
    expect(
      keys.filter((k) => /relative_position_index|attn_mask|position_ids|num_batches_tracked/.test(k)),
    ).toEqual([]);
    for (const [from, to] of [
      ['conv_encoder.0.weight', 'instruction_encoder.conv1.weight'],
      ['conv_encoder.1.running_var', 'instruction_encoder.bn1.running_var'],
      ['conv_encoder.4.0.conv1.weight', 'instruction_encoder.layer1.0.conv1.weight'],
      ['conv_encoder.5.1.conv3.weight', 'instruction_encoder.layer2.1.conv3.weight'],
      ['conv_encoder.7.0.downsample.1.running_var', 'instruction_encoder.layer4.0.downsample.1.running_var'],
      ['conv_proj.weight', 'instruction_proj.weight'],
      ['temp2', 'temp_center'],
      [
        'vision_encoder.layers.0.downsample.reduction.weight',
        'vision_encoder.layers.0.downsample.reduction.weight',
      ],
      [
        'text_encoder.encoder.layer.1.attention.output.LayerNorm.weight',
        'text_encoder.encoder.layer.1.attention.output.LayerNorm.weight',
      ],
      ['img_ca.1.mhatt_cross.linear_q.weight', 'img_ca.1.mhatt_cross.linear_q.weight'],
    ]) {
      expect(mapped.get(to as string), `${from} → ${to}`).toBe(stateDict.get(from as string));
    }
    expect(mapReleasedPirItr(mapped)).toEqual(mapped); // idempotent
  });

  it('pirClipReleased moves the towers under our prefixes (module. stripped), not reading the optimizer', async () => {
    const { stateDict, key, fields } = readCheckpoint(await bytesOf(clipPath));
    expect(key).toBe('state_dict');
    expect([...stateDict.keys()]).toEqual(clipFx.keys.map((k) => `module.${k}`));
    expect(fields.get('epoch')).toBe(5);
    const state = (fields.get('optimizer') as Map<string, unknown>).get('state') as Map<
      number,
      Map<string, unknown>
    >;
    expect(state.get(0)?.get('exp_avg')).toEqual({ dtype: 'float32', shape: [4] }); // described, not read
    const mapped = mapReleasedPirClip(stateDict);
    for (const [from, to] of [
      ['module.visual.conv1.weight', 'vision_encoder.conv1.weight'],
      [
        'module.visual.transformer.resblocks.1.attn.in_proj_weight',
        'vision_encoder.transformer.resblocks.1.attn.in_proj_weight',
      ],
      ['module.res_visual.attnpool.c_proj.weight', 'instruction_encoder.attnpool.c_proj.weight'],
      ['module.res_visual.layer2.1.bn3.running_mean', 'instruction_encoder.layer2.1.bn3.running_mean'],
      ['module.vision_proj_res.weight', 'instruction_proj.weight'],
      ['module.token_embedding.weight', 'text_encoder.token_embedding.weight'],
      ['module.positional_embedding', 'text_encoder.positional_embedding'],
      [
        'module.transformer.resblocks.0.mlp.c_fc.weight',
        'text_encoder.transformer.resblocks.0.mlp.c_fc.weight',
      ],
      ['module.text_projection', 'text_encoder.text_projection'],
      ['module.logit_scale', 'logit_scale'],
    ]) {
      expect(mapped.get(to as string), `${from} → ${to}`).toBe(stateDict.get(from as string));
    }
  });
});

describe('released configurations read off the files', () => {
  it('PIR-ITR: the encoders as built in PyTorch, the model from the saved config', async () => {
    const { stateDict, fields } = readCheckpoint(await bytesOf(itrPath));
    const config = Object.fromEntries(fields.get('config') as Map<string, unknown>);
    const c = releasedPirItrConfig(stateDict, { config, ...ITR });
    const e = itrFx.encoders;
    expect(c.swin).toMatchObject({ ...e.swin, numClasses: 0, eps: 1e-5 });
    expect(c.bert).toMatchObject({ ...e.bert, pooler: false, layerNormEps: 1e-12, attentionMask: 'none' });
    expect(c.resnet).toMatchObject({ block: 'bottleneck', ...e.resnet, numClasses: 0 });
    expect(c.model).toEqual({
      dim: 16,
      k: 8,
      heads: 4,
      spatialLayers: 2,
      temporalLayers: 3,
      dropout: 0.2,
      lambda: 1,
      variant: 'released',
    });
    expect([c.maxTokens, c.chunkSize, c.rankTokens]).toEqual([10, 3, 50]);
    // the image size also follows from the Swin's attn_mask buffers, and must agree with them
    expect(releasedPirItrConfig(stateDict, ITR).swin.imageSize).toBe(32);
    const e2 = (() => {
      try {
        releasedPirItrConfig(stateDict, { ...ITR, imageSize: 64 });
      } catch (err) {
        return err as ModelInputError;
      }
    })();
    expect(e2).toBeInstanceOf(ModelInputError);
    expect([e2?.where, e2?.argument]).toEqual(['releasedPirItrConfig', 'imageSize']);
    // BERT's heads are not in the file: a width that is no multiple of 64 needs them
    expect(() => releasedPirItrConfig(stateDict, { config })).toThrow(/pass \{ textHeads \}/);
    expect(() =>
      releasedPirItrConfig(stateDict, { config: { ...config, is_baseline: true }, ...ITR }),
    ).toThrow(/baseline checkpoint/);
  });

  it('PIR-CLIP: exact GELU in both towers, heads from head_width', async () => {
    const { stateDict } = readCheckpoint(await bytesOf(clipPath));
    const c = releasedPirClipConfig(stateDict, CLIP);
    expect(c.vit).toEqual({
      imageSize: 32,
      patchSize: 8,
      width: 32,
      layers: 2,
      heads: 4,
      outputDim: 24,
      mlpRatio: 4,
      activation: 'gelu',
      globalOutput: 'projected',
    });
    expect(c.text).toEqual({
      vocabSize: 64,
      contextLength: 12,
      width: 32,
      layers: 2,
      heads: 4,
      outputDim: 24,
      mlpRatio: 4,
      activation: 'gelu',
      pooling: 'argmax',
    });
    expect(c.resnet).toEqual({
      layers: [1, 2, 1, 1],
      width: 2,
      imageSize: 32,
      heads: 8,
      outputDim: 24,
      batchNorm: 'frozen',
    });
    expect(() => releasedPirClipConfig(stateDict)).toThrow(/not a multiple of headWidth 64/);
  });
});

describeBackends('released PIR-ITR checkpoint', (backend) => {
  it('loads strictly from a path and gives the released embeddings; a batch of one image works', async () => {
    const model = await loadReleasedPirItr(itrPath, ITR);
    try {
      expect(model.variant).toBe('released');
      expect(model.k).toBe(8);
      expect(model.encoders.vision).toBeInstanceOf(FirstTokens); // 1 + 64 tokens: the first 50 are ranked
      expect(model.encoders.vision.localTokens).toBe(49);
      expect(model.encoders.text).toBeInstanceOf(BertEncoder);
      expect(model.encoders.text.config.attentionMask).toBe('none');
      const x = images(itrFx);
      const x1 = tf.slice(x, [1, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      tf.dispose(model.embedImages(x1)); // the frozen ResNet folds its BatchNorms on first use (kept)
      await expectNoLeak(async () => {
        const v = model.embedImages(x);
        await expectAllClose(v, itrFx.v.flat(), tol(backend), 'v');
        const one = model.embedImages(x1);
        await expectAllClose(one, (itrFx.v[1] as number[]).flat(), tol(backend), 'v of a batch of one');
        tf.dispose([v, one]);
      }, 'embedImages');
      tf.dispose([x, x1]);
    } finally {
      model.dispose();
    }
  });

  it('embeds captions as the released evaluation does: chunked, padded to the chunk, truncated', async () => {
    const model = await loadReleasedPirItr(await bytesOf(itrPath), ITR);
    try {
      await expectNoLeak(async () => {
        // the checkpoint's config: chunks of 3, max_tokens 10
        const t = embedCaptionsReleased(model, itrFx.captions);
        await expectAllClose(t, itrFx.tChunked.flat(), tol(backend), 'chunked t');
        const alone = embedCaptionsReleased(model, itrFx.captions, { chunkSize: 1 });
        await expectAllClose(alone, itrFx.tAlone.flat(), tol(backend), 't one caption at a time');
        // the chunk changes a caption's embedding (padding attends): that is what the released numbers contain
        const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(t, alone))).dataSync()[0] as number);
        expect(gap).toBeGreaterThan(1e-2);
        tf.dispose([t, alone]);
      }, 'embedCaptionsReleased');
      // strings go through a tokenizer, with the same truncation
      const vocab = new Map(itrFx.captions.map((ids, i) => [`caption ${i}`, ids]));
      const tokenizer = { encode: (s: string) => vocab.get(s) as number[] } as unknown as Tokenizer;
      const texts = [...vocab.keys()];
      const a = embedCaptionsReleased(model, texts, { tokenizer });
      await expectAllClose(a, itrFx.tChunked.flat(), tol(backend), 'from strings');
      a.dispose();
    } finally {
      model.dispose();
    }
  });

  it('reports every missing, unexpected and mis-shaped key at once, and frees what it built', async () => {
    const { stateDict, fields } = readCheckpoint(await bytesOf(itrPath));
    const config = Object.fromEntries(fields.get('config') as Map<string, unknown>);
    const broken: StateDict = new Map(stateDict);
    broken.delete('conv_encoder.5.1.bn2.running_mean');
    broken.delete('temp2');
    broken.set('text_encoder.pooler.weight_typo', {
      dtype: 'float32',
      shape: [1],
      data: new Float32Array(1),
    });
    const w = stateDict.get('head_img.bias');
    broken.set('head_img.bias', {
      dtype: 'float32',
      shape: [17],
      data: new Float32Array(17).fill(w?.data[0] as number),
    });
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      await loadReleasedPirItr(broken, { ...ITR, config });
    } catch (e) {
      error = e;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(error).toBeInstanceOf(StateDictError);
    expect(error).toBeInstanceOf(PirError);
    const e = error as StateDictError;
    expect(e.where).toBe('loadReleasedPirItr');
    expect(e.missing).toEqual(['instruction_encoder.layer2.1.bn2.running_mean', 'temp_center']);
    expect(e.unexpected).toEqual(['text_encoder.pooler.weight_typo']);
    expect(e.mismatched).toEqual([{ key: 'head_img.bias', expected: [16], got: [17] }]);
  });

  it('a file that is not a checkpoint is a WeightsError naming it; bad options are ModelInputErrors', async () => {
    await expect(loadReleasedPirItr(new Uint8Array([1, 2, 3]), { name: 'x.pth' })).rejects.toThrow(
      WeightsError,
    );
    await expect(loadReleasedPirItr(await bytesOf(itrPath), { ...ITR, k: 0 })).rejects.toThrow(
      ModelInputError,
    );
    await expect(loadReleasedPirItr(42 as unknown as Uint8Array)).rejects.toThrow(/expected the checkpoint/);
    const model = await loadReleasedPirItr(itrPath, ITR);
    try {
      expect(() => embedCaptionsReleased(model, [])).toThrow(ModelInputError);
      expect(() => embedCaptionsReleased(model, [[2, 1.5, 3]])).toThrow(/captions\[0\]/);
      expect(() => embedCaptionsReleased(model, [[2, 3]], { maxTokens: 1 })).toThrow(/maxTokens/);
    } finally {
      model.dispose();
    }
  });
});

describeBackends('released PIR-CLIP checkpoint', (backend) => {
  it('loads strictly (exact GELU, released soft belief) and gives the released embeddings', async () => {
    const before = tf.memory().numTensors;
    const model = await loadReleasedPirClip(clipPath, CLIP);
    try {
      expect(model.variant).toBe('released');
      expect(model.encoders.vision.config.activation).toBe('gelu');
      expect(model.encoders.text).toBeInstanceOf(ClipTextTransformer);
      expect(model.encoders.text.config.activation).toBe('gelu');
      expect(Math.exp(model.logitScale.variable.dataSync()[0] as number)).toBeCloseTo(clipFx.logitScale, 4);
      const x = images(clipFx);
      const ids = tf.tensor2d(clipFx.ids, undefined, 'int32');
      const mask = tf.tensor2d(clipFx.ids.map((row) => row.map((id) => (id > 0 ? 1 : 0))));
      const x1 = tf.slice(x, [2, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      tf.dispose(model.embedImages(x1)); // the frozen ModifiedResNet folds its BatchNorms on first use (kept)
      await expectNoLeak(async () => {
        const v = model.embedImages(x);
        await expectAllClose(v, clipFx.v.flat(), tol(backend), 'v');
        const one = model.embedImages(x1);
        await expectAllClose(one, (clipFx.v[2] as number[]).flat(), tol(backend), 'v of a batch of one');
        const t = model.embedTexts(ids, mask);
        await expectAllClose(t, clipFx.t.flat(), tol(backend), 't');
        tf.dispose([v, one, t]);
      });
      tf.dispose([x, x1, ids, mask]);
    } finally {
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('QuickGELU (our CLIP presets) would be visibly off: the loader must set exact GELU', async () => {
    const { stateDict } = readCheckpoint(await bytesOf(clipPath));
    const model = await loadReleasedPirClip(stateDict, CLIP);
    const { ClipVisionTransformer } = await import('@pir/encoders');
    const quick = new ClipVisionTransformer({ ...model.encoders.vision.config, activation: 'quick_gelu' });
    try {
      const sd = mapReleasedPirClip(stateDict);
      const { loadStateDict } = await import('@pir/nn');
      loadStateDict(quick, sd, { prefix: 'vision_encoder.', strict: false });
      const x = images(clipFx);
      const gap = tf.tidy(() => {
        const a = model.encoders.vision.encode(x).global;
        const b = quick.encode(x).global;
        return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number;
      });
      expect(gap).toBeGreaterThan(1e-3);
      x.dispose();
    } finally {
      quick.dispose();
      model.dispose();
    }
  });

  it('lists every problem of a broken file at once', async () => {
    const { stateDict } = readCheckpoint(await bytesOf(clipPath));
    const broken: StateDict = new Map(stateDict);
    broken.delete('module.logit_scale');
    broken.delete('module.res_visual.attnpool.k_proj.bias');
    broken.set('module.visual.extra', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    const before = tf.memory().numTensors;
    await expect(loadReleasedPirClip(broken, CLIP)).rejects.toSatisfy((e: unknown) => {
      const s = e as StateDictError;
      return (
        s instanceof StateDictError &&
        s.where === 'loadReleasedPirClip' &&
        JSON.stringify(s.missing) ===
          JSON.stringify(['instruction_encoder.attnpool.k_proj.bias', 'logit_scale']) &&
        JSON.stringify(s.unexpected) === JSON.stringify(['vision_encoder.extra'])
      );
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
