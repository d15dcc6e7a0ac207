/**
 * Tokenizers implementing the `Tokenizer` contract: CLIP BPE, BERT WordPiece, and word/WordPiece
 * vocabularies built from a caption corpus.
 */

export { packBatch } from './batch.js';
export type { BertTokenizerOptions } from './bert.js';
export {
  BertTokenizer,
  basicTokenize,
  bertUncasedVocab,
  bertVocabFromSentencePiece,
  loadBertTokenizer,
} from './bert.js';
export type { ClipTokenizerOptions } from './clip.js';
export { ClipTokenizer, clipMerges, loadClipTokenizer, unescapeHtml } from './clip.js';
export { TokenizerError } from './errors.js';
export type { VocabJSON, WordPieceOptions, WordVocabOptions } from './vocab.js';
export {
  buildWordVocab,
  captionWords,
  DEFAULT_SPECIALS,
  tokenizerFromJSON,
  trainWordPiece,
  WordTokenizer,
  wordPieceToJSON,
} from './vocab.js';
