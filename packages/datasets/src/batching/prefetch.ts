/**
 * Bounded-memory streaming: load (decode, augment) items ahead of the consumer, in order, with at most
 * `depth` loads in flight or waiting.
 */
import { DatasetInputError } from '../errors.js';

/** Options of {@link prefetch}. */
export interface PrefetchOptions {
  /**
   * Items loaded ahead of the consumer: at most `depth` loads are in flight or finished-but-unconsumed at
   * any time (memory is bounded by `depth` loaded items plus the one the consumer holds). Default 2.
   * 0 loads each item only when the consumer asks for it (no overlap).
   */
  depth?: number;
}

/**
 * Map `source` through an async `load`, running up to `depth` loads ahead of the consumer (so decoding the
 * next batches overlaps the training step on the current one). Results come in source order. A failed load
 * rejects when the consumer reaches that item; stopping early (`break`) stops the source and leaves no
 * unhandled rejection behind.
 *
 * @param source items (e.g. `sampler.epoch()`), sync or async iterable
 * @param load `(item, i) => Promise<result>` — e.g. decode the images of a batch
 * @example
 * ```ts
 * const batches = prefetch(sampler.epoch(), async (b) => ({ ...b, pixels: await decodeBatch(b) }), { depth: 2 });
 * for await (const b of batches) await trainStep(b); // the next 2 batches decode meanwhile
 * ```
 */
export async function* prefetch<T, U>(
  source: Iterable<T> | AsyncIterable<T>,
  load: (item: T, index: number) => U | Promise<U>,
  options: PrefetchOptions = {},
): AsyncGenerator<Awaited<U>, void, undefined> {
  const depth = options.depth ?? 2;
  if (!Number.isInteger(depth) || depth < 0) {
    throw new DatasetInputError(
      'prefetch',
      'depth',
      `prefetch: depth must be a non-negative integer, got ${depth}`,
    );
  }
  if (typeof load !== 'function') {
    throw new DatasetInputError(
      'prefetch',
      'load',
      `prefetch: load must be a function (item, index) => result, got ${load === null ? 'null' : typeof load}`,
    );
  }
  const it: Iterator<T> | AsyncIterator<T> =
    source !== null && typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] === 'function'
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : typeof (source as Iterable<T>)?.[Symbol.iterator] === 'function'
        ? (source as Iterable<T>)[Symbol.iterator]()
        : (() => {
            throw new DatasetInputError(
              'prefetch',
              'source',
              `prefetch: source must be an iterable or an async iterable, got ${source === null ? 'null' : typeof source}`,
            );
          })();
  const queue: Promise<Awaited<U>>[] = [];
  let index = 0;
  let done = false;
  const pull = async (): Promise<void> => {
    const r = await it.next();
    if (r.done) {
      done = true;
      return;
    }
    const k = index++;
    const p = Promise.resolve().then(() => load(r.value, k)) as Promise<Awaited<U>>;
    p.catch(() => {}); // observed when consumed; avoid an unhandled rejection if the consumer stops first
    queue.push(p);
  };
  try {
    for (;;) {
      // keep `depth` loads ahead (at least one when the consumer is waiting)
      while (!done && queue.length < Math.max(depth, 1)) await pull();
      const head = queue.shift();
      if (head === undefined) return;
      const value = await head;
      // start the next loads before handing the value out, so they run during the consumer's work
      while (!done && queue.length < depth) await pull();
      yield value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}
