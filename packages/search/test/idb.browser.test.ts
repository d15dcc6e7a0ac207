/**
 * The browser store in IndexedDB (real Chromium): a batch stored atomically and found again by a new handle
 * (a reload), ids kept once, another model refused, exact search against brute force per kind, no tensor left.
 */

import { initBackend } from '@pir/runtime';
import { expectNoLeak, seededValues } from '@pir/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IdbStore, type ModelIdentity, openIdbStore, StoreError, type StoreItem } from '../src/index.js';

const D = 8;
const identity: ModelIdentity = { name: 'idb-test', configHash: 'f00d', dim: D };
const name = `pir-idb-test-${Date.now()}`;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

afterAll(async () => {
  const s = await openIdbStore(name).catch(() => undefined);
  await s?.destroy();
});

const unit = (n: number, seed: number) => {
  const v = new Float32Array(seededValues(n * D, seed));
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += (v[i * D + j] as number) ** 2;
    for (let j = 0; j < D; j++) v[i * D + j] = (v[i * D + j] as number) / Math.sqrt(ss);
  }
  return v;
};

it('stores batches, a new handle (a reload) finds them, searches equal brute force, captions apart', async () => {
  await expect(openIdbStore(name)).rejects.toThrow(/no store in IndexedDB database/);
  const store = await openIdbStore(name, { create: identity });
  expect(store).toBeInstanceOf(IdbStore);
  const vecs = unit(40, 1);
  const items: StoreItem[] = Array.from({ length: 40 }, (_, i) => ({
    id: `img/${i}.png`,
    path: `img/${i}.png`,
  }));
  expect(await store.add(identity, items.slice(0, 25), vecs.slice(0, 25 * D))).toBe(25);
  // overlapping batch with a repeated id: only the new ones
  const again = [...items.slice(20), items[39] as StoreItem];
  const againV = new Float32Array(again.length * D);
  againV.set(vecs.slice(20 * D));
  againV.set(vecs.slice(39 * D), 20 * D);
  expect(await store.add(identity, again, againV)).toBe(15);
  const caps = unit(5, 2);
  const capItems: StoreItem[] = Array.from({ length: 5 }, (_, i) => ({
    id: `c#${i}`,
    path: 'c.json',
    caption: `caption ${i}`,
  }));
  expect(await store.add(identity, capItems, caps)).toBe(5);
  await expect(store.add({ ...identity, configHash: 'other' }, items, vecs)).rejects.toBeInstanceOf(
    StoreError,
  );
  await expect(store.add(identity, items.slice(0, 2), new Float32Array(3))).rejects.toThrow(
    /Float32Array of 2 × 8/,
  );
  await store.close();

  const reopened = await openIdbStore(name);
  expect([await reopened.count('image'), await reopened.count('caption')]).toEqual([40, 5]);
  expect(await reopened.missing(['img/3.png', 'nope'])).toEqual(['nope']);
  expect(await reopened.get('c#2')).toEqual(capItems[2]);
  expect(Array.from(reopened.vector('img/7.png') as Float32Array)).toEqual(
    Array.from(vecs.slice(7 * D, 8 * D)),
  );
  const q = unit(3, 3);
  await expectNoLeak(async () => {
    const hits = await reopened.search(identity, q, 5);
    for (const [qi, list] of hits.entries()) {
      const want = Array.from({ length: 40 }, (_, i) => {
        let s = 0;
        for (let j = 0; j < D; j++) s += (q[qi * D + j] as number) * (vecs[i * D + j] as number);
        return { id: `img/${i}.png`, s };
      })
        .sort((a, b) => b.s - a.s)
        .slice(0, 5);
      expect(list.map((h) => h.item.id)).toEqual(want.map((w) => w.id));
      list.forEach((h, i) => {
        expect(h.score).toBeCloseTo(want[i]?.s as number, 5);
      });
    }
    const [c] = await reopened.search(identity, caps.slice(4 * D, 5 * D), 1, { kind: 'caption' });
    expect(c?.[0]?.item.id).toBe('c#4');
  });
  await expect(openIdbStore(name, { create: { ...identity, dim: 16 } })).rejects.toThrow(/dim differ/);
  await reopened.close();
});
