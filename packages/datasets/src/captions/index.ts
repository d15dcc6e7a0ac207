/** Caption cleaning (PIR_SPEC §5). */
export { type CleanCaptionOptions, cleanCaption, cleanCaptions, DEFAULT_MAX_WORDS } from './clean_caption.js';
