/**
 * Model directories on the Node file system (`@pir/models/node`): save → load from a temporary directory for
 * PIR-ITR and PIR-CLIP (identical embeddings), paths and `file:` URLs, overwriting a model, crash safety
 * (a crash between two renames leaves files of two saves: refused; a crash before the renames leaves the old
 * model; temporary files are cleaned by the next save), the bundled CLIP BPE tokenizer, and size limits.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadClipTokenizer } from '@pir/encoders';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createModel, type ModelConfig, modelConfig, type PirClipModelConfig } from '../src/index.js';
import { serializeModel } from '../src/model_dir.js';
import { ModelFileError } from '../src/model_dir_format.js';
import { writeModelDir } from '../src/model_dir_node.js';
import { loadModel, saveModel } from '../src/node/index.js';
import { CAPTIONS, tokenizer } from './model_dir_helpers.js';

const exact = { atol: 0, rtol: 0 };

async function refusal(p: Promise<unknown>): Promise<ModelFileError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ModelFileError);
  return e as ModelFileError;
}

describeBackends('model directories on disk (@pir/models/node)', () => {
  let root: string;
  let images: tf.Tensor4D;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pir-model-dir-'));
    images = tf.randomUniform([3, 32, 32, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
  });
  afterAll(async () => {
    images.dispose();
    await rm(root, { recursive: true, force: true });
  });

  for (const name of ['pir-itr-test', 'pir-clip-test'] as const) {
    it(`${name}: save to a directory → load from its path and its file: URL → identical embeddings`, async () => {
      await expectNoLeak(async () => {
        const dir = join(root, `${name}-roundtrip`, 'nested'); // created as needed
        const model = createModel(name, { seed: 4, tokenizer: tokenizer() });
        const manifest = await saveModel(model, dir, { config: name });
        expect((await readdir(dir)).sort()).toEqual([
          'model.safetensors',
          'pir-model.json',
          'tokenizer.json',
        ]);
        expect((await stat(join(dir, 'model.safetensors'))).size).toBe(
          manifest.files['model.safetensors'].bytes,
        );
        const vA = model.embedImages(images);
        const { ids, mask } = model.encoders.text.tokenizer.batch(CAPTIONS);
        const tA = model.embedTexts(ids, mask);
        for (const source of [dir, pathToFileURL(dir), pathToFileURL(dir).href]) {
          const loaded = await loadModel(source);
          expect(loaded.manifest?.saveId).toBe(manifest.saveId);
          const vB = loaded.embedImages(images);
          const tB = loaded.embedTexts(CAPTIONS);
          await expectAllClose(vB, vA, exact, `${name} images from ${String(source)}`);
          await expectAllClose(tB, tA, exact, `${name} captions from ${String(source)}`);
          tf.dispose([vB, tB]);
          loaded.dispose();
        }
        tf.dispose([vA, tA, ids, mask]);
        model.dispose();
      }, `${name} on disk`);
    });
  }

  it('saving over a model replaces it whole; a crash between two renames leaves a directory the loader refuses', async () => {
    const dir = join(root, 'crash');
    const a = createModel('pir-itr-test', { seed: 1, tokenizer: tokenizer() });
    const b = createModel('pir-itr-test', { seed: 2, tokenizer: tokenizer() });
    const saveA = await saveModel(a, dir, { config: 'pir-itr-test' });
    const saveB = await saveModel(b, dir, { config: 'pir-itr-test' }); // over A
    const loadedB = await loadModel(dir);
    expect(loadedB.manifest?.saveId).toBe(saveB.saveId);
    loadedB.dispose();

    // crash after the weights of a new save replaced B's, before the manifest: refused, naming the file
    const filesA = await serializeModel(a, { config: 'pir-itr-test' });
    const crash = new Error('power cut');
    const written = writeModelDir(dir, Object.entries(filesA), {
      afterRename: (file) => {
        if (file === 'model.safetensors') throw crash;
      },
    });
    expect((await refusal(written)).cause).toBe(crash);
    const e = await expectNoLeak(() => refusal(loadModel(dir)), 'refusing a half-saved directory');
    expect(e.where).toBe('model.safetensors');
    expect(e.message).toMatch(/another save.*save the model again/);
    expect(e.location).toBe(dir);
    // …also with checksums off (the save id in the safetensors metadata)
    const noSha = await refusal(loadModel(dir, { verifyChecksums: false }));
    expect(noSha.argument).toBe('__metadata__.pir.save_id');

    // crash after the weights and the tokenizer: the same (the tokenizer is read first)
    await refusal(
      writeModelDir(dir, Object.entries(filesA), {
        afterRename: (file) => {
          if (file === 'tokenizer.json') throw crash;
        },
      }),
    );
    expect((await refusal(loadModel(dir))).where).toBe('tokenizer.json');

    // a crash before the first rename (while writing the temporary files) leaves the model as it was
    await saveModel(a, dir, { config: 'pir-itr-test' });
    const before = await readFile(join(dir, 'pir-model.json'), 'utf8');
    await writeFile(join(dir, '.model.safetensors.dead-beef.tmp'), 'left by a crashed save');
    await refusal(
      writeModelDir(dir, [
        ['model.safetensors', new Uint8Array(8)],
        ['notes.txt', new Uint8Array(1)],
      ]),
    );
    expect(await readFile(join(dir, 'pir-model.json'), 'utf8')).toBe(before);
    const stillA = await loadModel(dir);
    expect(stillA.manifest?.saveId).not.toBe(saveA.saveId); // the save of A just above
    stillA.dispose();
    // the next save removes temporary files a crash left behind
    expect((await readdir(dir)).some((f) => f.endsWith('.tmp'))).toBe(true);
    await saveModel(b, dir, { config: 'pir-itr-test' });
    expect((await readdir(dir)).sort()).toEqual(['model.safetensors', 'pir-model.json', 'tokenizer.json']);
    a.dispose();
    b.dispose();
  });

  it('a first save that crashed before its manifest is not a model; a missing directory neither', async () => {
    const dir = join(root, 'first-crash');
    const m = createModel('pir-itr-test', { seed: 1 });
    const files = await serializeModel(m, { config: 'pir-itr-test' });
    await refusal(
      writeModelDir(dir, Object.entries(files), {
        afterRename: () => {
          throw new Error('crash');
        },
      }),
    );
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    const e = await refusal(loadModel(dir));
    expect(e.where).toBe('pir-model.json');
    expect(e.message).toMatch(/did not finish/);
    expect((await refusal(loadModel(join(root, 'nowhere')))).where).toBe('pir-model.json');
    // the manifest must come last
    const wrongOrder = await refusal(
      writeModelDir(dir, [
        ['pir-model.json', new Uint8Array(1)],
        ['tokenizer.json', new Uint8Array(1)],
      ]),
    );
    expect(wrongOrder.message).toMatch(/last file/);
    m.dispose();
  });

  it('size limits use the file size before reading', async () => {
    const dir = join(root, 'limits');
    const m = createModel('pir-itr-test', { seed: 1 });
    await saveModel(m, dir, { config: 'pir-itr-test' });
    const e = await refusal(loadModel(dir, { limits: { maxManifestBytes: 100 } }));
    expect(e.where).toBe('pir-model.json');
    expect(e.message).toMatch(/exceed the limit of 100 bytes/);
    m.dispose();
  });
}, ['cpu']);

it('the bundled CLIP BPE tokenizer is recorded by name and restored (a CLIP text tower of its vocabulary size)', async () => {
  const base = modelConfig('pir-clip-test');
  const config = {
    ...base,
    name: 'pir-clip-bpe-test',
    encoders: { ...base.encoders, text: { name: 'clip-text-test', overrides: { vocabSize: 49408 } } },
  } as const;
  const bpe = await loadClipTokenizer({ contextLength: 12 });
  const model = createModel(config as PirClipModelConfig, { seed: 5, tokenizer: bpe });
  const files = await serializeModel(model, { config: config as ModelConfig });
  const tj = JSON.parse(new TextDecoder().decode(files['tokenizer.json']));
  expect(tj).toMatchObject({ type: 'clip-bpe', vocabulary: 'bundled', vocabSize: 49408, contextLength: 12 });
  expect(files['tokenizer.json']?.length).toBeLessThan(400); // a reference, not the merges
  const loaded = await loadModel(files);
  expect(loaded.tokenizer?.encode('a photo of a cat')).toEqual(bpe.encode('a photo of a cat'));
  const { ids, mask } = bpe.batch(CAPTIONS);
  const tA = model.embedTexts(ids, mask);
  const tB = loaded.embedTexts(CAPTIONS);
  await expectAllClose(tB, tA, exact, 'CLIP BPE captions');
  tf.dispose([ids, mask, tA, tB]);
  loaded.dispose();
  model.dispose();
});
