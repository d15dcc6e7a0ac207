/** Scene labels from file names and label vocabularies. */

export {
  type LabelVocabulary,
  type LabelVocabularyOptions,
  labelIds,
  labelVocabulary,
} from './label_vocabulary.js';
export {
  baseName,
  fileStem,
  type SceneLabelOptions,
  sceneLabel,
  type UnprefixedNames,
} from './scene_label.js';
