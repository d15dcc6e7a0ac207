/**
 * The page: controls, progress, the results grid and the belief overlay. Everything that touches the model
 * or the index runs in `worker.ts`; this file only sends requests and draws answers, so the page stays
 * responsive while hundreds of images are embedded.
 */
import type { BeliefGrid } from '@pir/search';
import type {
  BackendChoice,
  BackendReady,
  BeliefResult,
  Hit,
  IndexReport,
  Progress,
  Ready,
  Reply,
  Request,
  SearchResult,
} from './protocol.js';

/** Hits shown per search. */
const TOP_K = 12;
/** Drawn side of a hit, in CSS pixels (the canvas is drawn at the device's resolution). */
const TILE = 176;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
};

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map<
  number,
  { ok(r: unknown): void; no(e: Error): void; onProgress?: (p: Progress) => void }
>();

worker.onmessage = (e: MessageEvent<Reply | Progress>) => {
  const m = e.data;
  const p = pending.get(m.id);
  if (p === undefined) return;
  if (m.type === 'progress') {
    p.onProgress?.(m);
    return;
  }
  pending.delete(m.id);
  if (m.ok) p.ok(m.result);
  else p.no(new Error(m.error));
};
worker.onerror = (e) => {
  showModelError(`The worker failed: ${e.message || 'see the console'}. Reload the page.`);
};

type Body<R> = R extends { id: number } ? Omit<R, 'id'> : never;

function ask<T>(req: Body<Request>, onProgress?: (p: Progress) => void): Promise<T> {
  const id = nextId++;
  return new Promise<T>((ok, no) => {
    pending.set(id, { ok: ok as (r: unknown) => void, no, ...(onProgress ? { onProgress } : {}) });
    worker.postMessage({ ...req, id });
  });
}

// ---- state shown on the page ----------------------------------------------------------------------------

let backend: Promise<BackendReady> | undefined;
let ready: Ready | undefined;
let indexing = false;
let lastHits: Hit[] = [];
const beliefs = new Map<string, BeliefGrid | null>();

const ui = {
  backend: $('backend'),
  modelName: $('model-name'),
  indexed: $('indexed'),
  modelForm: $<HTMLFormElement>('model-form'),
  modelUrl: $<HTMLInputElement>('model-url'),
  modelLoad: $<HTMLButtonElement>('model-load'),
  modelError: $('model-error'),
  drop: $<HTMLButtonElement>('drop'),
  files: $<HTMLInputElement>('files'),
  folder: $<HTMLInputElement>('folder'),
  sample: $<HTMLButtonElement>('sample'),
  clear: $<HTMLButtonElement>('clear'),
  progressBox: $('progress-box'),
  progress: $<HTMLProgressElement>('progress'),
  progressText: $('progress-text'),
  cancel: $<HTMLButtonElement>('cancel'),
  failures: $<HTMLDetailsElement>('failures'),
  failuresSummary: $('failures-summary'),
  failuresList: $('failures-list'),
  searchForm: $<HTMLFormElement>('search-form'),
  query: $<HTMLInputElement>('query'),
  search: $<HTMLButtonElement>('search'),
  belief: $<HTMLInputElement>('belief'),
  beliefLegend: $('belief-legend'),
  resultsTitle: $('results-title'),
  results: $<HTMLOListElement>('results'),
};

function showModelError(message: string | undefined): void {
  ui.modelError.hidden = message === undefined;
  ui.modelError.textContent = message ?? '';
}

function setIndexed(n: number): void {
  ui.indexed.textContent = `${n} image${n === 1 ? '' : 's'}`;
  document.body.dataset.indexed = String(n);
}

function refreshControls(): void {
  const usable = ready !== undefined && !indexing;
  for (const b of [ui.sample, ui.clear, ui.search]) b.disabled = !usable;
  ui.files.disabled = ui.folder.disabled = !usable;
  ui.drop.disabled = !usable;
  ui.belief.disabled = ready?.model.hasBelief !== true;
  ui.modelLoad.disabled = indexing;
}

// ---- model ----------------------------------------------------------------------------------------------

async function loadModelFrom(url: string): Promise<void> {
  showModelError(undefined);
  ui.modelName.textContent = 'loading…';
  document.body.dataset.state = 'loading';
  ready = undefined;
  refreshControls();
  try {
    // ?backend=wasm|webgpu|cpu and ?threads=N override the automatic choice
    const params = new URLSearchParams(location.search);
    const threads = params.get('threads');
    backend ??= ask<BackendReady>({
      type: 'init',
      backend: (params.get('backend') ?? 'auto') as BackendChoice,
      ...(threads === null ? {} : { threads: Number(threads) }),
    });
    const b = await backend;
    ui.backend.textContent =
      b.backend +
      (b.backendName === 'wasm' && !b.isolated ? ' (page not cross-origin isolated: 1 thread)' : '');
    document.body.dataset.backend = b.backendName;
    ready = await ask<Ready>({ type: 'load', modelUrl: new URL(url, document.baseURI).href });
  } catch (e) {
    ui.modelName.textContent = 'none';
    showModelError(`Cannot load the model from ${url}: ${(e as Error).message}`);
    document.body.dataset.state = 'model-error';
    return;
  } finally {
    refreshControls();
  }
  ui.modelName.textContent = `${ready.model.name} · D=${ready.model.dim} · ${ready.model.imageSize} px`;
  setIndexed(ready.indexed);
  beliefs.clear();
  clearResults(
    ready.indexed > 0
      ? `${ready.indexed} images indexed on an earlier visit — type a caption.`
      : 'Index some images, then type a caption.',
  );
  document.body.dataset.state = 'ready';
}

ui.modelForm.addEventListener('submit', (e) => {
  e.preventDefault();
  void loadModelFrom(ui.modelUrl.value.trim());
});

// ---- indexing -------------------------------------------------------------------------------------------

function showProgress(p: IndexReport): void {
  ui.progressBox.hidden = false;
  ui.progress.max = Math.max(1, p.total);
  ui.progress.value = p.done;
  const parts = [`${p.done} / ${p.total} images`];
  if (p.added > 0) parts.push(`${p.imagesPerSecond.toFixed(1)} images/s`);
  if (p.skipped > 0) parts.push(`${p.skipped} already indexed`);
  if (p.failed.length > 0) parts.push(`${p.failed.length} unreadable`);
  ui.progressText.textContent = parts.join(' · ');
  setIndexed(p.indexed);
  ui.failures.hidden = p.failed.length === 0;
  ui.failuresSummary.textContent = `${p.failed.length} file${p.failed.length === 1 ? '' : 's'} could not be read (skipped)`;
  ui.failuresList.replaceChildren(
    ...p.failed.map((f) => {
      const li = document.createElement('li');
      li.textContent = f.error.includes(f.path) ? f.error : `${f.path}: ${f.error}`;
      return li;
    }),
  );
}

async function runIndex(req: Body<Request>): Promise<void> {
  if (ready === undefined || indexing) return;
  indexing = true;
  refreshControls();
  ui.cancel.disabled = false;
  document.body.dataset.state = 'indexing';
  try {
    const r = await ask<IndexReport>(req, showProgress);
    showProgress(r);
    const how = r.cancelled ? 'Cancelled' : 'Done';
    ui.progressText.textContent = `${how}: ${r.added} added in ${r.seconds.toFixed(1)} s (${r.imagesPerSecond.toFixed(1)} images/s)${r.skipped > 0 ? `, ${r.skipped} already indexed` : ''}${r.failed.length > 0 ? `, ${r.failed.length} unreadable` : ''} · ${r.indexed} in the index`;
    document.body.dataset.lastRate = r.imagesPerSecond.toFixed(2);
    document.body.dataset.lastPhases = JSON.stringify(r.phases);
  } catch (e) {
    ui.progressText.textContent = `Indexing stopped: ${(e as Error).message}`;
  } finally {
    indexing = false;
    ui.cancel.disabled = true;
    refreshControls();
    document.body.dataset.state = 'ready';
  }
}

function indexFiles(files: { file: File; path: string }[]): void {
  const images = files.filter(
    (f) => /\.(jpe?g|png|webp|tiff?|gif)$/i.test(f.path) || f.file.type.startsWith('image/'),
  );
  if (images.length === 0) {
    ui.progressBox.hidden = false;
    ui.progressText.textContent = 'No image files in what was dropped (JPEG, PNG, WebP, TIFF).';
    return;
  }
  void runIndex({ type: 'index-files', files: images });
}

const pathOf = (f: File): string => f.webkitRelativePath || f.name;

ui.files.addEventListener('change', () => {
  indexFiles([...(ui.files.files ?? [])].map((file) => ({ file, path: pathOf(file) })));
  ui.files.value = '';
});
ui.folder.addEventListener('change', () => {
  indexFiles([...(ui.folder.files ?? [])].map((file) => ({ file, path: pathOf(file) })));
  ui.folder.value = '';
});
ui.sample.addEventListener('click', () => void runIndex({ type: 'index-sample', count: 48 }));
ui.cancel.addEventListener('click', () => {
  ui.cancel.disabled = true;
  void ask({ type: 'cancel' });
});
ui.clear.addEventListener('click', async () => {
  if (!confirm('Remove every image from this model’s index in this browser?')) return;
  const r = await ask<{ indexed: number }>({ type: 'clear' });
  setIndexed(r.indexed);
  beliefs.clear();
  clearResults('The index is empty. Index some images.');
});

/** Every file under a dropped entry (folders walked recursively), with its path. */
async function filesOf(entry: FileSystemEntry): Promise<{ file: File; path: string }[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((ok, no) => (entry as FileSystemFileEntry).file(ok, no));
    return [{ file, path: entry.fullPath.replace(/^\//, '') }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const out: { file: File; path: string }[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, no) => reader.readEntries(ok, no));
    if (batch.length === 0) break;
    for (const child of batch) out.push(...(await filesOf(child)));
  }
  return out;
}

ui.drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  ui.drop.classList.remove('over');
  if (ready === undefined || indexing) return;
  const items = [...(e.dataTransfer?.items ?? [])];
  const entries = items.map((i) => i.webkitGetAsEntry()).filter((x): x is FileSystemEntry => x !== null);
  const files =
    entries.length > 0
      ? (await Promise.all(entries.map(filesOf))).flat()
      : [...(e.dataTransfer?.files ?? [])].map((file) => ({ file, path: file.name }));
  indexFiles(files);
});
ui.drop.addEventListener('click', () => ui.files.click());

// ---- search and results ---------------------------------------------------------------------------------

function clearResults(title: string): void {
  lastHits = [];
  ui.results.replaceChildren();
  ui.resultsTitle.textContent = title;
}

async function draw(canvas: HTMLCanvasElement, hit: Hit): Promise<void> {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = canvas.height = Math.round(TILE * dpr);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const side = canvas.width;
  if (hit.thumb !== null) {
    const bmp = await createImageBitmap(hit.thumb);
    // small previews (the 64 px sample scenes) are enlarged as pixels, not blurred
    ctx.imageSmoothingEnabled = bmp.width >= side / 2;
    ctx.drawImage(bmp, 0, 0, side, side);
    bmp.close();
  } else {
    ctx.fillStyle = '#e4e8eb';
    ctx.fillRect(0, 0, side, side);
  }
  const grid = ui.belief.checked ? beliefs.get(hit.itemId) : undefined;
  if (grid !== undefined && grid !== null) {
    const cell = side / grid.grid;
    for (let j = 0; j < grid.scores.length; j++) {
      const x = (j % grid.grid) * cell;
      const y = Math.floor(j / grid.grid) * cell;
      if (grid.kept[j] !== 1) {
        ctx.fillStyle = 'rgba(0, 0, 0, 0.62)';
        ctx.fillRect(x, y, cell, cell);
      }
    }
  }
}

/** Draws of the results grid so far: `data-drawn` on the body changes once every canvas of a grid is drawn. */
let draws = 0;

async function render(hits: Hit[]): Promise<void> {
  lastHits = hits;
  const drawing: Promise<void>[] = [];
  const items = hits.map((hit) => {
    const li = document.createElement('li');
    li.className = 'hit';
    li.dataset.path = hit.path;
    li.dataset.score = hit.score.toFixed(4);
    const b = document.createElement('button');
    b.type = 'button';
    b.title = `Find images like ${hit.path}`;
    b.setAttribute(
      'aria-label',
      `Result ${hit.rank}: ${hit.path}, score ${hit.score.toFixed(3)}. Find images like it.`,
    );
    const canvas = document.createElement('canvas');
    canvas.setAttribute('aria-hidden', 'true');
    const meta = document.createElement('span');
    meta.className = 'meta';
    const rank = document.createElement('span');
    rank.className = 'rank';
    rank.textContent = `#${hit.rank}`;
    const score = document.createElement('span');
    score.textContent = hit.score.toFixed(3);
    meta.append(rank, score);
    const p = document.createElement('span');
    p.className = 'path';
    p.textContent = hit.path;
    b.append(canvas, meta, p);
    b.addEventListener('click', () => void searchImage(hit));
    li.append(b);
    drawing.push(draw(canvas, hit));
    return li;
  });
  ui.results.replaceChildren(...items);
  await Promise.all(drawing);
  document.body.dataset.drawn = String(++draws);
}

async function withBeliefs(hits: Hit[]): Promise<void> {
  ui.beliefLegend.hidden = !ui.belief.checked;
  if (!ui.belief.checked || hits.length === 0) return;
  const ids = hits.map((h) => h.itemId).filter((i) => !beliefs.has(i));
  if (ids.length > 0) {
    const grids = await ask<BeliefResult>({ type: 'belief', itemIds: ids });
    ids.forEach((id, i) => {
      beliefs.set(id, grids[i] ?? null);
    });
  }
}

async function show(result: SearchResult, title: string): Promise<void> {
  await withBeliefs(result.hits);
  await render(result.hits);
  ui.resultsTitle.textContent =
    result.hits.length === 0
      ? 'The index is empty: index some images first.'
      : `${title} — top ${result.hits.length} of ${result.searched} images (${result.ms.toFixed(0)} ms)`;
  document.body.dataset.results = String(result.hits.length);
}

async function searchText(text: string): Promise<void> {
  if (text === '') {
    ui.resultsTitle.textContent = 'Type a caption first.';
    ui.query.focus();
    return;
  }
  try {
    await show(await ask<SearchResult>({ type: 'search-text', text, k: TOP_K }), `“${text}”`);
  } catch (e) {
    ui.resultsTitle.textContent = `Search failed: ${(e as Error).message}`;
  }
}

async function searchImage(hit: Hit): Promise<void> {
  try {
    await show(
      await ask<SearchResult>({ type: 'search-image', itemId: hit.itemId, k: TOP_K }),
      `Images like ${hit.path}`,
    );
    (ui.results.querySelector('button') as HTMLButtonElement | null)?.focus();
  } catch (e) {
    ui.resultsTitle.textContent = `Search failed: ${(e as Error).message}`;
  }
}

ui.searchForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (ready === undefined || indexing) return;
  void searchText(ui.query.value.trim());
});
ui.belief.addEventListener('change', async () => {
  await withBeliefs(lastHits);
  await render(lastHits);
});

refreshControls();
ui.cancel.disabled = true;
void loadModelFrom(ui.modelUrl.value.trim());
