/**
 * Messages between the page (`main.ts`) and the worker that holds the model and the index (`worker.ts`).
 * Every request carries an `id`; the worker answers it once with a {@link Reply} of the same `id`, and sends
 * {@link Progress} messages while it indexes.
 */
import type { BeliefGrid } from '@pir/search';

/** Which tfjs backend the worker should use (`auto`: WebGPU on a hardware adapter, else wasm). */
export type BackendChoice = 'auto' | 'webgpu' | 'wasm' | 'cpu';

export type Request =
  | { id: number; type: 'init'; backend: BackendChoice; threads?: number }
  | { id: number; type: 'load'; modelUrl: string }
  | { id: number; type: 'index-files'; files: { file: File; path: string }[] }
  | { id: number; type: 'index-sample'; count: number }
  | { id: number; type: 'cancel' }
  | { id: number; type: 'search-text'; text: string; k: number }
  | { id: number; type: 'search-image'; itemId: string; k: number }
  | { id: number; type: 'belief'; itemIds: string[] }
  | { id: number; type: 'clear' };

/** What `init` answers. */
export interface BackendReady {
  /** The backend in use, as shown on the page (`wasm · SIMD · 2 threads`). */
  backend: string;
  /** The backend's name. */
  backendName: string;
  /** Whether the page is cross-origin isolated (wasm threads need it). */
  isolated: boolean;
}

/** What `load` answers. */
export interface Ready {
  model: { name: string; dim: number; imageSize: number; hasBelief: boolean; location: string };
  /** Images already in the index (kept from an earlier visit). */
  indexed: number;
}

/** One search hit, with what the page draws. */
export interface Hit {
  rank: number;
  score: number;
  itemId: string;
  path: string;
  /** The preview (the centre crop the model sees), or null when it was not stored. */
  thumb: Blob | null;
}

/** What a search answers. */
export interface SearchResult {
  hits: Hit[];
  /** Images searched. */
  searched: number;
  /** Milliseconds in the worker (embedding the query + the search). */
  ms: number;
}

/** What an indexing run answers at its end (and, so far, with each {@link Progress}). */
export interface IndexReport {
  total: number;
  done: number;
  added: number;
  /** Already in the index: skipped. */
  skipped: number;
  failed: { path: string; error: string }[];
  /** Images embedded per second in this run (decoding included). */
  imagesPerSecond: number;
  seconds: number;
  cancelled: boolean;
  /** Images in the index after the run. */
  indexed: number;
  /**
   * Where the time went, in milliseconds: waiting for the batch read ahead (read + decode), embedding, waiting for
   * the previews (encoded while the model runs), IndexedDB commits.
   */
  phases: { decodeMs: number; embedMs: number; previewMs: number; storeMs: number };
}

export interface Progress extends IndexReport {
  type: 'progress';
  id: number;
}

export type Reply =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

/** `belief` answers one grid per item id (null: no preview, or a model without belief). */
export type BeliefResult = (BeliefGrid | null)[];
