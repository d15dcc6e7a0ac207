/**
 * Names `@pir/pae` 0.1 exported that are deprecated (each declaration says what to use instead), kept for one
 * release so existing code keeps working.
 */
export { gelu, LN_EPS, layerNorm, linear, MASKED_LOGIT, multiHeadAttention } from './functional.js';
export { torchName } from './specs.js';
export { exportStateDict, type StateDictEntry } from './state_dict.js';
