/**
 * One state-dict type end to end: what `stateDict()` exports is what `writeSafetensors` writes, what
 * `readSafetensors` / `readWeights` return is what every `loadStateDict` takes — the model's, an encoder's,
 * and the PAE layers' (a Map, not only a plain object), and `fromTorchStateDict` of the functional PAE API.
 */
import { createEncoder, readWeights, writeSafetensors } from '@pir/encoders';
import { loadStateDict, stateDict } from '@pir/nn';
import { fromTorchStateDict, SpatialPAE } from '@pir/pae';
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { createModel } from '../src/index.js';

describeBackends('state dicts through safetensors bytes', () => {
  it('a PIR-ITR model and its encoders round-trip through safetensors files', async () => {
    const images = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    await expectNoLeak(async () => {
      const a = createModel('pir-itr-test', { seed: 1 });
      const b = createModel('pir-itr-test', { seed: 2 });
      const own = readWeights(writeSafetensors(await a.stateDict(), { format: 'pt' }), {
        name: 'pir.safetensors',
      });
      expect(own instanceof Map).toBe(true);
      expect(b.loadStateDict(own).missing).toEqual([]);
      for (const role of ['vision', 'text'] as const) {
        const bytes = writeSafetensors(await stateDict(a.encoders[role], { prefix: `${role}.` }));
        const report = loadStateDict(b.encoders[role], readWeights(bytes), { prefix: `${role}.` });
        expect(report.missing).toEqual([]);
      }
      // the instruction encoders differ (seeded differently) — both models see their own; compare the heads
      const { vision, instruction } = a.encodeImages(images);
      const [va, vb] = [a.imageHead(vision, instruction), b.imageHead(vision, instruction)];
      await expectAllClose(vb, va, { atol: 1e-6, rtol: 1e-6 }, 'v after loading');
      tf.dispose([va, vb, vision.global, vision.local, instruction]);
      a.dispose();
      b.dispose();
    }, 'round trip');
    images.dispose();
  });

  it('PAE layers and the functional form take the readers’ Map (not only a plain object)', async () => {
    const sp = new SpatialPAE({ dim: 16, heads: 4, layers: 1, seed: 3 });
    const other = new SpatialPAE({ dim: 16, heads: 4, layers: 1, seed: 4 });
    const sd = readWeights(writeSafetensors(await stateDict(sp)));
    expect(loadStateDict(other, sd).loaded.length).toBe(sp.paramSpecs().length);
    const params = fromTorchStateDict(sd);
    expect(Object.keys(params).length).toBe(sp.paramSpecs().length);
    expect(params['img_sa.0.mhatt.linear_q.weight']?.shape).toEqual([16, 16]);
    tf.dispose(Object.values(params));
    sp.dispose();
    other.dispose();
    // an encoder state dict into the wrong model: every key listed, with the prefix hint
    const swin = createEncoder('swin-test');
    const bytes = writeSafetensors(await stateDict(swin, { prefix: 'visual.' }));
    const fresh = createEncoder('swin-test');
    expect(() => loadStateDict(fresh, readWeights(bytes))).toThrow(/pass \{ prefix: 'visual\.' \}/);
    swin.dispose();
    fresh.dispose();
  });
});
