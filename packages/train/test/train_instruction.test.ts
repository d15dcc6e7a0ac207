/**
 * PIR-CLIP with `trainInstruction` (the released PIR-CLIP training: its ModifiedResNet is not frozen and its
 * BatchNorm runs in training mode): a training step updates the instruction encoder's weights and its BatchNorm
 * running statistics, exactly once per micro-batch; the frozen default updates neither; the instruction
 * encoder's parameters get names in the optimiser's groups; nothing leaks. Evaluation (no tape) leaves the
 * statistics alone.
 */
import { createModel, type PirClip } from '@pir/models';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { pirClipTask } from '../src/grad_cache/index.js';
import { AdamW, namedTrainableParameters, paramGroups } from '../src/optim/index.js';
import { readStep, trainStep } from '../src/step.js';
import { clipBatch, disposeBatch } from './fixtures_batch.js';

type Named = { spec: { name: string }; variable: tf.Variable };
const instructionParams = (m: PirClip) =>
  (m.encoders.instruction as unknown as { namedParameters(): Named[] }).namedParameters();
const snapshot = (m: PirClip, pick: (name: string) => boolean) =>
  new Map(
    instructionParams(m)
      .filter((p) => pick(p.spec.name))
      .map((p) => [p.spec.name, p.variable.dataSync().slice() as Float32Array]),
  );
const changed = (m: PirClip, before: Map<string, Float32Array>) =>
  instructionParams(m)
    .filter((p) => before.has(p.spec.name))
    .filter((p) => p.variable.dataSync().some((x, i) => x !== (before.get(p.spec.name) as Float32Array)[i]))
    .map((p) => p.spec.name);

describeBackends('PIR-CLIP trainInstruction', () => {
  it('trains the instruction ResNet (weights and BatchNorm statistics); the frozen default does not', async () => {
    for (const train of [false, true]) {
      const model = createModel('pir-clip-test', {
        seed: 1,
        overrides: { trainInstruction: train },
      }) as PirClip;
      const batch = clipBatch(16);
      const weights = snapshot(model, (n) => /conv\d\.weight$|attnpool\.c_proj\.weight$/.test(n));
      const stats = snapshot(model, (n) => /running_mean$/.test(n));
      const named = namedTrainableParameters(model);
      const instr = named.filter((p) => p.spec.name.startsWith('encoders.instruction.'));
      if (train) {
        expect(instr.length).toBeGreaterThan(0);
        expect(instr.some((p) => /running_(mean|var)$/.test(p.spec.name))).toBe(false); // buffers are not trained
      } else expect(instr).toEqual([]);
      const optimizer = new AdamW(paramGroups(named), { lr: 1e-2 });
      const task = pirClipTask(model);
      await readStep(trainStep(task, optimizer, batch)); // the first step creates AdamW's moments
      await expectNoLeak(async () => {
        await readStep(trainStep(task, optimizer, batch));
      }, `a step (trainInstruction ${train})`);
      const w = changed(model, weights);
      const s = changed(model, stats);
      if (train) {
        expect(w.length).toBe(weights.size); // every conv and the attention pool's projection moved
        expect(s.length).toBe(stats.size); // every BatchNorm's running mean moved
      } else {
        expect(w).toEqual([]);
        expect(s).toEqual([]);
      }
      // evaluation (no tape, not training) leaves the statistics as they are
      const after = snapshot(model, (n) => /running_mean$/.test(n));
      tf.dispose(model.embedImages(batch.images));
      expect(changed(model, after)).toEqual([]);
      optimizer.dispose?.();
      disposeBatch(batch);
      model.dispose();
    }
  });

  it('with gradient caching the statistics are updated once per micro-batch, not again on the replay', async () => {
    const runningMeans = async (micro: number | undefined) => {
      const model = createModel('pir-clip-test', {
        seed: 2,
        overrides: { trainInstruction: true },
      }) as PirClip;
      const batch = clipBatch(16, 3);
      const optimizer = new AdamW(paramGroups(namedTrainableParameters(model)), { lr: 1e-3 });
      await readStep(
        trainStep(pirClipTask(model), optimizer, batch, micro === undefined ? {} : { microBatch: micro }),
      );
      const out = instructionParams(model)
        .filter((p) => /^bn1\.running_mean$/.test(p.spec.name))
        .map((p) => Array.from(p.variable.dataSync()));
      optimizer.dispose?.();
      disposeBatch(batch);
      model.dispose();
      return out[0] as number[];
    };
    const whole = await runningMeans(undefined); // one forward of 16 rows: one update
    const oneMicro = await runningMeans(16); // gradient caching with one micro-batch: embed + replay, one update
    expect(oneMicro).toEqual(whole);
    const two = await runningMeans(8); // two micro-batches: two updates (momentum 0.1 each)
    expect(two).not.toEqual(whole);
  });

  it('refuses trainInstruction where there is nothing to train', () => {
    expect(() =>
      createModel('pir-clip-test', {
        overrides: { trainInstruction: true, noBelief: true, noInstruction: true },
      }),
    ).toThrow(/trainInstruction has nothing to train/);
    expect(() => createModel('pir-clip-test', { overrides: { trainInstruction: 'yes' as never } })).toThrow(
      /trainInstruction/,
    );
  });
});
