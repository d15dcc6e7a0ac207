/**
 * Damaged, mismatched and hostile model directories are refused with an error naming the file and the key,
 * before anything is built where possible, and without leaking a tensor when the model was already built.
 * Runs in both projects (the directories are in memory or behind a fake fetch).
 */
import { StateDictError } from '@pir/nn';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { createModel, type ModelConfig, ModelInputError, modelConfigHash } from '../src/index.js';
import { loadModel, serializeModel } from '../src/model_dir.js';
import { ModelFileError } from '../src/model_dir_format.js';
import { bytes, edit, fakeFetch, parse, text, tokenizer } from './model_dir_helpers.js';

/** The error `loadModel` rejects with. */
async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'loadModel should have refused').toBeInstanceOf(Error);
  return e as Error;
}

async function refused(
  files: Parameters<typeof loadModel>[0],
  where: string,
  argument: string,
  message: RegExp,
  options: Parameters<typeof loadModel>[1] = {},
): Promise<void> {
  const e = await expectNoLeak(() => failure(loadModel(files, options)), `refusing ${where} ${argument}`);
  expect(e, e.message).toBeInstanceOf(ModelFileError);
  expect((e as ModelFileError).where).toBe(where);
  expect((e as ModelFileError).argument).toBe(argument);
  expect(e.message).toMatch(message);
}

describeBackends('model directories: refused', () => {
  let a: Record<string, Uint8Array>; // one save of a model
  let b: Record<string, Uint8Array>; // another save of a model of the same architecture
  beforeAll(async () => {
    const m1 = createModel('pir-itr-test', { seed: 1, tokenizer: tokenizer() });
    const m2 = createModel('pir-itr-test', { seed: 2, tokenizer: tokenizer() });
    a = await serializeModel(m1, { config: 'pir-itr-test' });
    b = await serializeModel(m2, { config: 'pir-itr-test' });
    m1.dispose();
    m2.dispose();
  });

  it('a missing file: the manifest (no model / a first save that did not finish), the weights, the tokenizer', async () => {
    await refused({}, 'pir-model.json', '', /not found: not a model directory.*\(model at memory\)/);
    const { 'pir-model.json': _m, ...noManifest } = a;
    await refused(noManifest, 'pir-model.json', '', /the manifest is written last/);
    const { 'model.safetensors': _w, ...noWeights } = a;
    await refused(noWeights, 'model.safetensors', '', /missing/);
    const { 'tokenizer.json': _t, ...noTokenizer } = a;
    await refused(noTokenizer, 'tokenizer.json', '', /missing/);
    const { fetch } = fakeFetch({});
    await refused('https://example.org/models/m/', 'pir-model.json', '', /model at https:\/\/example\.org/, {
      fetch,
    });
  });

  it('files of two saves side by side (a save interrupted between files) are never taken together', async () => {
    await refused(
      { ...a, 'model.safetensors': b['model.safetensors'] as Uint8Array },
      'model.safetensors',
      '',
      /SHA-256.*another save/,
    );
    await refused(
      { ...a, 'tokenizer.json': b['tokenizer.json'] as Uint8Array },
      'tokenizer.json',
      '',
      /SHA-256/,
    );
    // without checksums the save id still tells them apart
    const noSha = { verifyChecksums: false };
    await refused(
      { ...a, 'model.safetensors': b['model.safetensors'] as Uint8Array },
      'model.safetensors',
      '__metadata__.pir.save_id',
      /different saves/,
      noSha,
    );
    await refused(
      { ...a, 'tokenizer.json': b['tokenizer.json'] as Uint8Array },
      'tokenizer.json',
      'saveId',
      /different saves/,
      noSha,
    );
  });

  it('truncated or damaged files', async () => {
    const w = a['model.safetensors'] as Uint8Array;
    await refused(
      { ...a, 'model.safetensors': w.subarray(0, w.length - 4) },
      'model.safetensors',
      '',
      /truncated/,
    );
    const flipped = w.slice();
    flipped[flipped.length - 1] ^= 1;
    await refused({ ...a, 'model.safetensors': flipped }, 'model.safetensors', '', /SHA-256/);
    // a damaged header whose size and checksum the manifest agrees with: the reader's error, as a ModelFileError
    const badHeader = w.slice();
    badHeader[8] = 0x5b; // '[' instead of '{'
    await refused(
      await edit({ ...a, 'model.safetensors': badHeader }, {}),
      'model.safetensors',
      '',
      /header/,
    );
    await refused(
      { ...a, 'pir-model.json': bytes('{"format": "pir-model", ') },
      'pir-model.json',
      '',
      /not valid UTF-8 JSON/,
    );
    await refused(
      await edit({ ...a, 'tokenizer.json': bytes('[1, 2]') }, {}),
      'tokenizer.json',
      '',
      /JSON object/,
    );
  });

  it('a newer format version, another format, an edited configuration, an unknown architecture', async () => {
    await refused(
      await edit(a, { manifest: (m) => (m.formatVersion = 2) }),
      'pir-model.json',
      'formatVersion',
      /format version 2.*upgrade @pir\/models/,
    );
    await refused(
      await edit(a, { manifest: (m) => (m.format = 'keras') }),
      'pir-model.json',
      'format',
      /not a PIR model directory/,
    );
    await refused(
      await edit(a, { manifest: (m) => (m.config.config.k = 3) }),
      'pir-model.json',
      'configHash',
      /edited or damaged/,
    );
    await refused(
      await edit(a, {
        manifest: (m) => {
          m.config.architecture = 'evil';
        },
      }),
      'pir-model.json',
      'config.architecture',
      /'pir-itr' or 'pir-clip'/,
    );
    await refused(
      await edit(a, { manifest: (m) => (m.config.encoders.text.config.vocabSize = 1e12) }),
      'pir-model.json',
      'config.encoders.text.config.vocabSize',
      /finite number of at most/,
    );
    // a consistent edit of the configuration (hash recomputed) still disagrees with the weights' metadata
    await refused(
      await edit(a, {
        manifest: (m) => {
          m.config.config.k = 3;
          m.configHash = modelConfigHash(m.config);
        },
      }),
      'model.safetensors',
      '__metadata__.pir.config_hash',
      /pir-model\.json says/,
    );
  });

  it('a hash recorded by another @pir/models version is taken as recorded (the hash may be defined differently)', async () => {
    const older = await edit(a, {
      manifest: (m) => {
        m.libraries['@pir/models'] = '0.0.1';
        m.config.config.k = 3; // what a different hash definition looks like from here
      },
    });
    const loaded = await loadModel(older);
    expect(loaded.manifest?.configHash).toBe(parse(a['pir-model.json']).configHash);
    expect(loaded.configHash).toBe(modelConfigHash(loaded.config as unknown as ModelConfig));
    expect(loaded.configHash).not.toBe(loaded.manifest?.configHash);
    loaded.dispose();
    await refused(
      await edit(a, { manifest: (m) => (m.configHash = 'abc') }),
      'pir-model.json',
      'configHash',
      /16 hex digits/,
    );
  });

  it('weights that do not fit the configuration: one StateDictError listing every key, nothing leaked', async () => {
    const crafted = await edit(a, {
      weights: (sd) => {
        sd.delete('model.temp');
        sd.delete('text.embeddings.word_embeddings.weight');
        sd.set('model.extra', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
        const w = sd.get('model.vision_proj.weight');
        if (w)
          sd.set('model.vision_proj.weight', { ...w, shape: [w.shape[1] as number, w.shape[0] as number] });
      },
    });
    const e = await expectNoLeak(
      () => failure(loadModel(crafted)),
      'a StateDictError after the model was built',
    );
    expect(e).toBeInstanceOf(StateDictError);
    const s = e as StateDictError;
    expect(s.where).toBe('loadModel');
    expect(s.missing).toEqual(['model.temp', 'text.embeddings.word_embeddings.weight']);
    expect(s.unexpected).toEqual(['model.extra']);
    expect(s.mismatched.map((m) => m.key)).toEqual(['model.vision_proj.weight']);
    expect(s.message).toMatch(/model\.safetensors does not fit/);
  });

  it('a tokenizer larger than the text encoder, or disagreeing with the manifest', async () => {
    const big = await edit(a, {
      tokenizer: (j) => {
        j.tokens = [...(j.tokens as string[]), ...Array.from({ length: 60 }, (_, i) => `w${i}`)];
      },
      manifest: (m) => (m.tokenizer.vocabSize += 60),
    });
    await refused(big, 'tokenizer.json', 'vocabSize', /larger than the text encoder's vocabSize \(50\)/);
    const longer = await edit(a, {
      tokenizer: (j) => (j.contextLength = 40),
      manifest: (m) => (m.tokenizer.contextLength = 40),
    });
    await refused(longer, 'tokenizer.json', 'contextLength', /exceeds the text encoder's \(16\)/);
    await refused(
      await edit(a, { tokenizer: (j) => (j.tokens = ['[PAD]', 2]) }),
      'tokenizer.json',
      'tokens[1]',
      /a string of at most/,
    );
    await refused(
      await edit(a, { tokenizer: (j) => (j.tokens = 'abc') }),
      'tokenizer.json',
      'tokens',
      /array of at most/,
    );
    await refused(
      await edit(a, { tokenizer: (j) => (j.tokens = ['a', 'b']) }),
      'tokenizer.json',
      '',
      /lacks \[PAD\]/,
    );
    await refused(
      await edit(a, { tokenizer: (j) => (j.type = 'wordpiece') }),
      'tokenizer.json',
      'type',
      /pir-model\.json says 'word'/,
    );
    await refused(
      await edit(a, { tokenizer: (j) => (j.tokens = [...(j.tokens as string[]), 'extra']) }),
      'tokenizer.json',
      'tokens',
      /vocabulary of \d+ but pir-model\.json says/,
    );
  });

  it('size limits: refused before reading (manifest size, Content-Length) and while reading', async () => {
    const small = { limits: { maxWeightsBytes: 1000 } };
    await refused(a, 'model.safetensors', '', /over the limit of 1000/, small);
    await refused(a, 'pir-model.json', '', /exceed the limit of 10 bytes/, {
      limits: { maxManifestBytes: 10 },
    });
    // a server that sends more than the manifest says: stopped at the limit
    const lying = await edit(a, {
      manifest: (m) => (m.files['model.safetensors'].bytes = 10),
      keepTable: true,
    });
    const { fetch } = fakeFetch(lying);
    await refused('https://example.org/models/m/', 'model.safetensors', '', /exceed the limit of 500/, {
      fetch,
      limits: { maxWeightsBytes: 500 },
    });
    const e = await failure(loadModel(a, { limits: { maxWeightsBytes: -1 } }));
    expect(e).toBeInstanceOf(ModelInputError);
    expect((e as ModelInputError).argument).toBe('limits.maxWeightsBytes');
  });

  it('bad sources and HTTP errors', async () => {
    const e = await failure(loadModel(42 as never));
    expect(e).toBeInstanceOf(ModelInputError);
    expect((e as ModelInputError).argument).toBe('source');
    const server = async () => new Response('no', { status: 500, statusText: 'Internal Server Error' });
    await refused((_name: string) => server(), 'pir-model.json', '', /HTTP 500 Internal Server Error/);
    const offline = async () => {
      throw new TypeError('fetch failed');
    };
    await refused((_name: string) => offline(), 'pir-model.json', '', /cannot be fetched: fetch failed/);
    await refused(
      { 'pir-model.json': 'text' as never },
      'pir-model.json',
      '',
      /Uint8Array or an ArrayBuffer/,
    );
    expect(text(a['tokenizer.json'] as Uint8Array)).toContain('"format": "pir-tokenizer"');
    expect(parse(a['pir-model.json']).format).toBe('pir-model');
  });
}, ['cpu']);
