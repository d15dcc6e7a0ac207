/**
 * `@pir/belief` — belief scores and the hard / soft belief strategies of PIR (PIR_SPEC §2), as pure
 * TensorFlow.js functions and as serializable `tf.layers.Layer`s.
 *
 * - {@link beliefScores}: `softmax_N(V·uᵀ)` with an optional key mask;
 * - {@link hardBelief}: top-K tokens in decreasing belief (PIR-ITR), indices as constants;
 * - {@link softBelief}: rank-weighted tokens, `variant: 'paper' | 'released'` (PIR-CLIP);
 * - {@link prependInstruction}: PIR-CLIP's instruction token in front of the patch sequence;
 * - {@link detach}: a stop-gradient (a tensor off the gradient tape).
 *
 * Import `@pir/runtime` (or tfjs's `register_all_gradients`) before differentiating.
 */
// @pir/runtime registers tfjs's gradients with its corrections (whatever the import order)
import '@pir/runtime';

export { detach } from './constant.js';
export { BeliefInputError } from './errors.js';
export { HARD_BELIEF_DEFAULTS, type HardBeliefOptions, type HardBeliefResult, hardBelief } from './hard.js';
export { prependInstruction } from './instruction.js';
export {
  BeliefScores,
  HardBelief,
  type HardBeliefLayerArgs,
  PrependInstruction,
  SoftBelief,
  type SoftBeliefLayerArgs,
} from './layers.js';
export { beliefScores, MASKED_LOGIT } from './scores.js';
export { type SoftBeliefOptions, type SoftBeliefResult, type SoftBeliefVariant, softBelief } from './soft.js';
