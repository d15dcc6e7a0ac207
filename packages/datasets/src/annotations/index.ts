/**
 * Annotation loaders (PIR JSON, Karpathy JSON, caption lists) into one typed dataset model, validation,
 * split selection and merging.
 */
export { type CaptionListOptions, loadCaptionLists } from './caption_lists.js';
export {
  checkImagesExist,
  type DatasetSummary,
  type ExistsOptions,
  type MergeOptions,
  mergeDatasets,
  selectSplits,
  summarizeDataset,
} from './dataset_operations.js';
export type {
  CaptionRecord,
  ImageRecord,
  ImageTextDataset,
  LoadIssue,
  LoadOptions,
  LoadPolicy,
  Split,
} from './dataset_types.js';
export { AnnotationError, formatIssue, JsonSyntaxError } from './errors.js';
export { type KarpathyOptions, loadKarpathyJson } from './karpathy_json.js';
export { lineColumn, parseJson } from './parse_json.js';
export { loadPirJson, type PirJsonOptions } from './pir_json.js';
export {
  imageExistsIn,
  type ReadAnnotationOptions,
  readAnnotationFile,
  readCaptionLists,
} from './read_files.js';
