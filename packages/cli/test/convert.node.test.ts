/**
 * `pir convert` both ways on the released test-size checkpoints of `@pir/models`' fixtures: checkpoint →
 * model directory (loads, embeds as the checkpoint loaded directly) → safetensors under the released names
 * (the released state dict again, key for key and value for value).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, readWeights, writeSafetensors } from '@pir/encoders/weights';
import { loadReleasedPirClip } from '@pir/models';
import { loadModel } from '@pir/models/node';
import { describeBackends } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { convert } from '../src/commands/convert.js';

const fixtures = new URL('../../models/test/fixtures/released/', import.meta.url);

describeBackends('pir convert', () => {
  it('released PIR-CLIP → model directory → released names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pir-convert-'));
    const pt = new URL('pir_clip_released.pt', fixtures).pathname;
    const lines: string[] = [];
    const imported = await convert(pt, join(dir, 'model'), {
      noTokenizer: true,
      headWidth: 8,
      log: (l) => lines.push(l),
    });
    expect(imported).toMatchObject({ direction: 'import', kind: 'pir-clip' });
    expect(lines[0]).toMatch(/a released pir-clip checkpoint, \d+ tensors/);
    // the directory embeds as the checkpoint loaded directly
    const rm = await loadModel(join(dir, 'model'));
    const direct = await loadReleasedPirClip(new Uint8Array(readFileSync(pt)), { headWidth: 8 });
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const [a, b] = [rm.model.embedImages(x), direct.embedImages(x)];
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([x, a, b]);
    rm.model.dispose();
    direct.dispose();
    // and back to the authors' names
    const out = join(dir, 'back.safetensors');
    const exported = await convert(join(dir, 'model'), out);
    expect(exported).toMatchObject({ direction: 'export', kind: 'pir-clip' });
    const back = readWeights(new Uint8Array(readFileSync(out)));
    const released = readCheckpoint(new Uint8Array(readFileSync(pt))).stateDict;
    const want = [...released.keys()]
      .map((k) => k.replace(/^module\./, ''))
      .filter((k) => !/(num_batches_tracked|attn_mask)$/.test(k));
    expect([...back.keys()].sort()).toEqual(want.sort());
    for (const [k, t] of released) {
      const key = k.replace(/^module\./, '');
      if (!back.has(key)) continue;
      expect(Array.from(back.get(key)?.data as Float32Array), key).toEqual(
        Array.from(t.data as Float32Array),
      );
    }
  });

  it('says what is wrong with an input that is neither', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pir-convert-'));
    const file = join(dir, 'other.safetensors');
    const sd = new Map([['fc.weight', { dtype: 'float32' as const, shape: [2], data: new Float32Array(2) }]]);
    writeFileSync(file, writeSafetensors(sd));
    await expect(convert(file, join(dir, 'x'))).rejects.toThrow(
      /other\.safetensors: neither a released PIR-ITR checkpoint .* nor a released PIR-CLIP one .*; pass --kind/,
    );
  });
}, ['cpu']);
