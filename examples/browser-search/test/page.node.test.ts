/**
 * The page as a person uses it, in headless Chromium: `vite build` of the example (the `@pir/*` packages
 * through their published entry points, so run `npm run build` first), `vite preview` on a free port (the
 * cross-origin isolation headers included), then load → index the sample set → search by caption → search by
 * image → belief overlay → reload (the index persisted) → a corrupt file among good ones → a wrong model URL.
 *
 * Queries are captions the synthetic generator writes for images of a class (another seed than the sample
 * set's), not phrases picked to pass. The screenshot goes to `$PIR_SCREENSHOT` when set (the README's is made
 * so), else to the temporary folder.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage, generateSyntheticImage, SCENE_CLASSES } from '@pir/datasets';
import { cleanCaption } from '@pir/datasets/captions';
import type { RetrievalModel } from '@pir/models';
import { loadModel } from '@pir/models/node';
import { initBackend } from '@pir/runtime';
import { exactTopK, imageVectors } from '@pir/search';
import { buildAndServe, launchChromium, type ServedExample } from '@pir/test-utils/page';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const example = resolve(here, '..');
const root = resolve(example, '../..');

let served: ServedExample | undefined;
let browser: Browser;
let page: Page;
let url: string;

/** The sample set as the worker makes it, embedded in Node by the same model: the reference rankings. */
const SAMPLE = 48;
let model: RetrievalModel;
let dim: number;
let samplePaths: string[];
let sampleVectors: Float32Array;

async function nodeText(caption: string): Promise<Float32Array> {
  const t = model.embedTexts([cleanCaption(caption, { maxWords: 30 })]);
  const q = (await t.data()) as Float32Array;
  t.dispose();
  return q;
}

async function nodeRanking(q: Float32Array): Promise<{ path: string; score: number }[]> {
  const [top] = await exactTopK(q, sampleVectors, dim, 13);
  return (top ?? []).map((h) => ({ path: samplePaths[h.index] as string, score: h.score }));
}

/** Same scores (float32 on two engines) and the same order wherever two scores are not within rounding. */
function expectSameRanking(
  got: { path: string; score: number }[],
  want: { path: string; score: number }[],
  what: string,
): void {
  const tol = 2e-3;
  got.forEach((h, i) => {
    const w = want[i] as { path: string; score: number };
    expect(Math.abs(h.score - w.score), `${what}: score of rank ${i + 1}`).toBeLessThan(tol);
    const tiedWithNeighbour =
      Math.abs((want[i - 1]?.score ?? Number.POSITIVE_INFINITY) - w.score) < tol ||
      Math.abs((want[i + 1]?.score ?? Number.NEGATIVE_INFINITY) - w.score) < tol;
    if (!tiedWithNeighbour) expect(h.path, `${what}: rank ${i + 1}`).toBe(w.path);
  });
}

/** The scene class of a hit from its path (`sample/harbour_37.png`, `drop/harbour_3.png`). */
const classOf = (path: string): string => (path.split('/').pop() as string).replace(/_\d+\.png$/, '');

async function hits(): Promise<{ path: string; score: number }[]> {
  return page.$$eval('.hit', (els) =>
    els.map((e) => ({
      path: (e as HTMLElement).dataset.path as string,
      score: Number((e as HTMLElement).dataset.score),
    })),
  );
}

async function searchFor(text: string): Promise<{ path: string; score: number }[]> {
  await page.evaluate(() => {
    delete document.body.dataset.results;
  });
  await page.fill('#query', text);
  await page.press('#query', 'Enter');
  await page.waitForFunction(() => document.body.dataset.results !== undefined);
  return hits();
}

/** Run `start` (a drop, a click) and wait until the indexing run it began has ended (`data-last-rate` set). */
async function indexRun(start: () => Promise<void>, timeout = 120_000): Promise<void> {
  await page.evaluate(() => {
    delete document.body.dataset.lastRate;
  });
  await start();
  await page.waitForFunction(
    () => document.body.dataset.lastRate !== undefined && document.body.dataset.state === 'ready',
    null,
    { timeout },
  );
}

async function whenReady(): Promise<void> {
  await page.waitForFunction(
    () => document.body.dataset.state === 'ready' || document.body.dataset.state === 'model-error',
    null,
    { timeout: 90_000 },
  );
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = await loadModel(join(example, 'public/model'));
  dim = model.embeddingDim;
  const samples = Array.from({ length: SAMPLE }, (_, i) =>
    generateSyntheticImage(i, { seed: 'browser-sample', size: 64, count: SAMPLE }),
  );
  samplePaths = samples.map((s, i) => `sample/${s.sample.labelName}_${i}.png`);
  sampleVectors = await imageVectors(
    model,
    samples.map((s) => s.pixels),
  );
  for (const pkg of ['runtime', 'datasets', 'models', 'search'])
    if (!existsSync(join(root, `packages/${pkg}/dist/index.js`)))
      throw new Error(
        `packages/${pkg}/dist is missing: the page uses the published entry points — run npm run build`,
      );
  served = await buildAndServe(example);
  url = served.url;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await whenReady();
}, 180_000);

afterAll(async () => {
  model?.dispose();
  await browser?.close();
  await served?.close();
});

describe('examples/browser-search in Chromium', () => {
  it('is served cross-origin isolated and runs the model on wasm with threads', async () => {
    const res = await fetch(url);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
    // SwiftShader's software WebGPU adapter is passed over by 'auto': wasm, one thread per core
    expect(await page.textContent('#backend')).toMatch(/^wasm · SIMD · \d+ threads?$/);
    expect(await page.textContent('#model-name')).toBe('pir-itr-demo · D=64 · 64 px');
  });

  it('indexes the sample set in a worker with a progress bar, and finds the captioned scene class', async () => {
    await page.click('#sample');
    await page.waitForFunction(() => document.body.dataset.state === 'indexing');
    // the page answers while the worker embeds: the main thread is not blocked
    expect(await page.evaluate(() => document.title)).toContain('PIR');
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    expect(await page.textContent('#progress-text')).toMatch(
      /^Done: 48 added in [\d.]+ s \([\d.]+ images\/s\) · 48 in the index$/,
    );
    expect(await page.getAttribute('#progress', 'value')).toBe('48');
    expect(await page.textContent('#indexed')).toBe('48 images');

    // every class: a caption the generator writes for an unseen image of it; the page ranks as Node does
    let precision = 0;
    for (const [label, scene] of SCENE_CLASSES.entries()) {
      const caption = generateSyntheticImage(label, { seed: 'query', size: 64, count: 48 }).sample
        .captions[0];
      const found = await searchFor(caption);
      expect(found).toHaveLength(12);
      expect(await page.textContent('#results-title')).toContain('top 12 of 48 images');
      const want = await nodeRanking(await nodeText(caption));
      expectSameRanking(found, want, caption);
      precision +=
        found.slice(0, 4).filter((h) => classOf(h.path) === scene).length / 4 / SCENE_CLASSES.length;
    }
    // the shipped model finds the captioned class (precision@4 over the 12 classes; see the README)
    expect(precision).toBeGreaterThanOrEqual(0.8);
  });

  it('finds an image’s nearest images when it is clicked, and draws the belief heat-map', async () => {
    const found = await searchFor(
      generateSyntheticImage(4, { seed: 'query', size: 64, count: 48 }).sample.captions[1],
    );
    const first = found[0]!;
    await page.evaluate(() => {
      delete document.body.dataset.results;
    });
    await page.click('.hit button');
    await page.waitForFunction(() => document.body.dataset.results !== undefined);
    expect(await page.textContent('#results-title')).toContain(`Images like ${first.path}`);
    const like = await hits();
    expect(like.map((h) => h.path)).not.toContain(first.path); // the image itself is left out
    const row = samplePaths.indexOf(first.path);
    const want = (await nodeRanking(sampleVectors.subarray(row * dim, (row + 1) * dim))).filter(
      (h) => h.path !== first.path,
    );
    expectSameRanking(like, want.slice(0, 12), first.path);
    // focus moves to the new results (keyboard users land on them)
    expect(await page.evaluate(() => document.activeElement?.closest('.hit') !== null)).toBe(true);

    const brightness = () =>
      page.$eval('.hit canvas', (c) => {
        const ctx = (c as HTMLCanvasElement).getContext('2d') as CanvasRenderingContext2D;
        const d = ctx.getImageData(
          0,
          0,
          (c as HTMLCanvasElement).width,
          (c as HTMLCanvasElement).height,
        ).data;
        let s = 0;
        for (let i = 0; i < d.length; i += 4)
          s += (d[i] as number) + (d[i + 1] as number) + (d[i + 2] as number);
        return s / (d.length / 4) / 3;
      });
    // `data-results` is set once the grid's canvases are drawn; `data-drawn` counts finished draws
    const plain = await brightness();
    const drawn = await page.evaluate(() => document.body.dataset.drawn);
    await page.check('#belief');
    await page.waitForFunction((d) => document.body.dataset.drawn !== d, drawn, { timeout: 60_000 });
    expect(await page.isVisible('#belief-legend')).toBe(true);
    const overlaid = await brightness();
    // the dropped tokens (65 − k = 13 of 65 for the demo model) are darkened
    expect(overlaid).toBeLessThan(plain * 0.95);
    await page.screenshot({
      path: process.env.PIR_SCREENSHOT ?? join((served as ServedExample).outDir, 'screenshot.png'),
      fullPage: true,
    });
    await page.uncheck('#belief');
  });

  it('keeps the index over a reload: the first search needs no re-embedding', async () => {
    await page.reload();
    await whenReady();
    expect(await page.textContent('#indexed')).toBe('48 images');
    expect(await page.textContent('#results-title')).toContain('48 images indexed on an earlier visit');
    const found = await searchFor('many boats are moored in the harbour');
    expect(found).toHaveLength(12);
  });

  it('reports a corrupt file by name and indexes the good ones', async () => {
    const { pixels } = generateSyntheticImage(0, { seed: 'drop', size: 64, count: 12 });
    const good = Buffer.from(await encodeImage(pixels, 'png'));
    const corrupt = Buffer.concat([good.subarray(0, 60), Buffer.alloc(200, 7)]);
    await indexRun(() =>
      page.setInputFiles('#files', [
        { name: 'harbour_900.png', mimeType: 'image/png', buffer: good },
        { name: 'broken_1.png', mimeType: 'image/png', buffer: corrupt },
        { name: 'notes_2.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') },
      ]),
    );
    expect(await page.textContent('#progress-text')).toMatch(
      /^Done: 1 added .* 2 unreadable · 49 in the index$/,
    );
    expect(await page.isVisible('#failures')).toBe(true);
    expect(await page.textContent('#failures-summary')).toBe('2 files could not be read (skipped)');
    const reasons = await page.$$eval('#failures-list li', (els) => els.map((e) => e.textContent));
    expect(reasons[0]).toMatch(/^broken_1\.png: .*(corrupt|truncated)/i);
    expect(reasons[1]).toMatch(/^notes_2\.png: unrecognised image data/);
    expect(await page.textContent('#indexed')).toBe('49 images');
    // the same files again: nothing re-embedded
    await indexRun(() =>
      page.setInputFiles('#files', [{ name: 'harbour_900.png', mimeType: 'image/png', buffer: good }]),
    );
    expect(await page.textContent('#progress-text')).toMatch(
      /^Done: 0 added .* 1 already indexed · 49 in the index$/,
    );
  });

  it('stops when cancelled, keeps what was committed, and a second run embeds only the rest', async () => {
    const many = await Promise.all(
      Array.from({ length: 96 }, async (_, i) => {
        const { sample, pixels } = generateSyntheticImage(i, { seed: 'cancel', size: 64, count: 96 });
        return {
          name: `${sample.labelName}_${1000 + i}.png`,
          mimeType: 'image/png',
          buffer: Buffer.from(await encodeImage(pixels, 'png')),
        };
      }),
    );
    await page.setInputFiles('#files', many);
    await page.waitForFunction(() =>
      /^[1-9]\d* \/ 96 images/.test(document.getElementById('progress-text')?.textContent ?? ''),
    );
    await page.click('#cancel');
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    const text = (await page.textContent('#progress-text')) as string;
    const added = Number(/^Cancelled: (\d+) added/.exec(text)?.[1]);
    expect(added, text).toBeGreaterThan(0);
    expect(added).toBeLessThan(96);
    expect(await page.textContent('#indexed')).toBe(`${49 + added} images`);
    await indexRun(() => page.setInputFiles('#files', many));
    expect(await page.textContent('#progress-text')).toMatch(
      new RegExp(`^Done: ${96 - added} added .* ${added} already indexed · 145 in the index$`),
    );
  });

  it('says why a model cannot be loaded, and loads the next one', async () => {
    await page.fill('#model-url', './no-such-model/');
    await page.click('#model-load');
    await page.waitForFunction(() => document.body.dataset.state === 'model-error');
    const message = await page.textContent('#model-error');
    expect(message).toMatch(/^Cannot load the model from \.\/no-such-model\/: .*pir-model\.json/);
    expect(await page.isDisabled('#search')).toBe(true);
    await page.fill('#model-url', './model/');
    await page.click('#model-load');
    await whenReady();
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
    expect(await page.textContent('#indexed')).toBe('145 images');
    expect(await page.isHidden('#model-error')).toBe(true);
  });
});
