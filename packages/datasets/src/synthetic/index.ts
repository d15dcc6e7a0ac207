/**
 * The synthetic remote-sensing benchmark: 12 scene classes of aerial-looking scenes with semantic noise and
 * five captions each, in memory or written to disk in the PIR JSON layout.
 */

export { renderContactSheet } from './contact_sheet.js';
export type { ObjectRole, SceneObject } from './context.js';
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
} from './generate.js';
export { DEFAULT_NOISE, type NoiseOptions } from './noise.js';
export { SCENE_CLASSES, type SceneClass } from './scenes.js';
export { COLOURS, type ColourName } from './vocabulary.js';
export { type WriteSyntheticResult, writeSynthetic } from './write.js';
