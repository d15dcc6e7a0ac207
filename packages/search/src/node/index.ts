/**
 * `@pir/search/node` — the embedded store on disk ({@link openStore}, {@link FileStore}), the indexer
 * ({@link indexImages}) and the searches ({@link searchTexts}, {@link searchImages}). Imports `node:fs`: never
 * import this subpath in browser code.
 */
import '@pir/runtime';

export type { AnnOptions } from './ann.js';
export { FileStore, openStore, type SearchTuning } from './file_store.js';
export {
  IMAGE_EXTENSIONS,
  type IndexImagesOptions,
  type IndexProgress,
  type IndexSummary,
  identityOf,
  imageVector,
  indexImages,
  listImages,
  searchImages,
  searchTexts,
  type TileOptions,
  tileWindows,
} from './indexer.js';
export { createSearchServer, type SearchServerOptions, serverUrl } from './server.js';
export { type BeliefOverlay, type HitsSheetOptions, itemImage, itemPng, renderHitsSheet } from './sheet.js';
