/**
 * `gradientCheckpointing` on the block-built encoders (Swin, BERT, the CLIP towers): the same outputs and the
 * same gradient for every trainable weight as without it, less held at the end of the forward pass, no leak.
 */
import { Rng } from '@pir/runtime';
import { describeBackends, expectAllClose, expectNoLeak, seededValues } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  BERT_TEST,
  BertEncoder,
  CLIP_TEXT_TEST,
  CLIP_VIT_TEST,
  ClipTextTransformer,
  ClipVisionTransformer,
  SWIN_TEST,
  SwinTransformer,
} from '../src/models/index.js';

const TOL = { atol: 1e-5, rtol: 1e-3 };

interface Case {
  name: string;
  make: () => {
    encoder: { gradientCheckpointing: boolean; trainableVariables(): tf.Variable[]; dispose(): void };
    run: () => { global: tf.Tensor; local: tf.Tensor };
    inputs: tf.Tensor[];
  };
}

const images = (size: number) => tf.tensor4d(seededValues(2 * size * size * 3, 5), [2, size, size, 3]);
const ids = () =>
  tf.tensor2d(
    [
      [1, 5, 9, 3, 2, 0],
      [1, 7, 2, 0, 0, 0],
    ],
    undefined,
    'int32',
  );
const mask = () =>
  tf.tensor2d([
    [1, 1, 1, 1, 1, 0],
    [1, 1, 1, 0, 0, 0],
  ]);

const CASES: Case[] = [
  {
    name: 'Swin (shifted windows and their mask)',
    make: () => {
      const encoder = new SwinTransformer(SWIN_TEST, { rng: new Rng(1) });
      const x = images(SWIN_TEST.imageSize);
      return { encoder, run: () => encoder.encode(x, true), inputs: [x] };
    },
  },
  {
    name: 'BERT (padding mask)',
    make: () => {
      const encoder = new BertEncoder(BERT_TEST, { rng: new Rng(2) });
      const [i, m] = [ids(), mask()];
      return { encoder, run: () => encoder.encode(i, m, true), inputs: [i, m] };
    },
  },
  {
    name: 'CLIP image tower',
    make: () => {
      const encoder = new ClipVisionTransformer(CLIP_VIT_TEST, { rng: new Rng(3) });
      const x = images(CLIP_VIT_TEST.imageSize);
      return { encoder, run: () => encoder.encode(x, true), inputs: [x] };
    },
  },
  {
    name: 'CLIP text tower (causal mask)',
    make: () => {
      const encoder = new ClipTextTransformer(CLIP_TEXT_TEST, { rng: new Rng(4) });
      const [i, m] = [ids(), mask()];
      return { encoder, run: () => encoder.encode(i, m, true), inputs: [i, m] };
    },
  },
];

/** A loss touching both outputs, and what the tape holds when the forward pass ends. */
function lossAndGrads(run: Case['make'] extends () => infer R ? R : never, vars: tf.Variable[]) {
  let held = 0;
  const before = tf.memory().numBytes;
  const r = tf.engine().gradients(() => {
    const out = run.run();
    const l = tf.add(tf.sum(tf.square(out.global)), tf.mean(tf.square(out.local))) as tf.Scalar;
    held = tf.memory().numBytes - before;
    return l;
  }, vars);
  return { ...r, held };
}

describeBackends('gradientCheckpointing', () => {
  for (const c of CASES) {
    it(`${c.name}: same loss and gradients as without, less held after the forward pass`, async () => {
      const made = c.make();
      const vars = made.encoder.trainableVariables();
      try {
        await expectNoLeak(async () => {
          const plain = lossAndGrads(made, vars);
          made.encoder.gradientCheckpointing = true;
          const ck = lossAndGrads(made, vars);
          made.encoder.gradientCheckpointing = false;
          try {
            await expectAllClose(ck.value, await plain.value.data(), TOL);
            let reached = 0;
            for (const [i, g] of ck.grads.entries()) {
              const p = plain.grads[i];
              expect(g == null).toBe(p == null); // unreached: undefined
              if (g == null || p == null) continue;
              await expectAllClose(g, await p.data(), TOL);
              reached++;
            }
            // every weight but an unused head (Swin's classifier, BERT's pooler) gets a gradient
            expect(reached).toBe(plain.grads.filter((g) => g != null).length);
            expect(reached).toBeGreaterThanOrEqual(vars.length - 2);
            expect(ck.held).toBeLessThan(plain.held);
          } finally {
            tf.dispose([
              plain.value,
              ck.value,
              ...plain.grads.filter((g) => g != null),
              ...ck.grads.filter((g) => g != null),
            ]);
          }
        });
      } finally {
        made.encoder.dispose();
        tf.dispose(made.inputs);
      }
    });
  }
});
