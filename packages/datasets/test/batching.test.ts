import { Rng } from '@pir/runtime';
import { describeBackends, expectNoLeak } from '@pir/test-utils';
import { describe, expect, it } from 'vitest';
import { loadPirJson } from '../src/annotations/index.js';
import { type Batch, BatchSampler, type BatchSamplerState, prefetch } from '../src/batching/index.js';
import { text } from './annotation_fixtures.js';
import { expectInputError, expectInputRejection } from './input_errors.js';

const test = loadPirJson(text.rsitmdTest, { file: 'rsitmd_test.json' }); // 452 images × 5 captions
const train = loadPirJson(text.rsitmdTrain, { file: 'rsitmd_train_subset.json' }); // 344 × 5

const flat = (batches: Batch[]) => batches.flatMap((b) => Array.from(b.captions));
const take = (s: BatchSampler, n: number) => Array.from({ length: n }, () => s.next());
const strip = (b: Batch) => ({ epoch: b.epoch, index: b.index, captions: Array.from(b.captions) });

describe('BatchSampler: epochs', () => {
  it('k = 1: every caption exactly once per epoch, seeded and reproducible', () => {
    const s = new BatchSampler(test, { batchSize: 64, seed: 3 });
    expect(s.samplesPerEpoch).toBe(2260);
    expect(s.batchesPerEpoch).toBe(Math.ceil(2260 / 64));
    const e0 = [...s.epoch()];
    expect(e0.length).toBe(36);
    expect(e0.slice(0, -1).every((b) => b.captions.length === 64)).toBe(true);
    expect(e0.at(-1)!.captions.length).toBe(2260 - 35 * 64);
    expect(flat(e0).sort((a, b) => a - b)).toEqual(Array.from({ length: 2260 }, (_, i) => i));
    const e1 = [...s.epoch()];
    expect(e1[0]!.epoch).toBe(1);
    expect(flat(e1)).not.toEqual(flat(e0));
    const again = new BatchSampler(test, { batchSize: 64, seed: 3 });
    expect([...again.epoch()].map(strip)).toEqual(e0.map(strip));
    expect(flat([...new BatchSampler(test, { batchSize: 64, seed: 4 }).epoch()])).not.toEqual(flat(e0));
  });

  it('image ids and labels are the dataset’s', () => {
    const s = new BatchSampler(train, { batchSize: 32, seed: 'x' });
    for (const b of s.epoch()) {
      for (let r = 0; r < b.captions.length; r++) {
        const im = train.images[b.imageIds[r]!]!;
        expect(train.captionToImage[b.captions[r]!]).toBe(im.index);
        expect(b.labels![r]).toBe(im.labelId);
      }
    }
    const plain = new BatchSampler({ captionToImage: train.captionToImage }, { batchSize: 32 });
    expect(plain.next().labels).toBeUndefined();
    const labelled = new BatchSampler(
      { captionToImage: [0, 0, 1, 1], imageLabels: [5, 9] },
      { batchSize: 4, shuffle: false },
    );
    expect(Array.from(labelled.next().labels!)).toEqual([5, 5, 9, 9]);
  });

  it('k = 5 on 5-caption images: each group of 5 rows is one image with all its captions', () => {
    const s = new BatchSampler(test, { batchSize: 20, captionsPerImage: 5, seed: 1 });
    expect(s.samplesPerEpoch).toBe(2260);
    const e = [...s.epoch()];
    for (const b of e) {
      for (let g = 0; g < b.captions.length; g += 5) {
        const ids = new Set(b.imageIds.subarray(g, g + 5));
        expect(ids.size).toBe(1);
        const im = test.images[b.imageIds[g]!]!;
        expect(Array.from(b.captions.subarray(g, g + 5)).sort((a, c) => a - c)).toEqual([...im.captions]);
      }
    }
    expect(flat(e).sort((a, b) => a - b)).toEqual(Array.from({ length: 2260 }, (_, i) => i));
  });

  it('k = 2: groups of two captions of one image; every caption at least once; 3 groups per 5-caption image', () => {
    const s = new BatchSampler(test, { batchSize: 16, captionsPerImage: 2, seed: 2, dropLast: true });
    expect(s.samplesPerEpoch).toBe(452 * 6);
    expect(s.batchesPerEpoch).toBe(Math.floor((452 * 6) / 16));
    const all = new BatchSampler(test, { batchSize: 16, captionsPerImage: 2, seed: 2 });
    const e = [...all.epoch()];
    const seen = new Map<number, number>();
    for (const b of e) {
      for (let g = 0; g < b.captions.length; g += 2) {
        expect(b.imageIds[g]).toBe(b.imageIds[g + 1]);
        expect(b.captions[g]).not.toBe(b.captions[g + 1]);
      }
      for (const c of b.captions) seen.set(c, (seen.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(2260);
    for (const im of test.images) {
      expect(im.captions.reduce((n, c) => n + seen.get(c)!, 0)).toBe(6); // one caption repeated
    }
  });

  it('shuffle: false gives file order; images with one caption cycle for k > 1', () => {
    const s = new BatchSampler(
      { captionToImage: [0, 1, 1, 2, 2, 2] },
      { batchSize: 2, captionsPerImage: 2, shuffle: false },
    );
    expect([...s.epoch()].map((b) => Array.from(b.captions))).toEqual([
      [0, 0],
      [1, 2],
      [3, 4],
      [5, 3],
    ]);
    const p = new BatchSampler({ captionToImage: [0, 1, 1] }, { batchSize: 2, shuffle: false });
    expect([...p.epoch()].map((b) => Array.from(b.captions))).toEqual([[0, 1], [2]]);
  });

  it('uses a given Rng (and advances it)', () => {
    const rng = new Rng(11);
    const before = rng.getState();
    const a = new BatchSampler(test, { batchSize: 64, rng });
    expect(rng.getState()).not.toEqual(before);
    const b = new BatchSampler(test, {
      batchSize: 64,
      rng: (() => {
        const r = new Rng(0);
        r.setState(before);
        return r;
      })(),
    });
    expect(strip(a.next())).toEqual(strip(b.next()));
  });
});

describe('BatchSampler: resume mid-epoch', () => {
  it.each([
    [1, false],
    [5, false],
    [2, true],
  ])(
    'k = %i, dropLast %s: a JSON round trip of any batch.stateAfter yields exactly the remaining batches',
    (k, dropLast) => {
      const opts = { batchSize: 40, captionsPerImage: k, dropLast, seed: 'resume' };
      const ref = new BatchSampler(train, opts);
      const n = ref.batchesPerEpoch;
      const stream = take(ref, 3 * n);
      // every cut: start, mid-epoch, the epoch's last batch, across the boundary
      for (const cut of [0, 1, Math.floor(n / 2), n - 1, n, n + 3, 2 * n - 1]) {
        const state: BatchSamplerState = JSON.parse(JSON.stringify(stream[cut]!.stateAfter));
        const resumed = new BatchSampler(train, opts);
        resumed.setState(state);
        const rest = take(resumed, 3 * n - cut - 1);
        expect(rest.map(strip), `cut after batch ${cut}`).toEqual(stream.slice(cut + 1).map(strip));
      }
    },
  );

  it('epoch() after resume yields only the remaining batches of that epoch', () => {
    const opts = { batchSize: 100, seed: 9 };
    const ref = new BatchSampler(train, opts);
    const first = [...ref.epoch()];
    const r = new BatchSampler(train, opts);
    r.setState(first[5]!.stateAfter);
    expect(r.remaining).toBe(first.length - 6);
    expect([...r.epoch()].map(strip)).toEqual(first.slice(6).map(strip));
    expect(r.epochNumber).toBe(0);
    expect(r.getState().position).toBe(first.length);
    expect(r.next().epoch).toBe(1);
  });

  it('prefetching runs the sampler ahead, but stateAfter still marks the consumed batch', async () => {
    const opts = { batchSize: 64, seed: 5 };
    const s = new BatchSampler(test, opts);
    const seen: Batch[] = [];
    for await (const b of prefetch(s.epoch(), async (x) => x, { depth: 4 })) {
      seen.push(b);
      if (seen.length === 10) break;
    }
    expect(s.getState().position).toBeGreaterThan(10); // ahead of the consumer
    const r = new BatchSampler(test, opts);
    r.setState(seen[9]!.stateAfter);
    const ref = new BatchSampler(test, opts);
    expect(strip(r.next())).toEqual(strip(take(ref, 11)[10]!));
  });

  it('rejects a state from a different configuration', () => {
    const a = new BatchSampler(test, { batchSize: 64 });
    const st = a.next().stateAfter;
    const b = new BatchSampler(test, { batchSize: 32 });
    const S = 'BatchSampler.setState';
    expectInputError(
      () => b.setState(st),
      S,
      'state.config.batchSize',
      /saved with batchSize = 64 but this sampler has 32/,
    );
    const c = new BatchSampler(train, { batchSize: 64 });
    expectInputError(
      () => c.setState(st),
      S,
      'state.config.nCaptions',
      /nCaptions = 2260 but this sampler has 1720/,
    );
    expectInputError(
      () => a.setState({ ...st, position: 999 }),
      S,
      'state.position',
      /position must be an integer in \[0, 36\], got 999/,
    );
    expectInputError(
      () => a.setState({ ...st, epoch: -1 }),
      S,
      'state.epoch',
      /epoch must be a non-negative integer, got -1/,
    );
    expectInputError(() => a.setState({} as BatchSamplerState), S, 'state', /not a BatchSamplerState/);
    expectInputError(() => a.setState(null as never), S, 'state', /not a BatchSamplerState/);
    const rng = expectInputError(
      () => a.setState({ ...st, rng: { s: [1, 2], spare: null } as never }),
      S,
      'state.rng',
      /state\.rng is not a generator state \(Rng\.setState: /,
    );
    expect(rng.cause).toBeInstanceOf(Error); // the Rng's own error
    // a failed setState leaves the sampler as it was
    expect(strip(a.next())).toEqual(strip(take(new BatchSampler(test, { batchSize: 64 }), 2)[1]!));
  });
});

describe('BatchSampler: argument errors', () => {
  it.each([
    [{ batchSize: 0 }, 'batchSize', /batchSize must be a positive integer, got 0/],
    [{ batchSize: 2.5 }, 'batchSize', /batchSize must be a positive integer, got 2.5/],
    [
      { batchSize: 10, captionsPerImage: 3 },
      'batchSize',
      /batchSize 10 must be a multiple of captionsPerImage 3/,
    ],
    [
      { batchSize: 4, captionsPerImage: 0 },
      'captionsPerImage',
      /captionsPerImage must be a positive integer, got 0/,
    ],
    [
      { batchSize: 5000, dropLast: true },
      'batchSize',
      /2260 samples make no full batch of 5000.*lower batchSize/,
    ],
    [{ batchSize: 4, seed: 1.5 }, 'seed', /seed must be a finite integer or a string, got 1.5/],
  ])('%j', (opts, argument, re) => {
    expectInputError(() => new BatchSampler(test, opts), 'BatchSampler', argument, re);
  });

  it('bad sources', () => {
    const B = 'BatchSampler';
    expectInputError(
      () => new BatchSampler(null as never, { batchSize: 1 }),
      B,
      'source',
      /source must be a dataset or \{captionToImage, imageLabels\?\}, got null/,
    );
    expectInputError(
      () => new BatchSampler({ captionToImage: [] }, { batchSize: 1 }),
      B,
      'source',
      /no captions/,
    );
    expectInputError(
      () => new BatchSampler({ captionToImage: [0, -1] }, { batchSize: 1 }),
      B,
      'source.captionToImage',
      /captionToImage\[1\] = -1 is not an image index/,
    );
    expectInputError(
      () => new BatchSampler({ captionToImage: [0, 1], imageLabels: [0, 0.5] }, { batchSize: 1 }),
      B,
      'source.imageLabels',
      /imageLabels\[1\] = 0.5 is not an integer/,
    );
    expectInputError(
      () => new BatchSampler({ captionToImage: [0, 2], imageLabels: [0, 1] }, { batchSize: 1 }),
      B,
      'source.imageLabels',
      /captionToImage\[1\] = 2 but imageLabels has only 2 images/,
    );
  });
});

describe('prefetch', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('keeps order, bounds the loads ahead by depth, and overlaps them with the consumer', async () => {
    for (const depth of [0, 1, 3]) {
      let inFlightOrWaiting = 0; // started, not yet received by the consumer
      let peak = 0;
      const events: string[] = [];
      const out: number[] = [];
      const rng = new Rng(depth);
      const load = async (x: number) => {
        inFlightOrWaiting++;
        peak = Math.max(peak, inFlightOrWaiting);
        events.push(`start ${x}`);
        await sleep(rng.int(4));
        return x * 10;
      };
      for await (const v of prefetch([0, 1, 2, 3, 4, 5, 6, 7], load, { depth })) {
        inFlightOrWaiting--; // consumed
        events.push(`use ${v / 10}`);
        out.push(v);
        await sleep(2); // the "training step"
      }
      expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
      // `depth` loads ahead plus the item being handed to the consumer
      expect(peak, `depth ${depth}`).toBeLessThanOrEqual(depth + 1);
      if (depth === 0) {
        // no overlap: item i+1 starts only after item i is in use
        for (let i = 0; i < 7; i++)
          expect(events.indexOf(`start ${i + 1}`)).toBeGreaterThan(events.indexOf(`use ${i}`));
      } else {
        // overlap: item i+1 (up to depth ahead) already started when item i is handed out
        for (let i = 0; i < 7; i++)
          expect(events.indexOf(`start ${i + 1}`)).toBeLessThan(events.indexOf(`use ${i}`));
      }
    }
  });

  it('async sources, and the index argument', async () => {
    async function* src() {
      for (const s of ['a', 'b', 'c']) {
        await sleep(1);
        yield s;
      }
    }
    const out: string[] = [];
    for await (const v of prefetch(src(), (s, i) => `${s}${i}`)) out.push(v);
    expect(out).toEqual(['a0', 'b1', 'c2']);
  });

  it('a failed load rejects at its item; earlier items arrive', async () => {
    const out: number[] = [];
    const run = async () => {
      for await (const v of prefetch([1, 2, 3, 4], async (x) => {
        if (x === 3) throw new Error('cannot decode item 3');
        return x;
      }))
        out.push(v);
    };
    await expect(run()).rejects.toThrow('cannot decode item 3');
    expect(out).toEqual([1, 2]);
  });

  it('stopping early closes the source and leaves no unhandled rejection', async () => {
    let closed = false;
    function* src() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    const g = globalThis as unknown as { process?: NodeJS.Process };
    g.process?.on?.('unhandledRejection', onUnhandled);
    for await (const v of prefetch(
      src(),
      async (x) => {
        if (x > 0) throw new Error(`late failure ${x}`);
        return x;
      },
      { depth: 3 },
    )) {
      expect(v).toBe(0);
      break;
    }
    await sleep(10);
    g.process?.off?.('unhandledRejection', onUnhandled);
    expect(closed).toBe(true);
    expect(unhandled).toEqual([]);
  });

  it('argument errors', async () => {
    const P = 'prefetch';
    await expectInputRejection(
      prefetch([1], (x) => x, { depth: -1 }).next(),
      P,
      'depth',
      /depth must be a non-negative integer, got -1/,
    );
    await expectInputRejection(
      prefetch([1], 3 as never).next(),
      P,
      'load',
      /load must be a function \(item, index\) => result, got number/,
    );
    await expectInputRejection(
      prefetch(5 as never, (x) => x).next(),
      P,
      'source',
      /source must be an iterable or an async iterable, got number/,
    );
    await expectInputRejection(prefetch(null as never, (x) => x).next(), P, 'source', /got null/);
  });
});

describeBackends('batching allocates no tensors', () => {
  it('a sampler epoch and a prefetch pass', async () => {
    await expectNoLeak(async () => {
      const s = new BatchSampler(test, { batchSize: 128, captionsPerImage: 2 });
      for await (const _ of prefetch(s.epoch(), async (b) => b.imageIds)) {
        // nothing
      }
    }, 'BatchSampler + prefetch');
  });
});
