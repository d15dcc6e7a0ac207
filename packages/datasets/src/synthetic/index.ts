/**
 * The synthetic remote-sensing benchmark: 12 scene classes of aerial-looking scenes with semantic noise and
 * five captions each, in memory or written to disk in the PIR JSON layout.
 */

export { COLOURS, type ColourName } from './caption_words.js';
export { renderContactSheet } from './contact_sheet.js';
export {
  generateSynthetic,
  generateSyntheticImage,
  type PirEvalEntry,
  type PirTrainEntry,
  planImage,
  resolveSyntheticOptions,
  type Split as SyntheticSplit,
  type SyntheticDataset,
  type SyntheticOptions,
  type SyntheticSample,
  synthesize,
  toPirJson,
} from './generate_synthetic.js';
export { SCENE_CLASSES, type SceneClass } from './scene_composers.js';
export type { ObjectRole, SceneObject } from './scene_context.js';
export { DEFAULT_NOISE, type NoiseOptions } from './semantic_noise.js';
export { type WriteSyntheticResult, writeSynthetic } from './write_synthetic.js';
