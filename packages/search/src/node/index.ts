/**
 * `@pir/search/node` — stores ({@link openStore}: the embedded {@link FileStore} on disk, or {@link PgStore} in
 * PostgreSQL + pgvector), the indexer
 * ({@link indexImages}) and the searches ({@link searchTexts}, {@link searchImages}). Imports `node:fs`: never
 * import this subpath in browser code.
 */
import '@pir/runtime';

export { identityOf, imageVector, searchTexts } from '../embed.js';
export type { AnnOptions } from './ann.js';
export { FileStore, type SearchTuning } from './file_store.js';
export {
  IMAGE_EXTENSIONS,
  type IndexCaptionsOptions,
  type IndexCaptionsSummary,
  type IndexImagesOptions,
  type IndexProgress,
  type IndexSummary,
  indexCaptions,
  indexImages,
  listImages,
  searchImages,
  type TileOptions,
  tileWindows,
} from './indexer.js';
export { type OpenStoreOptions, openFileStore, openStore } from './open.js';
export { PgStore, type PgStoreOptions } from './pg_store.js';
export { createSearchServer, type SearchServerOptions, serverUrl } from './server.js';
export { type BeliefOverlay, type HitsSheetOptions, itemImage, itemPng, renderHitsSheet } from './sheet.js';
