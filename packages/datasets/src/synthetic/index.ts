/**
 * The synthetic remote-sensing benchmark: 12 scene classes of aerial-looking scenes with semantic noise and
 * five captions each, in memory or written to disk in the PIR JSON layout.
 */

export { COLOURS, type ColourName } from './caption_words.js';
export { type ContactSheetOptions, renderContactSheet } from './contact_sheet.js';
export {
  generateSynthetic,
  generateSyntheticImage,
  type PirEvalEntry,
  type PirTrainEntry,
  planImage,
  type ResolvedSyntheticOptions,
  resolveSyntheticOptions,
  type Split as SyntheticSplit,
  type SyntheticDataset,
  type SyntheticOptions,
  type SyntheticSample,
  synthesize,
  toPirJson,
} from './generate_synthetic.js';
export { SCENE_CLASSES, SCENES, type SceneClass, type SceneComposer } from './scene_composers.js';
export type { ObjectRole, SceneObject } from './scene_context.js';
export { DEFAULT_NOISE, type NoiseOptions } from './semantic_noise.js';
export { type WriteSyntheticResult, writeSynthetic } from './write_synthetic.js';
