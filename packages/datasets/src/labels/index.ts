/** Scene labels from file names and label vocabularies. */
export {
  baseName,
  fileStem,
  type SceneLabelOptions,
  sceneLabel,
  type UnprefixedNames,
} from './scene-label.js';
export {
  type LabelVocabulary,
  type LabelVocabularyOptions,
  labelIds,
  labelVocabulary,
} from './vocabulary.js';
