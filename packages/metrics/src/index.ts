/**
 * `@pir/metrics` — image–text retrieval evaluation (remote sensing style): R@K in both directions, mR, rsum,
 * median/mean ranks and per-query ranks, from embeddings or a similarity matrix, on any tfjs backend, chunked
 * for large galleries. Recalls are percentages.
 */
export { captionToImageMap } from './caption_map.js';
export { MetricsInputError } from './errors.js';
export { evaluateRetrieval, evaluateSimilarity } from './evaluate.js';
export { formatReport } from './format.js';
export type { MatrixLike, PlainMatrix } from './matrix.js';
export type {
  EmbeddingOptions,
  ImagesWithoutCaptions,
  RetrievalOptions,
  TiePolicy,
} from './options.js';
export type { DirectionReport, ImageToTextReport, RetrievalReport, TextToImageReport } from './report.js';
