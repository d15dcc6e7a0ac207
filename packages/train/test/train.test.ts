/**
 * The training loop on the synthetic benchmark at test size: epochs, validation every epoch, the best epoch by
 * validation mR and the test there; the same loop for PIR-ITR, PIR-CLIP and the VSE baseline; no tensor growth
 * over steps; gradient caching under a memory budget; an exact in-process resume (interrupted by the signal,
 * continued from the store); the errors.
 */
import type { StateDict } from '@pir/nn';
import type { PirError } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CheckpointError, TrainInputError } from '../src/errors.js';
import {
  type CheckpointStore,
  memoryCheckpointStore,
  type StepEvent,
  type TrainEvent,
  type TrainOptions,
  train,
} from '../src/index.js';
import { decodeCheckpoint } from '../src/trainer/index.js';
import { expectBitwiseEqual } from './bitwise.js';
import { tinyData } from './train_data.js';

/** The `latest` checkpoint's weights and moments, read back. */
async function latestState(
  store: CheckpointStore,
): Promise<{ weights: StateDict; moments: StateDict; step: number }> {
  const stored = await store.load('latest');
  if (stored === undefined) throw new Error('no latest checkpoint');
  const c = await decodeCheckpoint(stored);
  return { weights: c.weights, moments: c.moments, step: c.state.progress.step };
}

const base = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  model: 'pir-itr-test',
  data: tinyData(),
  recipe: { epochs: 2, batchSize: 10 },
  seed: 3,
  ...over,
});

describeBackends('train on the synthetic benchmark', (backend) => {
  it('PIR-ITR: epochs of steps, validation every epoch, the best epoch by val mR, test there; no tensor growth, nothing left', async () => {
    const events: TrainEvent[] = [];
    const result = await expectNoLeak(async () => {
      const r = await train(base({ onEvent: (e) => void events.push(e) }));
      const summary = { ...r, modelTensors: r.model.trainableVariables().length };
      r.dispose();
      return summary;
    }, 'train + dispose');
    expect(result.status).toBe('completed');
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('start');
    expect(types[types.length - 1]).toBe('end');
    // 40 captions, batches of 10: 4 steps per epoch, 2 epochs
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps.map((s) => s.stepInEpoch)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(types.filter((t) => t === 'eval')).toHaveLength(3); // val after each epoch, test at the end
    expect(result.epochs).toHaveLength(2);
    for (const e of result.epochs) {
      expect(e.val?.mR).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(e.losses.loss)).toBe(true);
      expect(e.losses.loss).toBeCloseTo((e.losses.contrastive ?? 0) + (e.losses.affiliation ?? 0), 4);
    }
    // the best epoch is the one with the highest validation mR (the first of equals)
    const mrs = result.epochs.map((e) => e.val?.mR ?? -1);
    expect(result.best?.epoch).toBe(mrs.indexOf(Math.max(...mrs)));
    expect(result.best?.selectOn).toBe('val');
    expect(result.val?.mR).toBe(result.best?.mR);
    expect(result.test?.nImages).toBe(4);
    expect(result.test?.nTexts).toBe(20);
    // the first step warms lazy constants up; from then on the live tensors stay the same
    const counts = steps.map((s) => s.memory.numTensors);
    expect(new Set(counts.slice(1)).size, `numTensors after each step: ${counts}`).toBe(1);
    expect(steps[0]?.memory.peakBytes).toBeGreaterThan(steps[0]?.memory.numBytes ?? 0);
    expect(result.peakBytes).toBeGreaterThan(0);
    // the schedule: linear warm-up over 10 % of the 8 steps (0 steps), then linear decay
    expect(steps[0]?.lr.decay).toBeCloseTo(1e-3, 8);
    expect(steps[7]?.lr.decay).toBeCloseTo(1e-3 / 8, 8);
  }, 240_000); // the cpu backend on two busy cores needs more than the default minute

  it('resumes exactly: interrupted after step 3 (a checkpoint is written), continued from the store, the same weights and moments bit for bit', async () => {
    const full = memoryCheckpointStore();
    (await train(base({ store: full }))).dispose();

    const store = memoryCheckpointStore();
    const controller = new AbortController();
    const first = await train(
      base({
        store,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'step' && e.step === 3) controller.abort();
        },
      }),
    );
    expect(first.status).toBe('interrupted');
    expect(first.steps).toBe(3);
    first.dispose();
    expect((await latestState(store)).step).toBe(3);
    const seen: number[] = [];
    const second = await train(
      base({ store, resume: true, onEvent: (e) => void (e.type === 'step' && seen.push(e.step)) }),
    );
    expect(second.status).toBe('completed');
    expect(second.resumedFrom).toBe('memory:step-00000003');
    expect(seen).toEqual([4, 5, 6, 7, 8]);
    second.dispose();
    const a = await latestState(full);
    const b = await latestState(store);
    const n = expectBitwiseEqual(a.weights, b.weights, `[${backend}] weights`);
    expectBitwiseEqual(a.moments, b.moments, `[${backend}] AdamW moments`);
    expect(n).toBeGreaterThan(10_000);
  }, 240_000);
});

describeBackends('train drives every architecture', () => {
  for (const [model, architecture] of [
    ['pir-clip-test', 'pir-clip'],
    ['vse-test', 'vse'],
  ] as const) {
    it(`${model}: trains, selects, tests`, async () => {
      let start: Extract<TrainEvent, { type: 'start' }> | undefined;
      const r = await train(
        base({
          model,
          recipe: { epochs: 1, batchSize: 10 },
          onEvent: (e) => {
            if (e.type === 'start') start = e;
          },
        }),
      );
      expect(start?.architecture).toBe(architecture);
      expect(r.status).toBe('completed');
      expect(r.best?.epoch).toBe(0);
      expect(r.test?.mR).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(r.epochs[0]?.losses.loss)).toBe(true);
      r.dispose();
    });
  }

  it('a memory budget below the batch trains by gradient caching (the same first step as without)', async () => {
    const losses: Record<string, number[]> = {};
    for (const microBatch of [10, 3]) {
      const r = await train(
        base({
          microBatch,
          recipe: { epochs: 1, batchSize: 10 },
          overrides: { dropout: 0 }, // micro-batches draw other dropout masks than one whole-batch pass
          onEvent: (e) => {
            if (e.type === 'start') expect(e.microBatch).toBe(microBatch);
            if (e.type === 'step') {
              losses[microBatch] ??= [];
              losses[microBatch]?.push(e.losses.loss as number);
            }
          },
        }),
      );
      r.dispose();
    }
    // the first loss is computed before any update: the same batch, the same number
    expect(losses[3]?.[0]).toBeCloseTo(losses[10]?.[0] as number, 4);
    expect(losses[3]?.length).toBe(4);
  });

  it('gradientCheckpointing trains the same run (losses within float rounding), with micro-batches too', async () => {
    const losses: Record<string, number[]> = {};
    for (const [name, extra] of [
      ['plain', {}],
      ['checkpointed', { gradientCheckpointing: true }],
      ['checkpointed 3', { gradientCheckpointing: true, microBatch: 3 }],
    ] as const) {
      const r = await train(
        base({
          ...extra,
          recipe: { epochs: 1, batchSize: 10 },
          overrides: { dropout: 0 },
          onEvent: (e) => {
            if (e.type !== 'step') return;
            losses[name] ??= [];
            losses[name]?.push(e.losses.loss as number);
          },
        }),
      );
      r.dispose();
    }
    expect(losses.plain?.length).toBe(4);
    for (const name of ['checkpointed', 'checkpointed 3'])
      for (const [i, l] of (losses[name] ?? []).entries())
        expect(l).toBeCloseTo(losses.plain?.[i] as number, 3);
  });

  it("selectOn 'test' (the released code's rule) selects on the test split and still reports val", async () => {
    const r = await train(base({ recipe: { epochs: 1, batchSize: 10, selectOn: 'test' } }));
    expect(r.best?.selectOn).toBe('test');
    expect(r.epochs[0]?.test?.mR).toBe(r.best?.mR);
    expect(r.test?.mR).toBe(r.best?.mR);
    expect(r.val?.mR).toBe(r.epochs[0]?.val?.mR);
    r.dispose();
  });
}, ['wasm']);

describeBackends('train refuses what it cannot run', () => {
  const refuses = async (
    over: Partial<TrainOptions>,
    argument: string,
    message: RegExp,
    cls: typeof PirError = TrainInputError,
  ) => {
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      (await train(base(over))).dispose();
    } catch (e) {
      error = e;
    }
    expect(error, `expected ${cls.name} for ${argument}`).toBeInstanceOf(cls);
    expect((error as PirError).where).toBe('train');
    expect((error as PirError).argument).toBe(argument);
    expect((error as Error).message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
  };

  it('a configuration without a train recipe', async () => {
    const { modelConfig } = await import('@pir/models');
    const { train: _t, ...noRecipe } = modelConfig('pir-itr-test');
    await refuses(
      { model: { ...noRecipe, name: 'mine' } as never },
      'model',
      /'mine' has no training recipe/,
    );
  });

  it('empty or missing splits, a batch larger than the training split, bad options', async () => {
    const data = tinyData();
    await refuses(
      { data: { ...data, train: { ...data.train, captions: [], captionToImage: [] } } },
      'data.train.captions',
      /split is empty/,
    );
    await refuses(
      { data: { train: data.train, test: data.test } as never },
      'data.val',
      /selects the checkpoint on the validation split/,
    );
    await refuses(
      { recipe: { batchSize: 41 } },
      'recipe.batchSize',
      /41 captions is larger than the training split \(40 captions of 8 images\)/,
    );
    await refuses({ recipe: { batchSize: 0 } }, 'recipe.batchSize', /batchSize/);
    await refuses({ recipe: { optimizer: { lr: -1 } } }, 'recipe.optimizer.lr', /lr/);
    await refuses({ microBatch: 0 }, 'microBatch', /integer ≥ 1/);
    await refuses({ maxGradNorm: -1 }, 'maxGradNorm', /> 0/);
    await refuses(
      {
        data: {
          ...data,
          train: { ...data.train, captionToImage: Int32Array.from(data.train.captionToImage, () => 99) },
        },
      },
      'data.train.captionToImage',
      /outside \[0, 8\)/,
    );
    await refuses({ resume: true }, 'resume', /no checkpoint to resume in memory/);
  });

  it('resuming a checkpoint of another run', async () => {
    const store = memoryCheckpointStore();
    (await train(base({ store, recipe: { epochs: 1, batchSize: 10 } }))).dispose();
    let error: unknown;
    try {
      (await train(base({ store, seed: 4, resume: true, recipe: { epochs: 1, batchSize: 10 } }))).dispose();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).argument).toBe('run.seed');
  });
}, ['cpu']);

describe('memoryCheckpointStore', () => {
  it('keeps what a tag points to, drops the rest', async () => {
    const store = memoryCheckpointStore();
    const bytes = new Uint8Array([1, 2, 3]);
    await store.save('a', { x: bytes }, ['latest', 'best']);
    await store.save('b', { x: bytes }, ['latest']);
    expect(store.names()).toEqual(['a', 'b']);
    await store.save('c', { x: bytes }, ['latest', 'best']);
    expect(store.names()).toEqual(['c']);
    expect((await store.load('best'))?.name).toBe('c');
    bytes[0] = 9; // the store holds copies
    expect((await store.load('latest'))?.files.x?.[0]).toBe(1);
  });
});
