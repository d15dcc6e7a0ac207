/**
 * The custom-encoder example, small: the user's encoders meet the contract, PIR-ITR trains on them (the loss
 * falls, test retrieval improves), and nothing leaks.
 */
import { buildWordVocab } from '@pir/encoders';
import { describeBackends } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { BiGruText, ColourLayoutInstruction, TinyCnnVision } from '../src/encoders.js';
import { runCustomEncoderExample } from '../src/run.js';

describeBackends('examples/custom-encoder', () => {
  it('the encoders meet the contract', () => {
    const before = tf.memory().numTensors;
    const vision = new TinyCnnVision(32, 32, 1);
    const text = new BiGruText(
      buildWordVocab(['a plane on a runway', 'ships in a harbour'], { contextLength: 8 }),
    );
    const instruction = new ColourLayoutInstruction(4);
    const images = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const v = vision.encode(images);
    expect([v.global.shape, v.local.shape]).toEqual([
      [2, 32],
      [2, vision.localTokens, 32],
    ]);
    const { ids, mask } = text.tokenizer.batch(['a plane', 'ships in a harbour']);
    const t = text.encode(ids, mask);
    expect(t.local.shape).toEqual([2, 8, text.dim]);
    const u = instruction.encode(images);
    expect(u.shape).toEqual([2, 48]);
    expect(vision.trainableVariables().length).toBe(4);
    expect(text.trainableVariables().length).toBeGreaterThan(3);
    tf.dispose([images, u, v.global, v.local, ids, mask, t.global, t.local, t.mask as tf.Tensor]);
    vision.dispose();
    text.dispose();
    expect(tf.memory().numTensors - before).toBe(0);
  });

  it('PIR-ITR trains on them: the loss falls and test retrieval improves; nothing leaks', async () => {
    const before = tf.memory().numTensors;
    const r = await runCustomEncoderExample({ images: 120, epochs: 3, seed: 3 });
    expect(r.epochLoss[2]).toBeLessThan(r.epochLoss[0] as number);
    expect(r.after.mR).toBeGreaterThan(r.before.mR);
    expect(tf.memory().numTensors - before).toBe(0);
  });
}, ['wasm']);
