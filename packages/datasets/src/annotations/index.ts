/**
 * Annotation loaders (PIR JSON, Karpathy JSON, caption lists) into one typed dataset model, validation,
 * split selection and merging.
 */
export { type CaptionListOptions, loadCaptionLists } from './caption-lists.js';
export {
  checkImagesExist,
  type DatasetSummary,
  type ExistsOptions,
  type MergeOptions,
  mergeDatasets,
  selectSplits,
  summarizeDataset,
} from './dataset.js';
export { AnnotationError, formatIssue, JsonSyntaxError } from './errors.js';
export { lineColumn, parseJson } from './json.js';
export { type KarpathyOptions, loadKarpathyJson } from './karpathy.js';
export { imageExistsIn, type ReadAnnotationOptions, readAnnotationFile, readCaptionLists } from './node.js';
export { loadPirJson, type PirJsonOptions } from './pir-json.js';
export type {
  CaptionRecord,
  ImageRecord,
  ImageTextDataset,
  LoadIssue,
  LoadOptions,
  LoadPolicy,
  Split,
} from './types.js';
